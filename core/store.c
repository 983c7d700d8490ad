#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "body.h"
#include "dbfault.h"
#include "hashmap.h"
#include "latency.h"
#include "timeutil.h"

#define HOUR_MS 3600000LL

/* Each migration is constant SQL ending with its own user_version, applied in
 * one transaction. Never edit a released migration: add the next one. */
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
};

enum statement {
    ST_INSERT_REQUEST,
    ST_INSERT_BODY,
    ST_UPSERT_DEVELOPER,
    ST_UPSERT_KEY,
    ST_UPSERT_MODEL,
    ST_UPSERT_ROLLUP,
    ST_COUNT
};

static const char *const statement_sql[ST_COUNT] = {
    [ST_INSERT_REQUEST] =
        "INSERT INTO requests(log_id, ts_ms, developer_id, key_id, model_id, status_code,"
        " is_error, prompt_tokens, completion_tokens, total_tokens, cache_read_tokens,"
        " cache_creation_tokens, cost_nanos, cost_kind, latency_ms, ttft_ms, thread_id, log_type)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)"
        " ON CONFLICT(log_id) DO NOTHING",
    [ST_INSERT_BODY] =
        "INSERT INTO request_bodies(request_id, raw_zstd, raw_len, dict_id) VALUES(?1,?2,?3,?4)",
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
    [ST_UPSERT_ROLLUP] =
        "INSERT INTO rollup_hourly(hour, developer_id, key_id, model_id, requests, errors,"
        " prompt_tokens, completion_tokens, total_tokens, cache_read_tokens,"
        " cache_creation_tokens, cost_nanos, estimated_nanos, unpriced, latency_hist)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)"
        " ON CONFLICT(hour, developer_id, key_id, model_id) DO UPDATE SET"
        " requests=requests+excluded.requests, errors=errors+excluded.errors,"
        " prompt_tokens=prompt_tokens+excluded.prompt_tokens,"
        " completion_tokens=completion_tokens+excluded.completion_tokens,"
        " total_tokens=total_tokens+excluded.total_tokens,"
        " cache_read_tokens=cache_read_tokens+excluded.cache_read_tokens,"
        " cache_creation_tokens=cache_creation_tokens+excluded.cache_creation_tokens,"
        " cost_nanos=cost_nanos+excluded.cost_nanos,"
        " estimated_nanos=estimated_nanos+excluded.estimated_nanos,"
        " unpriced=unpriced+excluded.unpriced,"
        " latency_hist=tg_latency_merge(latency_hist, excluded.latency_hist)",
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

struct tg_store {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT];
    bool in_batch;
    /* ident -> rowid caches, valid only for committed rows: cleared on rollback */
    struct hashmap *developers, *keys, *models;
    struct hashmap *rollups; /* struct rollup_key -> struct rollup_delta, per batch */
    struct tg_body_codec *codec;
    struct hashmap *dicts; /* dict id -> struct dict, loaded when a body needs one */
    struct {               /* raw logs kept to train the first dictionary */
        char *bytes;
        size_t len, cap;
        size_t sizes[TG_BODY_TRAIN_SAMPLES];
        unsigned count;
        bool done;
        bool paused;
    } samples;
};

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

