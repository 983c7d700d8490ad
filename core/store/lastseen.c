#include "store/lastseen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum dim { DIM_DEVELOPER, DIM_KEY, DIM_MODEL, NDIMS };

struct seen_key {
    int64_t id;
    int dim;
};

/* One statement per table: the table name cannot be a bound parameter. */
static const char *const update_sql[NDIMS] = {
    [DIM_DEVELOPER] = "UPDATE developers SET last_seen_ms = ?2 WHERE id = ?1 AND coalesce(last_seen_ms, -1) < ?2",
    [DIM_KEY] = "UPDATE keys SET last_seen_ms = ?2 WHERE id = ?1 AND coalesce(last_seen_ms, -1) < ?2",
    [DIM_MODEL] = "UPDATE models SET last_seen_ms = ?2 WHERE id = ?1 AND coalesce(last_seen_ms, -1) < ?2",
};

int store_last_seen_init(struct tg_store *store)
{
    store->last_seen.newest = hashmap_new();
    return store->last_seen.newest ? 0 : -1;
}

void store_last_seen_free(struct tg_store *store)
{
    hashmap_free(store->last_seen.newest, free);
}

void store_last_seen_forget(struct tg_store *store)
{
    hashmap_clear(store->last_seen.newest, free);
}

static int note(struct tg_store *store, int dim, int64_t id, int64_t ts_ms)
{
    if (id <= 0)
        return 0;
    struct seen_key key;
    memset(&key, 0, sizeof key); /* padding too: the key is hashed as bytes */
    key.id = id;
    key.dim = dim;
    int64_t *newest = hashmap_get(store->last_seen.newest, &key, sizeof key);
    if (newest) {
        if (ts_ms > *newest)
            *newest = ts_ms;
        return 0;
    }
    newest = malloc(sizeof *newest);
    if (!newest)
        return -1;
    *newest = ts_ms;
    if (hashmap_put(store->last_seen.newest, &key, sizeof key, newest) != 0) {
        free(newest);
        return -1;
    }
    return 0;
}

int store_last_seen_add(struct tg_store *store, const struct rollup_key *k, int64_t ts_ms, char *err,
                        size_t errlen)
{
    if (note(store, DIM_DEVELOPER, k->developer_id, ts_ms) != 0 || note(store, DIM_KEY, k->key_id, ts_ms) != 0 ||
        note(store, DIM_MODEL, k->model_id, ts_ms) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int store_last_seen_flush(struct tg_store *store, char *err, size_t errlen)
{
    if (hashmap_count(store->last_seen.newest) == 0)
        return 0;
    sqlite3_stmt *st[NDIMS] = {NULL};
    int rc = 0;
    for (int d = 0; d < NDIMS && rc == 0; d++) {
        if (sqlite3_prepare_v2(store->db, update_sql[d], -1, &st[d], NULL) != SQLITE_OK)
            rc = tg_store_fail(store, "preparing the last-seen update", err, errlen);
    }
    size_t pos = 0;
    const void *key;
    size_t key_len;
    void *value;
    while (rc == 0 && hashmap_next(store->last_seen.newest, &pos, &key, &key_len, &value)) {
        const struct seen_key *k = key;
        sqlite3_stmt *s = st[k->dim];
        sqlite3_bind_int64(s, 1, k->id);
        sqlite3_bind_int64(s, 2, *(const int64_t *)value);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = tg_store_fail(store, "recording when a developer, key or model was last seen", err, errlen);
        sqlite3_reset(s);
    }
    for (int d = 0; d < NDIMS; d++)
        sqlite3_finalize(st[d]);
    return rc;
}
