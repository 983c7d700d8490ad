#include "store/store.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log/body.h"
#include "store/dbfault.h"
#include "base/hashmap.h"
#include "log/msgcache.h"
#include "base/strbuf.h"
#include "base/latency.h"
#include "base/timeutil.h"

/* messages known by digest without asking the db (per generation; see msgcache.h) */
#define TG_STORE_MESSAGE_WINDOW 131072

/* Each migration is constant SQL ending with its own user_version, applied in
 * one transaction. Never edit a released migration: add the next one. */
/* The sync_state entry holding the watermark of log_ids: every request up
 * to that id has its log id there; those after it are the "tail". */
#define IDS_MARK "log ids indexed up to"
/* The highest request id ever handed out (see migration 7). */
#define IDS_USED "request ids handed out up to"
/* The tail is merged into log_ids in one sorted run once it holds a
 * quarter as many ids as the index (so each merge writes the index once
 * for a quarter of its size: ~200 bytes a log up to 1M requests; an eighth
 * stalled the collector twice as often for little less memory), between
 * these bounds. The upper one bounds the tail's memory (~110 bytes an id):
 * at 1M ids a 120 s soak grew the collector to 430 MB; at 262,144 a merge
 * on a 10M db rewrites the index (180 MB) every 262k logs instead. */
#define IDS_MERGE_MIN 65536
#define IDS_MERGE_MAX 262144

static const char *const migrations[] = {
    /* 1: requests, bodies, dimensions, hourly rollups */
    "CREATE TABLE developers("
    "  id INTEGER PRIMARY KEY, ident TEXT NOT NULL UNIQUE, name TEXT, email TEXT,"
    "  first_seen_ms INTEGER);"
    "CREATE TABLE keys("
    "  id INTEGER PRIMARY KEY, ident TEXT NOT NULL UNIQUE, key_id TEXT, name TEXT,"
    "  developer_id INTEGER REFERENCES developers(id),"
    "  status TEXT NOT NULL DEFAULT 'unknown', first_seen_ms INTEGER);"
    "CREATE TABLE models("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, provider TEXT, first_seen_ms INTEGER);"
    "CREATE TABLE requests("
    "  id INTEGER PRIMARY KEY, log_id TEXT NOT NULL UNIQUE, ts_ms INTEGER NOT NULL,"
    "  developer_id INTEGER, key_id INTEGER, model_id INTEGER,"
    "  status_code INTEGER NOT NULL, is_error INTEGER NOT NULL,"
    "  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,"
    "  total_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,"
    "  cache_creation_tokens INTEGER NOT NULL,"
    "  cost_nanos INTEGER NOT NULL, cost_kind INTEGER NOT NULL,"
    "  latency_ms INTEGER, ttft_ms INTEGER, thread_id TEXT, log_type TEXT);"
    "CREATE INDEX requests_ts ON requests(ts_ms);"
    "CREATE TABLE body_dicts(id INTEGER PRIMARY KEY, dict BLOB NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE TABLE request_bodies("
    "  request_id INTEGER PRIMARY KEY, raw_zstd BLOB NOT NULL, raw_len INTEGER NOT NULL,"
    "  dict_id INTEGER REFERENCES body_dicts(id));"
    "CREATE TABLE rollup_hourly("
    "  hour INTEGER NOT NULL, developer_id INTEGER NOT NULL, key_id INTEGER NOT NULL,"
    "  model_id INTEGER NOT NULL, requests INTEGER NOT NULL, errors INTEGER NOT NULL,"
    "  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,"
    "  total_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,"
    "  cache_creation_tokens INTEGER NOT NULL, cost_nanos INTEGER NOT NULL,"
    "  estimated_nanos INTEGER NOT NULL, unpriced INTEGER NOT NULL, latency_hist BLOB,"
    "  PRIMARY KEY(hour, developer_id, key_id, model_id)) WITHOUT ROWID;"
    "PRAGMA user_version=1;",
    /* 2: the audit trail (revocations) and the sync position of each gateway */
    "CREATE TABLE audit("
    "  id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, actor TEXT NOT NULL,"
    "  action TEXT NOT NULL, target TEXT NOT NULL, reason TEXT, result TEXT NOT NULL,"
    "  detail TEXT);"
    "CREATE TABLE sync_state("
    "  source TEXT PRIMARY KEY, position TEXT NOT NULL, updated_ms INTEGER NOT NULL);"
    "PRAGMA user_version=2;",
    /* 3: what the gateway says of each key */
    "ALTER TABLE keys ADD COLUMN shown TEXT;"
    "ALTER TABLE keys ADD COLUMN owner_hint TEXT;"
    "ALTER TABLE keys ADD COLUMN created_ms INTEGER;"
    "ALTER TABLE keys ADD COLUMN gateway_last_used_ms INTEGER;"
    "ALTER TABLE keys ADD COLUMN gateway_seen_ms INTEGER;"
    "CREATE INDEX audit_ts ON audit(ts_ms);"
    "CREATE INDEX rollup_by_key ON rollup_hourly(key_id, hour);"
    "PRAGMA user_version=3;",
    /* 4: full-text search of prompts and responses; trigram, so any script
     * (CJK included) matches by substring. Contentless: the text lives in the
     * bodies, the index holds only what finding it needs. Filled behind the
     * inserts (see search.c), not in them, so imports keep their speed. */
    "CREATE VIRTUAL TABLE request_text USING fts5(text, content='', tokenize='trigram');"
    "PRAGMA user_version=4;",
    /* 5: content-addressed messages (see body.h). A body with msg_refs holds
     * the skeleton of its log and where each message goes back; one without
     * is the whole log, as before (`tollgate migrate` converts those). No
     * index on the digest: repeats are found by the store's window of recent
     * messages, and a random-order index over every digest would make each
     * import slower than the last. */
    "CREATE TABLE messages("
    "  id INTEGER PRIMARY KEY, digest BLOB NOT NULL, raw_len INTEGER NOT NULL,"
    "  dict_id INTEGER REFERENCES body_dicts(id), first_request_id INTEGER NOT NULL, zstd BLOB NOT NULL);"
    "ALTER TABLE request_bodies ADD COLUMN msg_refs BLOB;"
    "PRAGMA user_version=5;",
    /* 6: daily rollups, so "all time" over months of history reads a day's
     * row instead of 24 hourly ones (on 10M requests, 130 ms -> ~10 ms). */
    "CREATE TABLE rollup_daily("
    "  day INTEGER NOT NULL, developer_id INTEGER NOT NULL, key_id INTEGER NOT NULL,"
    "  model_id INTEGER NOT NULL, requests INTEGER NOT NULL, errors INTEGER NOT NULL,"
    "  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,"
    "  total_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,"
    "  cache_creation_tokens INTEGER NOT NULL, cost_nanos INTEGER NOT NULL,"
    "  estimated_nanos INTEGER NOT NULL, unpriced INTEGER NOT NULL, latency_hist BLOB,"
    "  PRIMARY KEY(day, developer_id, key_id, model_id)) WITHOUT ROWID;"
    "INSERT INTO rollup_daily SELECT hour / 24, developer_id, key_id, model_id, sum(requests), sum(errors),"
    "  sum(prompt_tokens), sum(completion_tokens), sum(total_tokens), sum(cache_read_tokens),"
    "  sum(cache_creation_tokens), sum(cost_nanos), sum(estimated_nanos), sum(unpriced),"
    "  tg_latency_sum(latency_hist) FROM rollup_hourly GROUP BY hour / 24, developer_id, key_id, model_id;"
    "PRAGMA user_version=6;",
    /* 7: the log-id index moves out of requests into log_ids, keyed by a
     * 64-bit hash of the id (18 bytes an entry instead of 46: an index of
     * 10M ids is 180 MB, not 450, and every batch rewrites less of it; a
     * match is checked against the request's own log_id), kept
     * up to a watermark and filled in sorted runs (see known_log_id). A
     * UNIQUE index on random ids had every small commit rewrite about one
     * index page per log: 4 KB written per 1.5 KB log, half of the
     * collector's time. Rebuilding requests is the only way to drop its
     * UNIQUE constraint. An id must never be handed out twice, not even
     * after the newest rows were pruned: a new request below the watermark
     * would never be indexed, nor one below the search index's position ever
     * searchable. So the store hands out ids itself from IDS_USED, saved
     * once per commit (AUTOINCREMENT writes its sequence on every insert,
     * 5% of an import); it starts past both. */
    "CREATE TABLE requests_v7("
    "  id INTEGER PRIMARY KEY, log_id TEXT NOT NULL, ts_ms INTEGER NOT NULL,"
    "  developer_id INTEGER, key_id INTEGER, model_id INTEGER,"
    "  status_code INTEGER NOT NULL, is_error INTEGER NOT NULL,"
    "  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,"
    "  total_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,"
    "  cache_creation_tokens INTEGER NOT NULL,"
    "  cost_nanos INTEGER NOT NULL, cost_kind INTEGER NOT NULL,"
    "  latency_ms INTEGER, ttft_ms INTEGER, thread_id TEXT, log_type TEXT);"
    "INSERT INTO requests_v7 SELECT id, log_id, ts_ms, developer_id, key_id, model_id, status_code, is_error,"
    "  prompt_tokens, completion_tokens, total_tokens, cache_read_tokens, cache_creation_tokens, cost_nanos,"
    "  cost_kind, latency_ms, ttft_ms, thread_id, log_type FROM requests ORDER BY id;"
    "DROP TABLE requests;"
    "ALTER TABLE requests_v7 RENAME TO requests;"
    "CREATE INDEX requests_ts ON requests(ts_ms);"
    "INSERT INTO sync_state(source, position, updated_ms) VALUES('" IDS_USED "',"
    "  max(coalesce((SELECT max(id) FROM requests), 0),"
    "      coalesce((SELECT CAST(position AS INTEGER) FROM sync_state WHERE source = 'search index'), 0)), 0);"
    "CREATE TABLE log_ids(hash INTEGER NOT NULL, request_id INTEGER NOT NULL,"
    "  PRIMARY KEY(hash, request_id)) WITHOUT ROWID;"
    "INSERT INTO log_ids SELECT tg_id_hash(log_id), id FROM requests ORDER BY 1, 2;"
    "INSERT INTO sync_state(source, position, updated_ms)"
    "  SELECT '" IDS_MARK "', coalesce(max(id), 0), 0 FROM requests;"
    "PRAGMA user_version=7;",
};

