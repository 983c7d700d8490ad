/* Private to core/store (see store_int.h): a body as three columns of its
 * request row (schema 14; bodies.h says which): binding them, checking that
 * the ids a preparer left out of a log's chunks are the ones the row holds,
 * and rewriting a body in place (tg_store_rewrite_body, store.h). */
#ifndef TG_STORE_BODYROW_H
#define TG_STORE_BODYROW_H

#include <stdbool.h>

#include "log/body.h"
#include "log/logmodel.h"
#include "store/store_int.h"

/* Binds the body encoded last (store->bodies.row) as parameters first ..
 * first + 2: body_len, chunk_refs, body_ids. */
void store_bodies_bind(struct tg_store *store, sqlite3_stmt *st, int first);

/* Whether each id p left out is the row's: a canonical UUID the row keeps as
 * 16 bytes (compactid.h), found where log has it. */
bool store_body_ids_are_the_rows(const struct tg_body_prepared *p, const struct tg_log *log);

#endif
