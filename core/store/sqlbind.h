/* Binding optional values, one rule for every SQL statement of tollgate (the
 * store's and the queries' above it that run SQL on tg_store_sqlite): an
 * absent value binds NULL, and an empty text is absent too. Logs name nothing
 * with "" (see logmodel.c), a gateway's "" field says nothing, and a filter
 * of "" filters nothing; stored as '' instead, an empty name would overwrite
 * a known one through coalesce() and an empty thread id would make one thread
 * of every log without one. Texts bind SQLITE_STATIC: they must stay alive
 * until the statement is stepped and reset. */
#ifndef TG_STORE_SQLBIND_H
#define TG_STORE_SQLBIND_H

#include <stdint.h>

#include <sqlite3.h>

/* NULL for NULL or "", else the text. */
static inline void tg_sql_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s && *s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* NULL for a negative time or duration (unknown), else the milliseconds. */
static inline void tg_sql_bind_ms(sqlite3_stmt *st, int i, int64_t ms)
{
    if (ms >= 0)
        sqlite3_bind_int64(st, i, ms);
    else
        sqlite3_bind_null(st, i);
}

/* NULL for 0 (no row), else the row id. */
static inline void tg_sql_bind_id(sqlite3_stmt *st, int i, int64_t id)
{
    if (id)
        sqlite3_bind_int64(st, i, id);
    else
        sqlite3_bind_null(st, i);
}

#endif