enum statement {
    ST_INSERT_REQUEST,
    ST_INSERT_BODY,
    ST_INSERT_MESSAGE,
    ST_UPSERT_DEVELOPER,
    ST_UPSERT_KEY,
    ST_UPSERT_MODEL,
    ST_UPSERT_ROLLUP,
    ST_UPSERT_DAILY,
    ST_FIND_LOG_ID,
    ST_TAIL_IDS,
    ST_MERGE_IDS,
    ST_INDEX_LOG_ID,
    ST_READ_MARKS,
    ST_SET_MARK,
    ST_COUNT
};

/* Adds a batch's delta to one rollup row (hourly or daily). */
#define UPSERT_ROLLUP(TABLE, PERIOD)                                                          \
    "INSERT INTO " TABLE "(" PERIOD ", developer_id, key_id, model_id, requests, errors,"    \
    " prompt_tokens, completion_tokens, total_tokens, cache_read_tokens,"                   \
    " cache_creation_tokens, cost_nanos, estimated_nanos, unpriced, latency_hist)"          \
    " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)"                            \
    " ON CONFLICT(" PERIOD ", developer_id, key_id, model_id) DO UPDATE SET"                 \
    " requests=requests+excluded.requests, errors=errors+excluded.errors,"                  \
    " prompt_tokens=prompt_tokens+excluded.prompt_tokens,"                                  \
    " completion_tokens=completion_tokens+excluded.completion_tokens,"                      \
    " total_tokens=total_tokens+excluded.total_tokens,"                                     \
    " cache_read_tokens=cache_read_tokens+excluded.cache_read_tokens,"                      \
    " cache_creation_tokens=cache_creation_tokens+excluded.cache_creation_tokens,"          \
    " cost_nanos=cost_nanos+excluded.cost_nanos,"                                           \
    " estimated_nanos=estimated_nanos+excluded.estimated_nanos,"                            \
    " unpriced=unpriced+excluded.unpriced,"                                                 \
    " latency_hist=tg_latency_merge(latency_hist, excluded.latency_hist)"

static const char *const statement_sql[ST_COUNT] = {
    [ST_INSERT_REQUEST] =
        "INSERT INTO requests(log_id, ts_ms, developer_id, key_id, model_id, status_code,"
        " is_error, prompt_tokens, completion_tokens, total_tokens, cache_read_tokens,"
        " cache_creation_tokens, cost_nanos, cost_kind, latency_ms, ttft_ms, thread_id, log_type, id)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)",
    [ST_FIND_LOG_ID] = "SELECT r.log_id FROM log_ids i JOIN requests r ON r.id = i.request_id WHERE i.hash = ?1",
    [ST_TAIL_IDS] = "SELECT id, log_id FROM requests WHERE id > ?1 ORDER BY id",
    [ST_MERGE_IDS] = "INSERT INTO log_ids(hash, request_id) SELECT tg_id_hash(log_id), id FROM requests"
                     " WHERE id > ?1 ORDER BY 1, 2",
    [ST_INDEX_LOG_ID] = "INSERT INTO log_ids(hash, request_id) VALUES(?1, ?2)",
    [ST_READ_MARKS] = "SELECT source, position FROM sync_state WHERE source IN (?1, ?2, ?3)",
    [ST_SET_MARK] = "INSERT INTO sync_state(source, position, updated_ms) VALUES(?1, ?2, ?3)"
                    " ON CONFLICT(source) DO UPDATE SET position = excluded.position, updated_ms = excluded.updated_ms",
    [ST_INSERT_BODY] =
        "INSERT INTO request_bodies(request_id, raw_zstd, raw_len, dict_id, msg_refs) VALUES(?1,?2,?3,?4,?5)",
    [ST_INSERT_MESSAGE] =
        "INSERT INTO messages(digest, raw_len, dict_id, first_request_id, zstd) VALUES(?1,?2,?3,?4,?5)",
    [ST_UPSERT_DEVELOPER] =
        "INSERT INTO developers(ident, name, email, first_seen_ms) VALUES(?1,?2,?3,?4)"
        " ON CONFLICT(ident) DO UPDATE SET name=coalesce(excluded.name, name),"
        " email=coalesce(excluded.email, email) RETURNING id",
    [ST_UPSERT_KEY] =
        "INSERT INTO keys(ident, key_id, name, developer_id, first_seen_ms) VALUES(?1,?2,?3,?4,?5)"
        " ON CONFLICT(ident) DO UPDATE SET name=coalesce(excluded.name, name),"
        " developer_id=coalesce(developer_id, excluded.developer_id) RETURNING id",
    [ST_UPSERT_MODEL] =
        "INSERT INTO models(name, provider, first_seen_ms) VALUES(?1,?2,?3)"
        " ON CONFLICT(name) DO UPDATE SET provider=coalesce(provider, excluded.provider)"
        " RETURNING id",
    [ST_UPSERT_ROLLUP] = UPSERT_ROLLUP("rollup_hourly", "hour"),
    [ST_UPSERT_DAILY] = UPSERT_ROLLUP("rollup_daily", "day"),
};

struct rollup_key {
    int64_t hour, developer_id, key_id, model_id;
};

struct rollup_delta {
    struct rollup_key key;
    int64_t requests, errors, prompt_tokens, completion_tokens, total_tokens;
    int64_t cache_read_tokens, cache_creation_tokens, cost_nanos, estimated_nanos, unpriced;
    struct tg_latency_hist latency;
};