static int configure(struct tg_store *store, bool read_only, bool small_cache, char *err, size_t errlen)
{
    sqlite3_busy_timeout(store->db, tg_dbfault_busy_timeout_ms(10000));
    if (sqlite3_create_function(store->db, "tg_latency_merge", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                NULL, sql_latency_merge, NULL, NULL) != SQLITE_OK)
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
    return small_cache ? exec(store, "PRAGMA cache_size=-16384", "configuring the connection", err, errlen) : 0;
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

static int configure_reader(struct tg_store *store, const char *path, bool small_cache, char *err, size_t errlen)
{
    if (configure(store, true, small_cache, err, errlen) == 0)
        return 0;
    if (!tg_dbfault_wal_unavailable(store->db))
        return -1;
    if (tg_dbfault_reopen_immutable(&store->db, path) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, sqlite3_errmsg(store->db));
        return -1;
    }
    return configure(store, true, small_cache, err, errlen);
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
    if (!store->developers || !store->keys || !store->models || !store->rollups || !store->codec ||
        !store->dicts) {
        snprintf(err, errlen, "out of memory");
        tg_store_close(store);
        return -1;
    }
    bool small_cache = flags & TG_STORE_SMALL_CACHE;
    if ((!read_only && (check_ours(store, path, false, err, errlen) != 0 ||
                        configure(store, false, small_cache, err, errlen) != 0)) ||
        (read_only && (configure_reader(store, path, small_cache, err, errlen) != 0 ||
                       check_ours(store, path, true, err, errlen) != 0)) ||
        (!read_only && migrate(store, target, err, errlen) != 0) ||
        (!read_only && prepare_statements(store, err, errlen) != 0)) {
        tg_store_close(store);
        return -1;
    }
    if (!read_only && target >= 1 && use_newest_dict(store, err, errlen) != 0) {
        tg_store_close(store);
        return -1;
    }
    if (read_only && tg_store_schema_version(store) != TG_STORE_SCHEMA_VERSION) {
        snprintf(err, errlen, "%s has schema version %d, this tollgate needs %d: open it once read-write to migrate",
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

void tg_store_close(struct tg_store *store)
{
    if (!store)
        return;
    if (store->in_batch)
        tg_store_rollback(store);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(store->stmt[i]);
    sqlite3_close(store->db);
    hashmap_free(store->developers, NULL);
    hashmap_free(store->keys, NULL);
    hashmap_free(store->models, NULL);
    hashmap_free(store->rollups, free);
    tg_body_codec_free(store->codec);
    hashmap_free(store->dicts, free);
    free(store->samples.bytes);
    free(store);
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
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "storing a request", err, errlen);
    *inserted = sqlite3_changes(store->db) > 0;
    return 0;
}

static int insert_body(struct tg_store *store, const struct tg_log *log, char *err, size_t errlen)
{
    void *own = NULL;
    const void *body = log->body;
    size_t body_len = log->body_len;
    int64_t dict_id = log->body_dict_id;
    if (!body) {
        if (tg_body_compress(store->codec, log->raw, log->raw_len, &own, &body_len, err, errlen) != 0)
            return -1;
        body = own;
        dict_id = tg_body_codec_dict_id(store->codec);
    }
    sqlite3_stmt *st = store->stmt[ST_INSERT_BODY];
    sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(store->db));
    sqlite3_bind_blob(st, 2, body, (int)body_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)log->raw_len);
    bind_id_or_null(st, 4, dict_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    free(own);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "storing a request body", err, errlen);
    return 0;
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
    if (!store->in_batch) {
        snprintf(err, errlen, "tg_store_add outside a batch");
        return -1;
    }
    struct rollup_key k = {.hour = log->ts_ms / HOUR_MS};
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

static int flush_rollup(struct tg_store *store, const struct rollup_delta *d, char *err, size_t errlen)
{
    sqlite3_stmt *st = store->stmt[ST_UPSERT_ROLLUP];
    const int64_t values[] = {d->key.hour, d->key.developer_id, d->key.key_id, d->key.model_id,
                              d->requests, d->errors, d->prompt_tokens, d->completion_tokens,
                              d->total_tokens, d->cache_read_tokens, d->cache_creation_tokens,
                              d->cost_nanos, d->estimated_nanos, d->unpriced};
    for (int i = 0; i < (int)(sizeof values / sizeof values[0]); i++)
        sqlite3_bind_int64(st, i + 1, values[i]);
    unsigned char blob[TG_LATENCY_BLOB_SIZE];
    tg_latency_to_blob(&d->latency, blob);
    sqlite3_bind_blob(st, 15, blob, sizeof blob, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "updating rollups", err, errlen);
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
    if (train_dictionary(store, err, errlen) != 0) {
        tg_store_rollback(store);
        return -1;
    }
    if (sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        tg_store_fail(store, "committing a batch", err, errlen);
        tg_store_rollback(store);
        return -1;
    }
    forget_batch(store);
    return 0;
}

int tg_store_raw_log(struct tg_store *store, const char *log_id, char **raw, size_t *len, char *err,
                     size_t errlen)
{
    *raw = NULL;
    *len = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT b.raw_zstd, b.raw_len, b.dict_id FROM requests r"
                           " JOIN request_bodies b ON b.request_id = r.id WHERE r.log_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading a log", err, errlen);
    sqlite3_bind_text(st, 1, log_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 1 : tg_store_fail(store, "reading a log", err, errlen);
    }
    const void *blob = sqlite3_column_blob(st, 0);
    size_t blob_len = (size_t)sqlite3_column_bytes(st, 0);
    size_t raw_len = (size_t)sqlite3_column_int64(st, 1);
    int64_t dict_id = sqlite3_column_int64(st, 2);
    const struct dict *d = dict_id ? load_dict(store, dict_id) : NULL;
    char *out = NULL;
    int damaged = (dict_id && !d) ||
                  tg_body_decompress(blob, blob_len, raw_len, d ? d->bytes : NULL, d ? d->len : 0, &out) != 0;
    sqlite3_finalize(st);
    if (damaged) {
        snprintf(err, errlen, "the stored body of %s is damaged", log_id);
        return -1;
    }
    *raw = out;
    *len = raw_len;
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
