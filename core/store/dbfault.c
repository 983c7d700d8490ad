#include "store/dbfault.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/money.h"

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

void tg_dbfault_format(sqlite3 *db, const char *what, char *err, size_t errlen)
{
    if (!db) {
        snprintf(err, errlen, "%s: no database", what);
        return;
    }
    const char *why = advice(sqlite3_extended_errcode(db));
    const char *path = sqlite3_db_filename(db, "main");
    char overflow[160];
    if (why) {
        snprintf(err, errlen, "%s: %s: %s (%s)", what, path && *path ? path : "the database", why,
                 sqlite3_errmsg(db));
    } else if (strcmp(sqlite3_errmsg(db), "integer overflow") == 0) { /* SQLite's sum(): refused, never wrapped */
        tg_money_overflow_message("a sum", overflow, sizeof overflow);
        snprintf(err, errlen, "%s: %s (integer overflow)", what, overflow);
    } else
        snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
}

/* Read once: connections are opened again and again (the screens' indexer
 * and jobs each open their own), and the environment does not change. */
static pthread_once_t busy_timeout_once = PTHREAD_ONCE_INIT;
static int busy_timeout_from_env = -1; /* -1: not set, or not a valid timeout */

static void read_busy_timeout(void)
{
    const char *v = getenv("TOLLGATE_BUSY_TIMEOUT_MS");
    if (!v || !*v)
        return;
    char *end;
    long n = strtol(v, &end, 10);
    if (!*end && n >= 0 && n <= 600000)
        busy_timeout_from_env = (int)n;
}

int tg_dbfault_busy_timeout_ms(int fallback_ms)
{
    pthread_once(&busy_timeout_once, read_busy_timeout);
    return busy_timeout_from_env >= 0 ? busy_timeout_from_env : fallback_ms;
}

bool tg_dbfault_foreign(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master LIMIT 1", -1, &st, NULL) != SQLITE_OK)
        return false;
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

bool tg_dbfault_wal_unavailable(sqlite3 *db)
{
    int code = sqlite3_errcode(db);
    return code == SQLITE_READONLY || code == SQLITE_CANTOPEN;
}

int tg_dbfault_reopen_immutable(sqlite3 **db, const char *path)
{
    char uri[8400];
    size_t o = (size_t)snprintf(uri, sizeof uri, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p && o + 4 < sizeof uri - 16; p++) {
        if (*p == '%' || *p == '?' || *p == '#' || *p <= ' ' || *p >= 0x7f)
            o += (size_t)snprintf(uri + o, sizeof uri - o, "%%%02X", *p);
        else
            uri[o++] = (char)*p;
    }
    snprintf(uri + o, sizeof uri - o, "?immutable=1");
    sqlite3_close(*db);
    *db = NULL;
    int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
    return sqlite3_open_v2(uri, db, flags, NULL) == SQLITE_OK ? 0 : -1;
}