/* Checkpoints copy the WAL back into the db and fsync it: done inside a
 * commit, they held the collector's writer (and every client waiting on it)
 * for up to 300 ms each, and cost it 10% of its throughput. */
#define CHECKPOINT_EVERY_PAGES 4096 /* 16 MB of WAL: wake the checkpointer */
#define CHECKPOINT_INLINE_PAGES 16384 /* the writer finishes one itself, so the WAL can start over */

struct checkpointer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool wanted, stopping;
    sqlite3 *db; /* its own connection */
    int last_signalled; /* WAL pages when last woken */
};

struct tg_store {
    sqlite3 *db;
    struct checkpointer *checkpointer;
    sqlite3_stmt *stmt[ST_COUNT];
    bool in_batch;
    /* ident -> rowid caches, valid only for committed rows: cleared on rollback */
    struct hashmap *developers, *keys, *models;
    struct hashmap *rollups; /* struct rollup_key -> struct rollup_delta, per batch */
    struct tg_body_codec *codec;
    struct hashmap *dicts; /* dict id -> struct dict, loaded when a body needs one */
    struct tg_body_decoder *decoder; /* for reading bodies back */
    struct tg_msgcache *messages; /* digest -> id of the messages stored most recently */
    bool messages_loaded;         /* the window was filled from the db */
    char prune_mark[32];          /* the db's TG_STORE_PRUNE_MARK when it was */
    /* log id -> request id of the requests past the watermark (see IDS_MARK),
     * read at each begin, under the write lock, from where it left off */
    struct hashmap *tail_ids;
    int64_t ids_watermark; /* as last read */
    int64_t ids_used, ids_used_read; /* IDS_USED: now, and as read at begin */
    int64_t tail_upto;     /* the highest request id in the tail (or the watermark) */
    bool tail_loaded;
    /* Bulk imports index each id as they insert it: their batches are so big
     * that they write each index page once per batch anyway, and a merge at
     * the commit would stall their parsing threads. */
    bool index_directly;
    struct {               /* raw logs kept to train the first dictionary */
        char *bytes;
        size_t len, cap;
        size_t sizes[TG_BODY_TRAIN_SAMPLES];
        unsigned count;
        bool done;
        bool paused;
    } samples;
};

static int start_checkpointer(struct tg_store *store, const char *path, char *err, size_t errlen);

struct dict {
    size_t len;
    unsigned char bytes[];
};

int tg_store_fail(struct tg_store *store, const char *what, char *err, size_t errlen)
{
    tg_dbfault_format(store ? store->db : NULL, what, err, errlen);
    return -1;
}

sqlite3 *tg_store_sqlite(struct tg_store *store)
{
    return store->db;
}

/* Aggregate summing latency histogram blobs (tg_latency_sum): for building
 * coarser rollups from finer ones in SQL. */
static void sql_latency_sum_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    struct tg_latency_hist *h = sqlite3_aggregate_context(ctx, sizeof *h);
    if (h && sqlite3_value_type(argv[0]) == SQLITE_BLOB)
        tg_latency_add_blob(h, sqlite3_value_blob(argv[0]), (size_t)sqlite3_value_bytes(argv[0]));
}

static void sql_latency_sum_final(sqlite3_context *ctx)
{
    struct tg_latency_hist empty = {{0}};
    struct tg_latency_hist *h = sqlite3_aggregate_context(ctx, 0);
    unsigned char blob[TG_LATENCY_BLOB_SIZE];
    tg_latency_to_blob(h ? h : &empty, blob);
    sqlite3_result_blob(ctx, blob, sizeof blob, SQLITE_TRANSIENT);
}

/* SQL function merging two latency histogram blobs: rollups add up in SQL. */
static void sql_latency_merge(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct tg_latency_hist h = {{0}};
    for (int i = 0; i < argc; i++) {
        if (sqlite3_value_type(argv[i]) == SQLITE_BLOB)
            tg_latency_add_blob(&h, sqlite3_value_blob(argv[i]), (size_t)sqlite3_value_bytes(argv[i]));
    }
    unsigned char blob[TG_LATENCY_BLOB_SIZE];
    tg_latency_to_blob(&h, blob);
    sqlite3_result_blob(ctx, blob, sizeof blob, SQLITE_TRANSIENT);
}

static int exec(struct tg_store *store, const char *sql, const char *what, char *err, size_t errlen)
{
    if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return tg_store_fail(store, what, err, errlen);
    return 0;
}

int tg_store_schema_version(struct tg_store *store)
{
    sqlite3_stmt *st;
    int version = -1;
    if (sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return version;
}

static int migrate(struct tg_store *store, int target, char *err, size_t errlen)
{
    int known = (int)(sizeof migrations / sizeof migrations[0]);
    int version = tg_store_schema_version(store);
    if (version < 0)
        return tg_store_fail(store, "reading the schema version", err, errlen);
    if (version > known) {
        snprintf(err, errlen, "the database has schema version %d, newer than this tollgate knows (%d): upgrade tollgate",
                 version, known);
        return -1;
    }
    for (int v = version + 1; v <= target; v++) {
        if (exec(store, "BEGIN IMMEDIATE", "starting a migration", err, errlen) != 0)
            return -1;
        if (sqlite3_exec(store->db, migrations[v - 1], NULL, NULL, NULL) != SQLITE_OK) {
            char what[64];
            snprintf(what, sizeof what, "migrating the schema to version %d", v);
            tg_store_fail(store, what, err, errlen);
            sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
        if (exec(store, "COMMIT", "committing a migration", err, errlen) != 0)
            return -1;
    }
    return 0;
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

/* FNV-1a, 64 bits: the key of log_ids. Stored, so it never changes. Not a
 * secret and not collision-proof: a match is always checked against the
 * request's log_id, so a collision costs a lookup, never a log. */
static int64_t id_hash(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return (int64_t)h;
}

static void sql_id_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *text = (const char *)sqlite3_value_text(argv[0]);
    if (!text) {
        sqlite3_result_null(ctx);
        return;
    }
    sqlite3_result_int64(ctx, id_hash(text, (size_t)sqlite3_value_bytes(argv[0])));
}

static int configure(struct tg_store *store, bool read_only, int flags, char *err, size_t errlen)
{
    sqlite3_busy_timeout(store->db, tg_dbfault_busy_timeout_ms(10000));
    if (sqlite3_create_function(store->db, "tg_id_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                sql_id_hash, NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function(store->db, "tg_latency_merge", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                NULL, sql_latency_merge, NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function(store->db, "tg_latency_sum", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL,
                                sql_latency_sum_step, sql_latency_sum_final) != SQLITE_OK)
        return tg_store_fail(store, "registering functions", err, errlen);
    if (!read_only &&
        exec(store, "PRAGMA journal_mode=WAL", "switching to WAL mode", err, errlen) != 0)
        return -1;
    /* NORMAL in WAL mode: a crash of the process loses nothing committed; the
     * fsyncs come at checkpoints, which a 64 MB WAL keeps to a few per import
     * (at SQLite's default of 4 MB they cost a third of a large import). */
    if (exec(store,
             "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=16384;",
             "configuring the connection", err, errlen) != 0)
        return -1;
    /* the screens read a little at a time: a big cache would only grow their memory */
    if (flags & TG_STORE_SMALL_CACHE)
        return exec(store, "PRAGMA cache_size=-16384", "configuring the connection", err, errlen);
    /* Log ids are random, so each batch of an import writes all over the id
     * index; once that index outgrows the cache, every batch reads and
     * rewrites most of it and the import slows to half its speed by 3M logs.
     * A cache that holds it (about 50 bytes a log: 500 MB at 10M) keeps the
     * rate flat; SQLite takes the memory only as pages are touched. */
    if (flags & TG_STORE_BULK)
        return exec(store, "PRAGMA cache_size=-1048576", "configuring the connection", err, errlen);
    return 0;
}

static int prepare_statements(struct tg_store *store, char *err, size_t errlen)
{
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v3(store->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                               &store->stmt[i], NULL) != SQLITE_OK)
            return tg_store_fail(store, "preparing statements", err, errlen);
    }
    return 0;
}

