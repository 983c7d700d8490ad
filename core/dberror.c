#include "dberror.h"

#include <stdio.h>
#include <stdlib.h>

static const char *advice(int code)
{
    switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return "another process is writing to it and held the lock past the busy timeout: try again when it is "
               "done";
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        return "it is not a tollgate database, or it is damaged";
    case SQLITE_READONLY:
        return "it is read-only here (check the permissions of the file and of its directory)";
    case SQLITE_FULL:
        return "the disk is full";
    case SQLITE_IOERR:
        return "a write or read failed (is the disk full, or the file over a size limit?)";
    case SQLITE_CANTOPEN:
        return "it cannot be opened (check the path and its permissions)";
    default:
        return NULL;
    }
}

void tg_dberror_format(sqlite3 *db, const char *what, char *err, size_t errlen)
{
    if (!db) {
        snprintf(err, errlen, "%s: no database", what);
        return;
    }
    const char *why = advice(sqlite3_extended_errcode(db));
    const char *path = sqlite3_db_filename(db, "main");
    if (why)
        snprintf(err, errlen, "%s: %s: %s (%s)", what, path && *path ? path : "the database", why,
                 sqlite3_errmsg(db));
    else
        snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
}

int tg_dberror_busy_timeout_ms(int fallback_ms)
{
    const char *v = getenv("TOLLGATE_BUSY_TIMEOUT_MS");
    if (!v || !*v)
        return fallback_ms;
    char *end;
    long n = strtol(v, &end, 10);
    return *end || n < 0 || n > 600000 ? fallback_ms : (int)n;
}
