#include "store/open.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/timeutil.h"
#include "store/bodies.h"
#include "store/checkpoint.h"
#include "store/compactid.h"
#include "store/dbfault.h"
#include "store/dimensions.h"
#include "store/logids.h"
#include "store/lastseen.h"
#include "store/migrations.h"
#include "store/rollups.h"
#include "store/sortkeys.h"
#include "store/syncstate.h"
#include "store/threads.h"

int tg_store_fail(struct tg_store *store, const char *what, char *err, size_t errlen)
{
    tg_dbfault_format(store ? store->db : NULL, what, err, errlen);
    return -1;
}

sqlite3 *tg_store_sqlite(struct tg_store *store)
{
    return store->db;
}

int store_exec(struct tg_store *store, const char *sql, const char *what, char *err, size_t errlen)
{
    if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return tg_store_fail(store, what, err, errlen);
    return 0;
}

int store_prepare(struct tg_store *store, enum statement which, const char *sql, char *err, size_t errlen)
{
    if (sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &store->stmt[which], NULL) != SQLITE_OK)
        return tg_store_fail(store, "preparing statements", err, errlen);
    return 0;
}

/* Each subsystem prepares its own statements. */
static int prepare_statements(struct tg_store *store, char *err, size_t errlen)
{
    if (store_prepare_requests(store, err, errlen) != 0 || store_prepare_bodies(store, err, errlen) != 0 ||
        store_prepare_dimensions(store, err, errlen) != 0 || store_prepare_rollups(store, err, errlen) != 0 ||
        store_prepare_log_ids(store, err, errlen) != 0 || store_prepare_sort_keys(store, err, errlen) != 0)
        return -1;
    return store_prepare_marks(store, err, errlen);
}

/* The db file is created by us, not SQLite, so it starts life 0600: it holds
 * prompts and responses. SQLite gives the -wal and -shm files the same mode. */
static int create_private_file(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return 0;
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

/* Waits for the write lock by polling every 2 ms, up to the busy timeout.
 * SQLite's own handler sleeps up to 100 ms between tries, so a writer
 * waiting for an import's slice slept through the pause after it and waited
 * for the next slice too (see tg_store_shares_writes). */
#define BUSY_POLL_US 2000

static int poll_busy(void *arg, int count)
{
    static _Thread_local int64_t since;
    int64_t timeout_ms = (int64_t)(intptr_t)arg, now = tg_monotonic_us() / 1000;
    if (count == 0)
        since = now;
    if (now - since >= timeout_ms)
        return 0;
    usleep(BUSY_POLL_US);
    return 1;
}

static int configure(struct tg_store *store, bool read_only, int flags, char *err, size_t errlen)
{
    sqlite3_busy_handler(store->db, poll_busy, (void *)(intptr_t)tg_dbfault_busy_timeout_ms(10000));
    if (sqlite3_create_function(store->db, "tg_id_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                store_sql_id_hash, NULL, NULL) != SQLITE_OK ||
        store_rollups_register_functions(store->db) != 0 || store_compact_register_functions(store->db) != 0)
        return tg_store_fail(store, "registering functions", err, errlen);
    if (!read_only &&
        store_exec(store, "PRAGMA journal_mode=WAL", "switching to WAL mode", err, errlen) != 0)
        return -1;
    /* NORMAL in WAL mode: a crash of the process loses nothing committed; the
     * fsyncs come at checkpoints, which a 64 MB WAL keeps to a few per import
     * (at SQLite's default of 4 MB they cost a third of a large import). */
    if (store_exec(store,
             "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=16384;",
             "configuring the connection", err, errlen) != 0)
        return -1;
    /* the screens read a little at a time: a big cache would only grow their memory */
    if (flags & TG_STORE_SMALL_CACHE)
        return store_exec(store, "PRAGMA cache_size=-16384", "configuring the connection", err, errlen);
    /* Log ids are random, so each batch of an import writes all over the id
     * index; once that index outgrows the cache, every batch reads and
     * rewrites most of it and the import slows to half its speed by 3M logs.
     * A cache that holds it (about 50 bytes a log: 500 MB at 10M) keeps the
     * rate flat; SQLite takes the memory only as pages are touched. */
    if (flags & TG_STORE_BULK)
        return store_exec(store, "PRAGMA cache_size=-1048576", "configuring the connection", err, errlen);
    return 0;
}

static int configure_reader(struct tg_store *store, const char *path, int flags, char *err, size_t errlen)
{
    if (configure(store, true, flags, err, errlen) == 0)
        return 0;
    if (!tg_dbfault_wal_unavailable(store->db))
        return -1;
    if (tg_dbfault_reopen_immutable(&store->db, path) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, sqlite3_errmsg(store->db));
        return -1;
    }
    return configure(store, true, flags, err, errlen);
}

/* Before anything is written: WAL mode alone would change someone else's db.
 * The version and the tables are read in one statement, so from one snapshot:
 * read apart, another command creating the same new db could commit migration
 * 1 between the two reads (version 0, then tables), and this one took our own
 * fresh db for someone else's (1 in 40 runs of two commands under ASan). */
static bool foreign_db(struct tg_store *store)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT (SELECT user_version FROM pragma_user_version) = 0"
                           " AND EXISTS (SELECT 1 FROM sqlite_master)",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_schema_version(store) == 0 && tg_dbfault_foreign(store->db);
    bool foreign = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
    sqlite3_finalize(st);
    return foreign;
}