/* A dictionary by id, read once and kept. NULL when missing. */
static const struct dict *load_dict(struct tg_store *store, int64_t id)
{
    struct dict *d = hashmap_get(store->dicts, &id, sizeof id);
    if (d)
        return d;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "SELECT dict FROM body_dicts WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        size_t len = (size_t)sqlite3_column_bytes(st, 0);
        d = malloc(sizeof *d + len);
        if (d) {
            d->len = len;
            memcpy(d->bytes, sqlite3_column_blob(st, 0), len);
            if (hashmap_put(store->dicts, &id, sizeof id, d) != 0) {
                free(d);
                d = NULL;
            }
        }
    }
    sqlite3_finalize(st);
    return d;
}

static int64_t newest_dict_id(struct tg_store *store)
{
    sqlite3_stmt *st;
    int64_t id = 0;
    if (sqlite3_prepare_v2(store->db, "SELECT max(id) FROM body_dicts", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

static int use_newest_dict(struct tg_store *store, char *err, size_t errlen)
{
    int64_t id = newest_dict_id(store);
    if (id < 0)
        return tg_store_fail(store, "reading body dictionaries", err, errlen);
    if (id == 0)
        return 0;
    const struct dict *d = load_dict(store, id);
    if (!d || tg_body_codec_set_dict(store->codec, d->bytes, d->len, id) != 0) {
        snprintf(err, errlen, "body dictionary %lld is damaged", (long long)id);
        return -1;
    }
    return 0;
}

int tg_store_body_dict(struct tg_store *store, const void **dict, size_t *len, int64_t *id)
{
    *id = tg_body_codec_dict_id(store->codec);
    if (*id == 0)
        return 0;
    const struct dict *d = load_dict(store, *id);
    if (!d)
        return -1;
    *dict = d->bytes;
    *len = d->len;
    return 1;
}

int tg_store_save_body_dict(struct tg_store *store, const void *dict, size_t len, int64_t *id, char *err,
                            size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "INSERT INTO body_dicts(dict, created_ms) VALUES(?1, ?2)", -1, &st,
                           NULL) != SQLITE_OK)
        return tg_store_fail(store, "saving a body dictionary", err, errlen);
    sqlite3_bind_blob(st, 1, dict, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, tg_now_ms());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "saving a body dictionary", err, errlen);
    *id = sqlite3_last_insert_rowid(store->db);
    if (tg_body_codec_set_dict(store->codec, dict, len, *id) != 0) {
        snprintf(err, errlen, "out of memory loading a body dictionary");
        return -1;
    }
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

/* Before anything is written: WAL mode alone would change someone else's db. */
static int check_ours(struct tg_store *store, const char *path, bool read_only, char *err, size_t errlen)
{
    if (tg_store_schema_version(store) != 0 || !tg_dbfault_foreign(store->db))
        return 0;
    snprintf(err, errlen, "%s is an SQLite database but not tollgate's%s", path,
             read_only ? "" : ": refusing to add tables to it");
    return -1;
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
    store->developers = hashmap_new();
    store->keys = hashmap_new();
    store->models = hashmap_new();
    store->rollups = hashmap_new();
    store->codec = tg_body_codec_new();
    store->dicts = hashmap_new();
    store->messages = tg_msgcache_new(TG_STORE_MESSAGE_WINDOW);
    store->decoder = tg_body_decoder_new();
    store->tail_ids = hashmap_new();
    store->index_directly = flags & TG_STORE_BULK;
    if (!store->developers || !store->keys || !store->models || !store->rollups || !store->codec ||
        !store->dicts || !store->messages || !store->decoder || !store->tail_ids) {
        snprintf(err, errlen, "out of memory");
        tg_store_close(store);
        return -1;
    }
    if ((!read_only && (check_ours(store, path, false, err, errlen) != 0 ||
                        configure(store, false, flags, err, errlen) != 0)) ||
        (read_only && (configure_reader(store, path, flags, err, errlen) != 0 ||
                       check_ours(store, path, true, err, errlen) != 0)) ||
        (!read_only && migrate(store, target, err, errlen) != 0) ||
        (!read_only && target == TG_STORE_SCHEMA_VERSION && prepare_statements(store, err, errlen) != 0)) {
        tg_store_close(store);
        return -1;
    }
    if (!read_only && target >= 1 && use_newest_dict(store, err, errlen) != 0) {
        tg_store_close(store);
        return -1;
    }
    if (!read_only && (flags & TG_STORE_BACKGROUND_CHECKPOINTS) && start_checkpointer(store, path, err, errlen) != 0) {
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

static void *checkpoint_main(void *arg)
{
    struct checkpointer *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->wanted && !c->stopping)
            pthread_cond_wait(&c->wake, &c->mu);
        if (c->stopping)
            break;
        c->wanted = false;
        pthread_mutex_unlock(&c->mu);
        /* PASSIVE: copies what it can beside the writer, never waits for it */
        sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* After each commit of the writer's connection: pages is the WAL's length. */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct checkpointer *c = arg;
    if (pages >= CHECKPOINT_INLINE_PAGES) {
        /* mostly copied by now: what is left is quick, and once all of it
         * is in the db the next transaction starts the WAL over */
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        c->last_signalled = 0;
        return SQLITE_OK;
    }
    if (pages < c->last_signalled)
        c->last_signalled = 0; /* the WAL started over */
    if (pages - c->last_signalled >= CHECKPOINT_EVERY_PAGES) {
        c->last_signalled = pages;
        pthread_mutex_lock(&c->mu);
        c->wanted = true;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->mu);
    }
    return SQLITE_OK;
}

static void stop_checkpointer(struct tg_store *store)
{
    struct checkpointer *c = store->checkpointer;
    if (!c)
        return;
    sqlite3_wal_hook(store->db, NULL, NULL);
    pthread_mutex_lock(&c->mu);
    c->stopping = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    sqlite3_close(c->db); /* before the store's: the last one to close checkpoints all and removes the WAL */
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->mu);
    free(c);
    store->checkpointer = NULL;
}

static int start_checkpointer(struct tg_store *store, const char *path, char *err, size_t errlen)
{
    struct checkpointer *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_exec(c->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s for checkpoints: %s", path, sqlite3_errmsg(c->db));
        sqlite3_close(c->db);
        free(c);
        return -1;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->thread, NULL, checkpoint_main, c) != 0) {
        snprintf(err, errlen, "cannot start the checkpoint thread");
        sqlite3_close(c->db);
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->mu);
        free(c);
        return -1;
    }
    store->checkpointer = c;
    sqlite3_wal_hook(store->db, on_wal_commit, c); /* replaces SQLite's own automatic checkpoints */
    return 0;
}

void tg_store_close(struct tg_store *store)
{
    if (!store)
        return;
    if (store->in_batch)
        tg_store_rollback(store);
    stop_checkpointer(store);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(store->stmt[i]);
    sqlite3_close(store->db);
    hashmap_free(store->developers, NULL);
    hashmap_free(store->keys, NULL);
    hashmap_free(store->models, NULL);
    hashmap_free(store->rollups, free);
    tg_body_codec_free(store->codec);
    hashmap_free(store->dicts, free);
    tg_msgcache_free(store->messages);
    tg_body_decoder_free(store->decoder);
    hashmap_free(store->tail_ids, NULL);
    free(store->samples.bytes);
    free(store);
}

/* The window of known messages starts as the newest ones stored, so a thread
 * that goes on after a restart still finds its earlier messages. */
