#include "store/dimensions.h"

#include <stdio.h>
#include <string.h>

#include "store/sqlbind.h"

int store_dimensions_init(struct tg_store *store)
{
    struct store_dimensions *d = &store->dimensions;
    d->developers = hashmap_new();
    d->keys = hashmap_new();
    d->models = hashmap_new();
    return d->developers && d->keys && d->models ? 0 : -1;
}

void store_dimensions_free(struct tg_store *store)
{
    hashmap_free(store->dimensions.developers, NULL);
    hashmap_free(store->dimensions.keys, NULL);
    hashmap_free(store->dimensions.models, NULL);
}

void store_dimensions_forget(struct tg_store *store)
{
    hashmap_clear(store->dimensions.developers, NULL);
    hashmap_clear(store->dimensions.keys, NULL);
    hashmap_clear(store->dimensions.models, NULL);
}

int store_prepare_dimensions(struct tg_store *store, char *err, size_t errlen)
{
    if (store_prepare(store, ST_UPSERT_DEVELOPER,
                      "INSERT INTO developers(ident, name, email, first_seen_ms) VALUES(?1,?2,?3,?4)"
                      " ON CONFLICT(ident) DO UPDATE SET name=coalesce(excluded.name, name),"
                      " email=coalesce(excluded.email, email) RETURNING id",
                      err, errlen) != 0 ||
        store_prepare(store, ST_UPSERT_KEY,
                      "INSERT INTO keys(ident, key_id, name, developer_id, first_seen_ms) VALUES(?1,?2,?3,?4,?5)"
                      " ON CONFLICT(ident) DO UPDATE SET name=coalesce(excluded.name, name),"
                      " developer_id=coalesce(developer_id, excluded.developer_id) RETURNING id",
                      err, errlen) != 0)
        return -1;
    return store_prepare(store, ST_UPSERT_MODEL,
                         "INSERT INTO models(name, provider, first_seen_ms) VALUES(?1,?2,?3)"
                         " ON CONFLICT(name) DO UPDATE SET provider=coalesce(provider, excluded.provider)"
                         " RETURNING id",
                         err, errlen);
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
    void *cached = hashmap_get(store->dimensions.developers, log->developer, strlen(log->developer));
    if (cached) {
        *id = (intptr_t)cached;
        return 0;
    }
    sqlite3_stmt *st = store->stmt[ST_UPSERT_DEVELOPER];
    sqlite3_bind_text(st, 1, log->developer, -1, SQLITE_STATIC);
    tg_sql_bind_text(st, 2, log->developer_name);
    tg_sql_bind_text(st, 3, log->developer_email);
    sqlite3_bind_int64(st, 4, log->ts_ms);
    return upsert_dimension(store, ST_UPSERT_DEVELOPER, store->dimensions.developers, log->developer, id, err,
                            errlen);
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
    void *cached = hashmap_get(store->dimensions.keys, ident, strlen(ident));
    if (cached) {
        *id = (intptr_t)cached;
        return 0;
    }
    sqlite3_stmt *st = store->stmt[ST_UPSERT_KEY];
    sqlite3_bind_text(st, 1, ident, -1, SQLITE_STATIC);
    tg_sql_bind_text(st, 2, log->key_id);
    tg_sql_bind_text(st, 3, log->key_name);
    tg_sql_bind_id(st, 4, dev_id);
    sqlite3_bind_int64(st, 5, log->ts_ms);
    return upsert_dimension(store, ST_UPSERT_KEY, store->dimensions.keys, ident, id, err, errlen);
}

static int model_id(struct tg_store *store, const struct tg_log *log, int64_t *id, char *err,
                    size_t errlen)
{
    *id = 0;
    if (!log->model)
        return 0;
    void *cached = hashmap_get(store->dimensions.models, log->model, strlen(log->model));
    if (cached) {
        *id = (intptr_t)cached;
        return 0;
    }
    sqlite3_stmt *st = store->stmt[ST_UPSERT_MODEL];
    sqlite3_bind_text(st, 1, log->model, -1, SQLITE_STATIC);
    tg_sql_bind_text(st, 2, log->provider);
    sqlite3_bind_int64(st, 3, log->ts_ms);
    return upsert_dimension(store, ST_UPSERT_MODEL, store->dimensions.models, log->model, id, err, errlen);
}

int store_dimensions_of(struct tg_store *store, const struct tg_log *log, struct rollup_key *k, char *err,
                        size_t errlen)
{
    if (developer_id(store, log, &k->developer_id, err, errlen) != 0 ||
        key_id(store, log, k->developer_id, &k->key_id, err, errlen) != 0)
        return -1;
    return model_id(store, log, &k->model_id, err, errlen);
}
