/* SQLite failures said so a user knows what to do: which db, and whether it
 * is locked by another process, not a tollgate db (or damaged), read-only, or
 * out of disk, with SQLite's own words after. */
#ifndef TG_DBERROR_H
#define TG_DBERROR_H

#include <stddef.h>

#include <sqlite3.h>

/* "what: PATH is locked by another process ... (database is locked)" into
 * err; the plain "what: message" for failures that need no advice. */
void tg_dberror_format(sqlite3 *db, const char *what, char *err, size_t errlen);

/* The busy timeout for a connection: TOLLGATE_BUSY_TIMEOUT_MS (for tests)
 * or fallback_ms. */
int tg_dberror_busy_timeout_ms(int fallback_ms);

#endif