static int load_recent_messages(struct tg_store *store, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "SELECT id, digest FROM messages ORDER BY id DESC LIMIT ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return tg_store_fail(store, "reading recent messages", err, errlen);
    sqlite3_bind_int(st, 1, TG_STORE_MESSAGE_WINDOW);
    int rc;
    tg_msgcache_clear(store->messages);
    /* one generation's worth: all of it in the current one, in any order */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 1) == TG_DIGEST_LEN)
            tg_msgcache_put(store->messages, sqlite3_column_blob(st, 1), sqlite3_column_int64(st, 0));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "reading recent messages", err, errlen);
    if (tg_store_sync_position(store, TG_STORE_PRUNE_MARK, store->prune_mark, sizeof store->prune_mark) != 1)
        store->prune_mark[0] = '\0';
    store->messages_loaded = true;
    return 0;
}

struct marks {
    char prune[32];
    int64_t ids_indexed, ids_used;
};

/* Under the write lock, in one statement: what other writers may have changed. */
static int read_marks(struct tg_store *store, struct marks *m)
{
    memset(m, 0, sizeof *m);
    sqlite3_stmt *st = store->stmt[ST_READ_MARKS];
    sqlite3_bind_text(st, 1, TG_STORE_PRUNE_MARK, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, IDS_MARK, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, IDS_USED, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *source = (const char *)sqlite3_column_text(st, 0);
        const char *position = (const char *)sqlite3_column_text(st, 1);
        if (!source || !position)
            continue;
        if (strcmp(source, TG_STORE_PRUNE_MARK) == 0)
            snprintf(m->prune, sizeof m->prune, "%s", position);
        else if (strcmp(source, IDS_MARK) == 0)
            m->ids_indexed = strtoll(position, NULL, 10);
        else
            m->ids_used = strtoll(position, NULL, 10);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int set_mark(struct tg_store *store, const char *source, int64_t value, char *err, size_t errlen)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)value);
    sqlite3_stmt *st = store->stmt[ST_SET_MARK];
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, tg_now_ms());
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : tg_store_fail(store, "saving a mark", err, errlen);
}

/* Under the write lock: the tail becomes every request past the watermark,
 * reading only the rows added since the last look (by this process or by
 * another), or all of them again when the watermark moved or a prune ran. */
static int catch_up_tail(struct tg_store *store, int64_t watermark, char *err, size_t errlen)
{
    if (!store->tail_loaded || watermark != store->ids_watermark) {
        hashmap_clear(store->tail_ids, NULL);
        store->ids_watermark = watermark;
        store->tail_upto = watermark;
        store->tail_loaded = true;
    }
    sqlite3_stmt *st = store->stmt[ST_TAIL_IDS];
    sqlite3_bind_int64(st, 1, store->tail_upto);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (hashmap_put(store->tail_ids, sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1),
                        (void *)(intptr_t)id) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        store->tail_upto = id;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        store->tail_loaded = false;
        if (rc == SQLITE_NOMEM) {
            snprintf(err, errlen, "out of memory reading recent log ids");
            return -1;
        }
        return tg_store_fail(store, "reading recent log ids", err, errlen);
    }
    return 0;
}

/* 1 when a request with this log id is stored (or added in the open batch),
 * 0 when not, -1 on error. */
static int known_log_id(struct tg_store *store, const char *log_id, char *err, size_t errlen)
{
    size_t len = strlen(log_id);
    if (hashmap_get(store->tail_ids, log_id, len))
        return 1;
    sqlite3_stmt *st = store->stmt[ST_FIND_LOG_ID];
    sqlite3_bind_int64(st, 1, id_hash(log_id, len));
    int rc, found = 0;
    while (!found && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        found = (size_t)sqlite3_column_bytes(st, 0) == len &&
                memcmp(sqlite3_column_text(st, 0), log_id, len) == 0; /* not another id of the same hash */
    }
    sqlite3_reset(st);
    if (found)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return tg_store_fail(store, "looking up a log id", err, errlen);
}

static bool merge_due(const struct tg_store *store)
{
    int64_t tail = (int64_t)hashmap_count(store->tail_ids);
    if (tail == 0)
        return false;
    int64_t due = store->ids_watermark / 4;
    due = due < IDS_MERGE_MIN ? IDS_MERGE_MIN : due > IDS_MERGE_MAX ? IDS_MERGE_MAX : due;
    return tail >= due;
}

static int save_watermark(struct tg_store *store, char *err, size_t errlen)
{
    return set_mark(store, IDS_MARK, store->tail_upto, err, errlen);
}

/* In the batch about to commit: the tail goes into log_ids in key order,
 * so the index is written page by page, and the watermark moves past it. */
static int merge_tail(struct tg_store *store, char *err, size_t errlen)
{
    sqlite3_stmt *st = store->stmt[ST_MERGE_IDS];
    sqlite3_bind_int64(st, 1, store->ids_watermark);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "indexing log ids", err, errlen);
    return save_watermark(store, err, errlen);
}

int tg_store_index_log_ids(struct tg_store *store, char *err, size_t errlen)
{
    if (!store->in_batch || !store->stmt[ST_MERGE_IDS]) {
        snprintf(err, errlen, "indexing log ids outside a batch");
        return -1;
    }
    if (hashmap_count(store->tail_ids) == 0)
        return 0;
    if (merge_tail(store, err, errlen) != 0)
        return -1;
    hashmap_clear(store->tail_ids, NULL); /* a rollback reloads it from the db */
    store->ids_watermark = store->tail_upto;
    return 0;
}

int tg_store_begin(struct tg_store *store, char *err, size_t errlen)
{
    if (store->in_batch) {
        snprintf(err, errlen, "a batch is already open");
        return -1;
    }
    if (exec(store, "BEGIN IMMEDIATE", "starting a batch", err, errlen) != 0)
        return -1;
    store->in_batch = true;
    /* Another process may have pruned messages this one still remembers: the
     * mark changes then, and is read under the write lock, so no prune can
     * slip in between this check and the commit. */
    if (!store->stmt[ST_INSERT_MESSAGE])
        return 0; /* an older schema, open for a migration test: no messages yet */
    struct marks m;
    if (read_marks(store, &m) != 0) {
        tg_store_fail(store, "starting a batch", err, errlen);
        tg_store_rollback(store);
        return -1;
    }
    if (strcmp(m.prune, store->prune_mark) != 0) {
        store->messages_loaded = false;
        store->tail_loaded = false; /* pruned requests may be among its ids */
    }
    store->ids_used = store->ids_used_read = m.ids_used;
    if ((!store->messages_loaded && load_recent_messages(store, err, errlen) != 0) ||
        catch_up_tail(store, m.ids_indexed, err, errlen) != 0 ||
        (store->index_directly && hashmap_count(store->tail_ids) > 0 && merge_tail(store, err, errlen) != 0)) {
        tg_store_rollback(store);
        return -1;
    }
    if (store->index_directly) /* what others left unindexed is indexed now, in this batch */
        hashmap_clear(store->tail_ids, NULL);
    if (store->tail_upto > store->ids_used) /* rows put in by hand, past the mark */
        store->ids_used = store->tail_upto;
    return 0;
}

static void forget_batch(struct tg_store *store)
{
    hashmap_clear(store->rollups, free);
    store->in_batch = false;
}

