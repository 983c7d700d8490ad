/* Private to core/store (see store_int.h): how requests keeps its ids and
 * log types small. A log id or thread id that is a canonical lowercase UUID
 * (8-4-4-4-12 hex digits) is stored as its 16 bytes, a BLOB; any other id
 * stays the TEXT it was, so every id reads back exactly (a BLOB of 16 bytes
 * is only ever a packed UUID: ids are bound as text otherwise). A log type
 * the table below knows is stored as its small integer, any other as its
 * text. The SQL functions registered on every connection let the queries
 * above the store read and match them as text:
 *   tg_id_text(x)        the text of a stored id (x itself unless packed)
 *   tg_id_pack(x)        the stored form of the id x, for `col = tg_id_pack(?)`
 *   tg_log_type_text(x)  the text of a stored log type
 *   tg_log_type_code(x)  the stored form of a log type */
#ifndef TG_STORE_COMPACTID_H
#define TG_STORE_COMPACTID_H

#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

#define STORE_UUID_BYTES 16
#define STORE_UUID_TEXT 36

/* true (and out filled) when text[0..len) is a canonical lowercase UUID */
bool store_uuid_pack(const char *text, size_t len, unsigned char out[STORE_UUID_BYTES]);
/* the 36 characters of a packed UUID, and a NUL */
void store_uuid_unpack(const unsigned char in[STORE_UUID_BYTES], char out[STORE_UUID_TEXT + 1]);

/* Binds an id in its stored form: NULL for NULL or "" (as tg_sql_bind_text),
 * 16 bytes for a UUID (copied), else the text (SQLITE_STATIC). */
void store_bind_compact_id(sqlite3_stmt *st, int i, const char *id);
/* Binds a log type in its stored form (NULL for NULL or "") */
void store_bind_log_type(sqlite3_stmt *st, int i, const char *type);

/* Registers the four functions above on db. 0, or -1. */
int store_compact_register_functions(sqlite3 *db);

#endif
