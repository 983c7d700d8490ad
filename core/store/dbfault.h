/* A db in trouble: failures said so a user knows what to do (which db, and
 * whether it is locked by another process, not a tollgate db or damaged,
 * read-only, or out of disk, with SQLite's own words after), and the checks
 * and fallbacks opening a db needs for someone else's db or a read-only one. */
#ifndef TG_DBFAULT_H
#define TG_DBFAULT_H

#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

/* "what: PATH is locked by another process ... (database is locked)" into
 * err; the plain "what: message" for failures that need no advice. */
void tg_dbfault_format(sqlite3 *db, const char *what, char *err, size_t errlen);

/* The busy timeout for a connection: TOLLGATE_BUSY_TIMEOUT_MS (for tests,
 * read once per process) or fallback_ms. */
int tg_dbfault_busy_timeout_ms(int fallback_ms);

/* Whether a db at schema version 0 has tables: then it is someone else's,
 * not a new one, and nothing may be written to it. */
bool tg_dbfault_foreign(sqlite3 *db);

/* Whether the last failure is SQLite unable to set up reading a WAL db: no
 * -shm file beside it, and a directory where none can be made. */
bool tg_dbfault_wal_unavailable(sqlite3 *db);

/* Closes *db and opens path again read-only as an immutable file (a writer
 * would have made the -shm file, so none has it open). Returns 0 or -1 (*db
 * then holds the error). */
int tg_dbfault_reopen_immutable(sqlite3 **db, const char *path);

#endif