void tg_store_rollback(struct tg_store *store)
{
    if (!store->in_batch)
        return;
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    /* rows created in the batch are gone, and with them the ids cached for them */
    hashmap_clear(store->developers, NULL);
    hashmap_clear(store->keys, NULL);
    hashmap_clear(store->models, NULL);
    tg_msgcache_clear(store->messages); /* messages of the batch are gone too */
    store->messages_loaded = false;
    hashmap_clear(store->tail_ids, NULL); /* and the ids of its requests */
    store->tail_loaded = false;
    forget_batch(store);
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Runs an upsert ... RETURNING id and caches the id under ident. */
static int upsert_dimension(struct tg_store *store, enum statement which, struct hashmap *cache,
                            const char *ident, int64_t *id, char *err, size_t errlen)
{
    sqlite3_stmt *st = store->stmt[which];
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW)
        return tg_store_fail(store, "storing a developer, key or model", err, errlen);
    if (hashmap_put(cache, ident, strlen(ident), (void *)(intptr_t)*id) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int developer_id(struct tg_store *store, const struct tg_log *log, int64_t *id, char *err,
                        size_t errlen)
{
    *id = 0;
    if (!log->developer)
        return 0;
    void *cached = hashmap_get(store->developers, log->developer, strlen(log->developer));
    if (cached) {
        *id = (intptr_t)cached;
        return 0;
    }
    sqlite3_stmt *st = store->stmt[ST_UPSERT_DEVELOPER];
    bind_text_or_null(st, 1, log->developer);
    bind_text_or_null(st, 2, log->developer_name);
    bind_text_or_null(st, 3, log->developer_email);
    sqlite3_bind_int64(st, 4, log->ts_ms);
    return upsert_dimension(store, ST_UPSERT_DEVELOPER, store->developers, log->developer, id, err, errlen);
}

/* A key is known by its gateway id; logs that only name it are keyed by name. */
static int key_id(struct tg_store *store, const struct tg_log *log, int64_t dev_id, int64_t *id,
                  char *err, size_t errlen)
{
    *id = 0;
    if (!log->key_id && !log->key_name)
        return 0;
    char ident_buf[1100];
    const char *ident = log->key_id;
    if (!ident) {
        snprintf(ident_buf, sizeof ident_buf, "name:%s", log->key_name);
        ident = ident_buf;
    }
    void *cached = hashmap_get(store->keys, ident, strlen(ident));
    if (cached) {
        *id = (intptr_t)cached;
        return 0;
    }
    sqlite3_stmt *st = store->stmt[ST_UPSERT_KEY];
    sqlite3_bind_text(st, 1, ident, -1, SQLITE_STATIC);
    bind_text_or_null(st, 2, log->key_id);
    bind_text_or_null(st, 3, log->key_name);
    if (dev_id)
        sqlite3_bind_int64(st, 4, dev_id);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_int64(st, 5, log->ts_ms);
    return upsert_dimension(store, ST_UPSERT_KEY, store->keys, ident, id, err, errlen);
}

static int model_id(struct tg_store *store, const struct tg_log *log, int64_t *id, char *err,
                    size_t errlen)
{
    *id = 0;
    if (!log->model)
        return 0;
    void *cached = hashmap_get(store->models, log->model, strlen(log->model));
    if (cached) {
        *id = (intptr_t)cached;
        return 0;
    }
    sqlite3_stmt *st = store->stmt[ST_UPSERT_MODEL];
    bind_text_or_null(st, 1, log->model);
    bind_text_or_null(st, 2, log->provider);
    sqlite3_bind_int64(st, 3, log->ts_ms);
    return upsert_dimension(store, ST_UPSERT_MODEL, store->models, log->model, id, err, errlen);
}

static void bind_id_or_null(sqlite3_stmt *st, int i, int64_t id)
{
    if (id)
        sqlite3_bind_int64(st, i, id);
    else
        sqlite3_bind_null(st, i);
}

static void bind_ms_or_null(sqlite3_stmt *st, int i, int64_t ms)
{
    if (ms >= 0)
        sqlite3_bind_int64(st, i, ms);
    else
        sqlite3_bind_null(st, i);
}

/* Bulk mode: the id goes into log_ids at once. */
static int index_log_id(struct tg_store *store, const char *log_id, int64_t id, char *err, size_t errlen)
{
    sqlite3_stmt *st = store->stmt[ST_INDEX_LOG_ID];
    sqlite3_bind_int64(st, 1, id_hash(log_id, strlen(log_id)));
    sqlite3_bind_int64(st, 2, id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : tg_store_fail(store, "indexing a log id", err, errlen);
}

static int insert_request(struct tg_store *store, const struct tg_log *log, const struct rollup_key *k,
                          bool *inserted, char *err, size_t errlen)
{
    sqlite3_stmt *st = store->stmt[ST_INSERT_REQUEST];
    sqlite3_bind_text(st, 1, log->log_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, log->ts_ms);
    bind_id_or_null(st, 3, k->developer_id);
    bind_id_or_null(st, 4, k->key_id);
    bind_id_or_null(st, 5, k->model_id);
    sqlite3_bind_int(st, 6, log->status_code);
    sqlite3_bind_int(st, 7, log->is_error);
    sqlite3_bind_int64(st, 8, log->prompt_tokens);
    sqlite3_bind_int64(st, 9, log->completion_tokens);
    sqlite3_bind_int64(st, 10, log->total_tokens);
    sqlite3_bind_int64(st, 11, log->cache_read_tokens);
    sqlite3_bind_int64(st, 12, log->cache_creation_tokens);
    sqlite3_bind_int64(st, 13, log->cost);
    sqlite3_bind_int(st, 14, (int)log->cost_kind);
    bind_ms_or_null(st, 15, log->latency_ms);
    bind_ms_or_null(st, 16, log->ttft_ms);
    bind_text_or_null(st, 17, log->thread_id);
    bind_text_or_null(st, 18, log->log_type);
    sqlite3_bind_int64(st, 19, store->ids_used + 1);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "storing a request", err, errlen);
    int64_t id = ++store->ids_used;
    store->tail_upto = id;
    *inserted = true;
    if (store->index_directly)
        return index_log_id(store, log->log_id, id, err, errlen);
    if (hashmap_put(store->tail_ids, log->log_id, strlen(log->log_id), (void *)(intptr_t)id) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* A message's id: the stored one with the same digest, else a new row. */
static int message_id(struct tg_store *store, int64_t request_id, const struct tg_body_prepared *p,
                      const struct tg_body_piece *piece, const char *raw, int64_t *id, char *err, size_t errlen)
{
    *id = tg_msgcache_get(store->messages, piece->digest);
    if (*id)
        return 0;
    const void *z = piece->z;
    size_t z_len = piece->z_len;
    int64_t dict_id = p->dict_id;
    void *own = NULL;
    if (!z) { /* the preparer thought it sent before, but the window has moved on */
        if (tg_body_compress(store->codec, raw + piece->raw_off, piece->len, &own, &z_len, err, errlen) != 0)
            return -1;
        z = own;
        dict_id = tg_body_codec_dict_id(store->codec);
    }
    sqlite3_stmt *st = store->stmt[ST_INSERT_MESSAGE];
    sqlite3_bind_blob(st, 1, piece->digest, TG_DIGEST_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)piece->len);
    bind_id_or_null(st, 3, dict_id);
    sqlite3_bind_int64(st, 4, request_id);
    sqlite3_bind_blob(st, 5, z, (int)z_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    free(own);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "storing a message", err, errlen);
    *id = sqlite3_last_insert_rowid(store->db);
    tg_msgcache_put(store->messages, piece->digest, *id);
    return 0;
}

static int insert_prepared_body(struct tg_store *store, int64_t request_id, const struct tg_body_prepared *p,
                                const char *raw, char *err, size_t errlen)
{
    size_t at[TG_BODY_MAX_PIECES];
    int64_t ids[TG_BODY_MAX_PIECES];
    unsigned char refs[TG_BODY_REFS_BOUND(TG_BODY_MAX_PIECES)];
    for (size_t i = 0; i < p->count; i++) {
        at[i] = p->pieces[i].at;
        if (message_id(store, request_id, p, &p->pieces[i], raw, &ids[i], err, errlen) != 0)
            return -1;
    }
    size_t refs_len = tg_body_refs_encode(at, ids, p->count, refs);
    sqlite3_stmt *st = store->stmt[ST_INSERT_BODY];
    sqlite3_bind_int64(st, 1, request_id);
    sqlite3_bind_blob(st, 2, p->skeleton_z, (int)p->skeleton_z_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)p->skeleton_len);
    bind_id_or_null(st, 4, p->dict_id);
    /* an empty blob, not NULL: NULL marks a body stored whole */
    sqlite3_bind_blob(st, 5, refs, (int)refs_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "storing a request body", err, errlen);
    return 0;
}

static int insert_body(struct tg_store *store, const struct tg_log *log, char *err, size_t errlen)
{
    int64_t request_id = sqlite3_last_insert_rowid(store->db);
    struct tg_body_prepared *own = NULL;
    const struct tg_body_prepared *p = log->body;
    if (!p) {
        if (tg_body_prepare(store->codec, NULL, log->raw, log->raw_len, &own, err, errlen) != 0)
            return -1;
        p = own;
    }
    int rc = insert_prepared_body(store, request_id, p, log->raw, err, errlen);
    free(own);
    return rc;
}

static int add_to_rollup(struct tg_store *store, const struct tg_log *log, const struct rollup_key *k,
                         char *err, size_t errlen)
{
    struct rollup_delta *d = hashmap_get(store->rollups, k, sizeof *k);
    if (!d) {
        d = calloc(1, sizeof *d);
        if (!d || hashmap_put(store->rollups, k, sizeof *k, d) != 0) {
            free(d);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        d->key = *k;
    }
    d->requests++;
    d->errors += log->is_error;
    d->prompt_tokens += log->prompt_tokens;
    d->completion_tokens += log->completion_tokens;
    d->total_tokens += log->total_tokens;
    d->cache_read_tokens += log->cache_read_tokens;
    d->cache_creation_tokens += log->cache_creation_tokens;
    d->cost_nanos += log->cost;
    if (log->cost_kind == TG_COST_ESTIMATED)
        d->estimated_nanos += log->cost;
    d->unpriced += log->cost_kind == TG_COST_UNPRICED;
    if (log->latency_ms >= 0)
        tg_latency_add(&d->latency, log->latency_ms);
    return 0;
}

/* Until the db has a body dictionary, the first logs stored are kept to train
 * one; commit trains it once there are enough (see train_dictionary). */
static void keep_sample(struct tg_store *store, const struct tg_log *log)
{
    if (store->samples.done || store->samples.paused || tg_body_codec_dict_id(store->codec) != 0)
        return;
    if (store->samples.count == TG_BODY_TRAIN_SAMPLES || store->samples.len >= TG_BODY_TRAIN_MAX_BYTES)
        return;
    if (store->samples.len + log->raw_len > store->samples.cap) {
        size_t cap = store->samples.cap ? store->samples.cap * 2 : (1 << 20);
        while (cap < store->samples.len + log->raw_len)
            cap *= 2;
        char *p = realloc(store->samples.bytes, cap);
        if (!p)
            return;
        store->samples.bytes = p;
        store->samples.cap = cap;
    }
    memcpy(store->samples.bytes + store->samples.len, log->raw, log->raw_len);
    store->samples.len += log->raw_len;
    store->samples.sizes[store->samples.count++] = log->raw_len;
}

void tg_store_train_bodies(struct tg_store *store, bool on)
{
    store->samples.paused = !on;
}

/* In the open transaction, before it commits. A failed training only means
 * bodies go on without a dictionary. */
static int train_dictionary(struct tg_store *store, char *err, size_t errlen)
{
    if (store->samples.done || store->samples.paused || tg_body_codec_dict_id(store->codec) != 0 ||
        (store->samples.count < TG_BODY_TRAIN_SAMPLES && store->samples.len < TG_BODY_TRAIN_MAX_BYTES))
        return 0;
    store->samples.done = true;
    void *dict;
    size_t len;
    int rc = 0;
    int64_t id;
    if (tg_body_train(store->samples.bytes, store->samples.sizes, store->samples.count, TG_BODY_DICT_MAX_BYTES,
                      &dict, &len) == 0) {
        rc = tg_store_save_body_dict(store, dict, len, &id, err, errlen);
        free(dict);
    }
    free(store->samples.bytes);
    store->samples.bytes = NULL;
    return rc;
}

int tg_store_add(struct tg_store *store, const struct tg_log *log, bool *inserted, char *err,
                 size_t errlen)
{
    *inserted = false;
    if (!store->in_batch || !store->stmt[ST_INSERT_REQUEST]) {
        snprintf(err, errlen, "tg_store_add outside a batch, or on a db opened at an older schema");
        return -1;
    }
    int known = known_log_id(store, log->log_id, err, errlen);
    if (known != 0)
        return known < 0 ? -1 : 0;
    struct rollup_key k = {.hour = log->ts_ms / TG_HOUR_MS};
    if (developer_id(store, log, &k.developer_id, err, errlen) != 0 ||
        key_id(store, log, k.developer_id, &k.key_id, err, errlen) != 0 ||
        model_id(store, log, &k.model_id, err, errlen) != 0 ||
        insert_request(store, log, &k, inserted, err, errlen) != 0)
        return -1;
    if (!*inserted)
        return 0;
    if (insert_body(store, log, err, errlen) != 0)
        return -1;
    keep_sample(store, log);
    return add_to_rollup(store, log, &k, err, errlen);
}

/* One batch's delta for an hour, into its hourly and its daily rollup. */
static int flush_rollup(struct tg_store *store, const struct rollup_delta *d, char *err, size_t errlen)
{
    const int64_t values[] = {d->key.hour, d->key.developer_id, d->key.key_id, d->key.model_id,
                              d->requests, d->errors, d->prompt_tokens, d->completion_tokens,
                              d->total_tokens, d->cache_read_tokens, d->cache_creation_tokens,
                              d->cost_nanos, d->estimated_nanos, d->unpriced};
    unsigned char blob[TG_LATENCY_BLOB_SIZE];
    tg_latency_to_blob(&d->latency, blob);
    static const enum statement upserts[] = {ST_UPSERT_ROLLUP, ST_UPSERT_DAILY};
    for (int u = 0; u < 2; u++) {
        sqlite3_stmt *st = store->stmt[upserts[u]];
        for (int i = 0; i < (int)(sizeof values / sizeof values[0]); i++)
            sqlite3_bind_int64(st, i + 1, values[i]);
        if (u == 1)
            sqlite3_bind_int64(st, 1, d->key.hour / 24);
        sqlite3_bind_blob(st, 15, blob, sizeof blob, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (rc != SQLITE_DONE)
            return tg_store_fail(store, "updating rollups", err, errlen);
    }
    return 0;
}

int tg_store_commit(struct tg_store *store, char *err, size_t errlen)
{
    if (!store->in_batch) {
        snprintf(err, errlen, "commit outside a batch");
        return -1;
    }
    size_t pos = 0;
    const void *key;
    size_t key_len;
    void *value;
    while (hashmap_next(store->rollups, &pos, &key, &key_len, &value)) {
        if (flush_rollup(store, value, err, errlen) != 0) {
            tg_store_rollback(store);
            return -1;
        }
    }
    bool merged = store->index_directly ? store->tail_upto > store->ids_watermark : merge_due(store);
    if (train_dictionary(store, err, errlen) != 0 ||
        (store->ids_used != store->ids_used_read && set_mark(store, IDS_USED, store->ids_used, err, errlen) != 0) ||
        (merged && (store->index_directly ? save_watermark(store, err, errlen) : merge_tail(store, err, errlen)) != 0)) {
        tg_store_rollback(store);
        return -1;
    }
    if (sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        tg_store_fail(store, "committing a batch", err, errlen);
        tg_store_rollback(store);
        return -1;
    }
    if (merged) {
        hashmap_clear(store->tail_ids, NULL);
        store->ids_watermark = store->tail_upto;
    }
    forget_batch(store);
    return 0;
}

/* One stored frame back to its bytes, with the dictionary digested once. */
static int decode(struct tg_store *store, const void *z, size_t z_len, size_t raw_len, int64_t dict_id, char **out)
{
    if (dict_id && !tg_body_decoder_knows(store->decoder, dict_id)) {
        const struct dict *d = load_dict(store, dict_id);
        if (!d || tg_body_decoder_add_dict(store->decoder, dict_id, d->bytes, d->len) != 0)
            return -1;
    }
    return tg_body_decode(store->decoder, z, z_len, raw_len, dict_id, out);
}

/* The message bytes of one reference, appended to out; "{}" instead when
 * only_new_in is set and an earlier request stored the message. */
static int append_message(struct tg_store *store, sqlite3_stmt *st, int64_t id, int64_t only_new_in,
                          struct strbuf *out)
{
    sqlite3_bind_int64(st, 1, id);
    int ok = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        size_t raw_len = (size_t)sqlite3_column_int64(st, 0);
        int64_t dict_id = sqlite3_column_int64(st, 1);
        char *text = NULL;
        if (only_new_in && sqlite3_column_int64(st, 3) != only_new_in) {
            strbuf_puts(out, "{}");
            ok = 0;
        } else if (decode(store, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2), raw_len, dict_id,
                          &text) == 0) {
            strbuf_append(out, text, raw_len);
            free(text);
            ok = 0;
        }
    }
    sqlite3_reset(st);
    return ok;
}

/* Puts the messages back into the skeleton where they were taken from. */
static int reassemble(struct tg_store *store, const char *skeleton, size_t skeleton_len, const void *refs,
                      size_t refs_len, int64_t only_new_in, struct strbuf *out)
{
    size_t at[TG_BODY_MAX_PIECES];
    int64_t ids[TG_BODY_MAX_PIECES];
    long count = tg_body_refs_decode(refs, refs_len, at, ids, TG_BODY_MAX_PIECES);
    if (count < 0)
        return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "SELECT raw_len, dict_id, zstd, first_request_id FROM messages WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    size_t from = 0;
    int rc = 0;
    for (long i = 0; i < count && rc == 0; i++) {
        if (at[i] > skeleton_len) {
            rc = -1;
            break;
        }
        strbuf_append(out, skeleton + from, at[i] - from);
        from = at[i];
        rc = append_message(store, st, ids[i], only_new_in, out);
    }
    sqlite3_finalize(st);
    if (rc == 0)
        strbuf_append(out, skeleton + from, skeleton_len - from);
    return rc == 0 && !out->failed ? 0 : -1;
}

/* Decompresses a stored body row (columns from `col`: zstd, raw_len, dict_id,
 * msg_refs) back into the log's exact bytes. */
static int body_from_row(struct tg_store *store, sqlite3_stmt *st, int col, int64_t only_new_in, char **raw,
                         size_t *len)
{
    const void *blob = sqlite3_column_blob(st, col);
    size_t blob_len = (size_t)sqlite3_column_bytes(st, col);
    size_t stored_len = (size_t)sqlite3_column_int64(st, col + 1);
    int64_t dict_id = sqlite3_column_int64(st, col + 2);
    char *text = NULL;
    if (decode(store, blob, blob_len, stored_len, dict_id, &text) != 0)
        return -1;
    if (sqlite3_column_type(st, col + 3) == SQLITE_NULL) { /* stored whole */
        *raw = text;
        *len = stored_len;
        return 0;
    }
    struct strbuf out = STRBUF_INIT;
    int rc = reassemble(store, text, stored_len, sqlite3_column_blob(st, col + 3),
                        (size_t)sqlite3_column_bytes(st, col + 3), only_new_in, &out);
    free(text);
    if (rc != 0) {
        strbuf_free(&out);
        return -1;
    }
    *len = out.len;
    *raw = strbuf_detach(&out);
    return 0;
}

/* The request row of a log id: from log_ids, else among the requests past
 * its watermark. 0 when there is none, -1 on error. */
static int64_t request_of_log(struct tg_store *store, const char *log_id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT coalesce((SELECT i.request_id FROM log_ids i JOIN requests r ON"
                           " r.id = i.request_id WHERE i.hash = ?2 AND r.log_id = ?1),"
                           " (SELECT id FROM requests WHERE log_id = ?1 AND id > coalesce((SELECT CAST(position"
                           " AS INTEGER) FROM sync_state WHERE source = '" IDS_MARK "'), 0)), 0)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, log_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id_hash(log_id, strlen(log_id)));
    int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return id;
}

int tg_store_raw_log(struct tg_store *store, const char *log_id, char **raw, size_t *len, char *err,
                     size_t errlen)
{
    *raw = NULL;
    *len = 0;
    int64_t id = request_of_log(store, log_id);
    if (id < 0)
        return tg_store_fail(store, "reading a log", err, errlen);
    if (id == 0)
        return 1;
    return tg_store_raw_request(store, id, raw, len, err, errlen);
}

int tg_store_raw_request(struct tg_store *store, int64_t request_id, char **raw, size_t *len, char *err,
                         size_t errlen)
{
    *raw = NULL;
    *len = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT b.request_id, b.raw_zstd, b.raw_len, b.dict_id, b.msg_refs FROM requests r"
                           " LEFT JOIN request_bodies b ON b.request_id = r.id WHERE r.id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading a log", err, errlen);
    sqlite3_bind_int64(st, 1, request_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 1 : tg_store_fail(store, "reading a log", err, errlen);
    }
    if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
        sqlite3_finalize(st);
        snprintf(err, errlen, "body pruned");
        return 2;
    }
    int damaged = body_from_row(store, st, 1, 0, raw, len) != 0;
    sqlite3_finalize(st);
    if (damaged) {
        snprintf(err, errlen, "the stored body of request %lld is damaged", (long long)request_id);
        return -1;
    }
    return 0;
}

int tg_store_rewrite_body(struct tg_store *store, int64_t request_id, const char *raw, size_t len, char *err,
                          size_t errlen)
{
    if (!store->in_batch) {
        snprintf(err, errlen, "tg_store_rewrite_body outside a batch");
        return -1;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "DELETE FROM request_bodies WHERE request_id = ?1", -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "rewriting a body", err, errlen);
    sqlite3_bind_int64(st, 1, request_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "rewriting a body", err, errlen);
    struct tg_body_prepared *p;
    if (tg_body_prepare(store->codec, NULL, raw, len, &p, err, errlen) != 0)
        return -1;
    rc = insert_prepared_body(store, request_id, p, raw, err, errlen);
    free(p);
    return rc;
}

int tg_store_body_of(struct tg_store *store, int64_t request_id, bool only_new, char **raw, size_t *len, char *err,
                     size_t errlen)
{
    *raw = NULL;
    *len = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "SELECT raw_zstd, raw_len, dict_id, msg_refs FROM request_bodies"
                           " WHERE request_id = ?1", -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading a body", err, errlen);
    sqlite3_bind_int64(st, 1, request_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 1 : tg_store_fail(store, "reading a body", err, errlen);
    }
    int damaged = body_from_row(store, st, 0, only_new ? request_id : 0, raw, len) != 0;
    sqlite3_finalize(st);
    if (damaged) {
        snprintf(err, errlen, "the stored body of request %lld is damaged", (long long)request_id);
        return -1;
    }
    return 0;
}

int64_t tg_store_request_count(struct tg_store *store)
{
    sqlite3_stmt *st;
    int64_t n = -1;
    if (sqlite3_prepare_v2(store->db, "SELECT count(*) FROM requests", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

int tg_store_sync_position(struct tg_store *store, const char *source, char *buf, size_t len)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "SELECT position FROM sync_state WHERE source = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int found = 0;
    if (rc == SQLITE_ROW) {
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
        found = 1;
    } else if (rc != SQLITE_DONE) {
        found = -1;
    }
    sqlite3_finalize(st);
    return found;
}

int tg_store_set_sync_position(struct tg_store *store, const char *source, const char *position, char *err,
                               size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db,
                           "INSERT INTO sync_state(source, position, updated_ms) VALUES(?1, ?2, ?3)"
                           " ON CONFLICT(source) DO UPDATE SET position = excluded.position,"
                           " updated_ms = excluded.updated_ms",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "saving the sync position", err, errlen);
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, position, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, tg_now_ms());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "saving the sync position", err, errlen);
    return 0;
}