static int check_ours(struct tg_store *store, const char *path, bool read_only, char *err, size_t errlen)
{
    if (!foreign_db(store))
        return 0;
    snprintf(err, errlen, "%s is an SQLite database but not tollgate's%s", path,
             read_only ? "" : ": refusing to add tables to it");
    return -1;
}

/* PATH-writers: a writer that is not an import holds a shared lock on its
 * first byte while the store is open; an import only looks. Open file
 * description locks, so each store (even two in one process) has its own,
 * and a process that dies lets go of it. Without the file (a directory we
 * may not write) imports just do not slice. */
static void join_writers(struct tg_store *store, const char *path, int flags)
{
    char name[4200];
    if (snprintf(name, sizeof name, "%s-writers", path) >= (int)sizeof name)
        return;
    store->writers_fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (store->writers_fd < 0 || (flags & TG_STORE_BULK))
        return;
    struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    fcntl(store->writers_fd, F_OFD_SETLK, &fl);
}

bool tg_store_shares_writes(struct tg_store *store)
{
    if (store->writers_fd < 0)
        return false;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    return fcntl(store->writers_fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

static int open_store(const char *path, int flags, int target, struct tg_store **out, char *err,
                      size_t errlen)
{
    *out = NULL;
    bool read_only = flags & TG_STORE_READ_ONLY;
    if (read_only && access(path, F_OK) != 0) {
        snprintf(err, errlen, "no database at %s (import logs or run `tollgate demo` first)", path);
        return -1;
    }
    if (!read_only && create_private_file(path, err, errlen) != 0)
        return -1;
    struct tg_store *store = calloc(1, sizeof *store);
    if (!store) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    store->writers_fd = -1;
    int oflags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (sqlite3_open_v2(path, &store->db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path, sqlite3_errmsg(store->db));
        tg_store_close(store);
        return -1;
    }
    /* SQLite quietly opens a file it may not write read-only: say so now,
     * not at the first write */
    if (!read_only && sqlite3_db_readonly(store->db, "main") == 1) {
        snprintf(err, errlen, "cannot write %s: it is read-only here (check the permissions of the file and of its "
                 "directory)", path);
        tg_store_close(store);
        return -1;
    }
    if (store_dimensions_init(store) != 0 || store_rollups_init(store) != 0 || store_bodies_init(store) != 0 ||
        store_log_ids_init(store, flags & TG_STORE_BULK) != 0 || store_last_seen_init(store) != 0 ||
        store_threads_init(store) != 0) {
        snprintf(err, errlen, "out of memory");
        tg_store_close(store);
        return -1;
    }
    if ((!read_only && (check_ours(store, path, false, err, errlen) != 0 ||
                        configure(store, false, flags, err, errlen) != 0)) ||
        (read_only && (configure_reader(store, path, flags, err, errlen) != 0 ||
                       check_ours(store, path, true, err, errlen) != 0)) ||
        (!read_only && store_migrate(store, target, err, errlen) != 0) ||
        (!read_only && target == TG_STORE_SCHEMA_VERSION && prepare_statements(store, err, errlen) != 0)) {
        tg_store_close(store);
        return -1;
    }
    if (!read_only && target >= 1 && store_bodies_use_newest_dict(store, err, errlen) != 0) {
        tg_store_close(store);
        return -1;
    }
    /* resumable: an interrupted backfill goes on at the next open */
    if (!read_only && target == TG_STORE_SCHEMA_VERSION && store_threads_backfill(store, err, errlen) != 0) {
        tg_store_close(store);
        return -1;
    }
    if (!read_only && (flags & TG_STORE_BACKGROUND_CHECKPOINTS) && store_checkpointer_start(store, path, err, errlen) != 0) {
        tg_store_close(store);
        return -1;
    }
    if (read_only && tg_store_schema_version(store) > TG_STORE_SCHEMA_VERSION) { /* migrate could not help */
        snprintf(err, errlen, "%s has schema version %d, newer than this tollgate knows (%d): upgrade tollgate", path,
                 tg_store_schema_version(store), TG_STORE_SCHEMA_VERSION);
        tg_store_close(store);
        return -1;
    }
    if (read_only && tg_store_schema_version(store) != TG_STORE_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "%s has schema version %d, this tollgate needs %d: run `tollgate migrate` once to bring it up to"
                 " date (a million requests take a few seconds)",
                 path, tg_store_schema_version(store), TG_STORE_SCHEMA_VERSION);
        tg_store_close(store);
        return -1;
    }
    if (!read_only)
        join_writers(store, path, flags);
    *out = store;
    return 0;
}

int tg_store_open(const char *path, int flags, struct tg_store **out, char *err, size_t errlen)
{
    return open_store(path, flags, TG_STORE_SCHEMA_VERSION, out, err, errlen);
}

int tg_store_open_at_version(const char *path, int version, struct tg_store **out, char *err,
                             size_t errlen)
{
    return open_store(path, 0, version, out, err, errlen);
}

void tg_store_close(struct tg_store *store)
{
    if (!store)
        return;
    if (store->in_batch)
        tg_store_rollback(store);
    store_checkpointer_stop(store);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(store->stmt[i]);
    store_threads_free(store);
    sqlite3_close(store->db);
    if (store->writers_fd >= 0)
        close(store->writers_fd);
    store_dimensions_free(store);
    store_rollups_free(store);
    store_bodies_free(store);
    store_log_ids_free(store);
    store_last_seen_free(store);
    free(store);
}
