#include "store/logids.h"

#include <stdio.h>
#include <string.h>

#include "store/compactid.h"

/* The tail is merged into log_ids in one sorted run once it holds a
 * quarter as many ids as the index (so each merge writes the index once
 * for a quarter of its size: ~200 bytes a log up to 1M requests; an eighth
 * stalled the collector twice as often for little less memory), between
 * these bounds. The upper one bounds the tail's memory (~110 bytes an id):
 * at 1M ids a 120 s soak grew the collector to 430 MB; at 262,144 a merge
 * on a 10M db rewrites the index (180 MB) every 262k logs instead. */
#define IDS_MERGE_MIN 65536
#define IDS_MERGE_MAX 262144

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

/* Of the id's text, also for a UUID stored packed (see compactid.h). */
void store_sql_id_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_BLOB && sqlite3_value_bytes(argv[0]) == STORE_UUID_BYTES) {
        char text[STORE_UUID_TEXT + 1];
        store_uuid_unpack(sqlite3_value_blob(argv[0]), text);
        sqlite3_result_int64(ctx, id_hash(text, STORE_UUID_TEXT));
        return;
    }
    const char *text = (const char *)sqlite3_value_text(argv[0]);
    if (!text) {
        sqlite3_result_null(ctx);
        return;
    }
    sqlite3_result_int64(ctx, id_hash(text, (size_t)sqlite3_value_bytes(argv[0])));
}

int store_log_ids_init(struct tg_store *store, bool index_directly)
{
    struct store_log_ids *ids = &store->ids;
    ids->tail = hashmap_new();
    ids->index_directly = index_directly;
    ids->merge_min = IDS_MERGE_MIN;
    ids->merge_max = IDS_MERGE_MAX;
    return ids->tail ? 0 : -1;
}

void store_log_ids_free(struct tg_store *store)
{
    hashmap_free(store->ids.tail, NULL);
    store_id_run_free(&store->ids.run);
    store_id_filter_free(&store->ids.filter);
}

void tg_store_set_id_merge_bounds(struct tg_store *store, int64_t min, int64_t max)
{
    store->ids.merge_min = min;
    store->ids.merge_max = max;
}

int store_prepare_log_ids(struct tg_store *store, char *err, size_t errlen)
{
    if (store_prepare(store, ST_FIND_LOG_ID,
                      "SELECT tg_id_text(r.log_id) FROM log_ids i JOIN requests r ON r.id = i.request_id"
                      " WHERE i.hash = ?1",
                      err, errlen) != 0 ||
        store_prepare(store, ST_TAIL_IDS, "SELECT id, tg_id_text(log_id) FROM requests WHERE id > ?1 ORDER BY id", err,
                      errlen) != 0 ||
        store_prepare(store, ST_MERGE_IDS,
                      "INSERT INTO log_ids(hash, request_id) SELECT tg_id_hash(log_id), id FROM requests"
                      " WHERE id > ?1 ORDER BY 1, 2",
                      err, errlen) != 0)
        return -1;
    /* as text: a UUID is stored packed (compactid.h) and compared as the text it was logged as */
    if (store_prepare(store, ST_LOG_ID_OF, "SELECT tg_id_text(log_id) FROM requests WHERE id = ?1", err, errlen) != 0)
        return -1;
    return store_prepare(store, ST_INDEX_LOG_ID, "INSERT INTO log_ids(hash, request_id) VALUES(?1, ?2)", err,
                         errlen);
}

/* Under the write lock: the tail becomes every request past the watermark,
 * reading only the rows added since the last look (by this process or by
 * another), or all of them again when the watermark moved or a prune ran. */
static int catch_up_tail(struct tg_store *store, int64_t watermark, char *err, size_t errlen)
{
    struct store_log_ids *ids = &store->ids;
    if (!ids->tail_loaded || watermark != ids->watermark) {
        hashmap_clear(ids->tail, NULL);
        ids->watermark = watermark;
        ids->tail_upto = watermark;
        ids->tail_loaded = true;
    }
    sqlite3_stmt *st = store->stmt[ST_TAIL_IDS];
    sqlite3_bind_int64(st, 1, ids->tail_upto);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (hashmap_put(ids->tail, sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1),
                        (void *)(intptr_t)id) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        ids->tail_upto = id;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        ids->tail_loaded = false;
        if (rc == SQLITE_NOMEM) {
            snprintf(err, errlen, "out of memory reading recent log ids");
            return -1;
        }
        return tg_store_fail(store, "reading recent log ids", err, errlen);
    }
    return 0;
}

static int save_watermark(struct tg_store *store, char *err, size_t errlen)
{
    return store_set_mark(store, IDS_MARK, store->ids.tail_upto, err, errlen);
}

/* In the batch about to commit: the tail goes into log_ids in key order,
 * so the index is written page by page, and the watermark moves past it. */
static int merge_tail(struct tg_store *store, char *err, size_t errlen)
{
    sqlite3_stmt *st = store->stmt[ST_MERGE_IDS];
    sqlite3_bind_int64(st, 1, store->ids.watermark);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "indexing log ids", err, errlen);
    return save_watermark(store, err, errlen);
}

/* Under the write lock: the ids stored since the filter last looked (by
 * other writers, or the tail's when it is built) join it (request ids only
 * grow, see IDS_USED). */
static int filter_catch_up(struct tg_store *store, char *err, size_t errlen)
{
    struct store_log_ids *ids = &store->ids;
    sqlite3_stmt *st = store->stmt[ST_TAIL_IDS];
    sqlite3_bind_int64(st, 1, ids->filter_upto);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_id_filter_add(&ids->filter, (uint64_t)id_hash((const char *)sqlite3_column_text(st, 1),
                                                            (size_t)sqlite3_column_bytes(st, 1)));
        ids->filter_upto = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        store_id_filter_free(&ids->filter);
        return tg_store_fail(store, "reading recent log ids", err, errlen);
    }
    if (store_id_filter_full(&ids->filter))
        store_id_filter_free(&ids->filter); /* built again, bigger, when it pays */
    return 0;
}

/* In the batch: every id in log_ids, and the batch's run (bulk) or the tail
 * past the watermark, this batch's ids included (a collector), goes into a
 * filter with room for as many again, so it is rebuilt only once the stored
 * ids have doubled. Scanning log_ids costs a fraction of a probe a row, so
 * the filter is built once the store has looked up a sixteenth as many ids as
 * the db holds: an import of a few logs into a big db keeps probing. The
 * probe was 12% of the writer's CPU on 100k small logs into a db of 100k
 * (5.4% -> 1.4% of all samples), and 11% of the batched collector's. */
#define FILTER_AFTER_PROBES_PER_ROW 16
static int build_filter(struct tg_store *store, char *err, size_t errlen)
{
    struct store_log_ids *ids = &store->ids;
    if (store_id_filter_init(&ids->filter, (size_t)ids->used * 2 + 65536) != 0)
        return 0; /* out of memory: probe every id as before */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "SELECT hash FROM log_ids", -1, &st, NULL) != SQLITE_OK) {
        store_id_filter_free(&ids->filter);
        return tg_store_fail(store, "reading the log ids", err, errlen);
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        store_id_filter_add(&ids->filter, (uint64_t)sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        store_id_filter_free(&ids->filter);
        return tg_store_fail(store, "reading the log ids", err, errlen);
    }
    if (!ids->index_directly) { /* the tail's ids, this batch's too, are not in log_ids yet */
        size_t pos = 0, len;
        const void *key;
        void *value;
        while (hashmap_next(ids->tail, &pos, &key, &len, &value))
            store_id_filter_add(&ids->filter, (uint64_t)id_hash(key, len));
        ids->filter_upto = ids->tail_upto;
        return 0;
    }
    for (size_t i = 0; i < ids->run.cap; i++) { /* this batch's, not in log_ids yet */
        if (ids->run.slots[i].id != 0)
            store_id_filter_add(&ids->filter, (uint64_t)ids->run.slots[i].hash);
    }
    ids->filter_upto = ids->used;
    return 0;
}

int store_log_ids_ready(struct tg_store *store, const struct store_marks *m, bool pruned, char *err,
                        size_t errlen)
{
    struct store_log_ids *ids = &store->ids;
    if (pruned)
        ids->tail_loaded = false; /* pruned requests may be among its ids */
    ids->used = ids->used_read = m->ids_used;
    if (catch_up_tail(store, m->ids_indexed, err, errlen) != 0 ||
        (ids->index_directly && hashmap_count(ids->tail) > 0 && merge_tail(store, err, errlen) != 0))
        return -1;
    if (ids->index_directly) /* what others left unindexed is indexed now, in this batch */
        hashmap_clear(ids->tail, NULL);
    if (ids->tail_upto > ids->used) /* rows put in by hand, past the mark */
        ids->used = ids->tail_upto;
    return ids->filter.words ? filter_catch_up(store, err, errlen) : 0;
}

/* Whether one of the batch's own requests under hash has this log id: 1, 0,
 * or -1 on error. */
static int known_in_run(struct tg_store *store, const char *log_id, size_t len, int64_t hash, char *err,
                        size_t errlen)
{
    sqlite3_stmt *st = store->stmt[ST_LOG_ID_OF];
    size_t pos = 0;
    int64_t id;
    while ((id = store_id_run_next(&store->ids.run, hash, &pos)) != 0) {
        sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        bool same = rc == SQLITE_ROW && (size_t)sqlite3_column_bytes(st, 0) == len &&
                    memcmp(sqlite3_column_text(st, 0), log_id, len) == 0;
        sqlite3_reset(st);
        if (rc != SQLITE_ROW)
            return tg_store_fail(store, "looking up a log id", err, errlen);
        if (same)
            return 1;
    }
    return 0;
}

int store_known_log_id(struct tg_store *store, const char *log_id, char *err, size_t errlen)
{
    struct store_log_ids *ids = &store->ids;
    size_t len = strlen(log_id);
    if (hashmap_get(ids->tail, log_id, len))
        return 1;
    int64_t hash = id_hash(log_id, len);
    if (!ids->filter.words && ++ids->probes * FILTER_AFTER_PROBES_PER_ROW >= ids->used &&
        build_filter(store, err, errlen) != 0)
        return -1;
    if (ids->filter.words && !store_id_filter_maybe(&ids->filter, (uint64_t)hash))
        return 0;
    if (ids->index_directly) {
        int in_run = known_in_run(store, log_id, len, hash, err, errlen);
        if (in_run != 0)
            return in_run;
    }
    sqlite3_stmt *st = store->stmt[ST_FIND_LOG_ID];
    sqlite3_bind_int64(st, 1, hash);
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

int64_t store_next_request_id(const struct tg_store *store)
{
    return store->ids.used + 1;
}

static void filter_add(struct store_log_ids *ids, int64_t hash, int64_t id)
{
    if (!ids->filter.words)
        return;
    store_id_filter_add(&ids->filter, (uint64_t)hash);
    ids->filter_upto = id;
    if (store_id_filter_full(&ids->filter))
        store_id_filter_free(&ids->filter); /* built again, bigger, when it pays */
}

/* Bulk mode: the id waits in the run for the commit (write_run). */
static int index_log_id(struct tg_store *store, const char *log_id, int64_t id, char *err, size_t errlen)
{
    struct store_log_ids *ids = &store->ids;
    int64_t hash = id_hash(log_id, strlen(log_id));
    filter_add(ids, hash, id);
    if (store_id_run_add(&ids->run, hash, id) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Bulk mode, in the batch: the run's ids go into log_ids in key order. */
static int write_run(struct tg_store *store, char *err, size_t errlen)
{
    struct store_id_run *run = &store->ids.run;
    size_t n = store_id_run_sort(run);
    sqlite3_stmt *st = store->stmt[ST_INDEX_LOG_ID];
    int rc = SQLITE_DONE;
    for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
        sqlite3_bind_int64(st, 1, run->slots[i].hash);
        sqlite3_bind_int64(st, 2, run->slots[i].id);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
    }
    store_id_run_clear(run);
    return rc == SQLITE_DONE ? 0 : tg_store_fail(store, "indexing log ids", err, errlen);
}

int store_log_ids_add(struct tg_store *store, const char *log_id, int64_t id, char *err, size_t errlen)
{
    struct store_log_ids *ids = &store->ids;
    ids->used = id;
    ids->tail_upto = id;
    if (ids->index_directly)
        return index_log_id(store, log_id, id, err, errlen);
    size_t len = strlen(log_id);
    filter_add(ids, id_hash(log_id, len), id);
    if (hashmap_put(ids->tail, log_id, len, (void *)(intptr_t)id) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static bool merge_due(const struct store_log_ids *ids)
{
    int64_t tail = (int64_t)hashmap_count(ids->tail);
    if (tail == 0)
        return false;
    int64_t due = ids->watermark / 4;
    due = due < ids->merge_min ? ids->merge_min : due > ids->merge_max ? ids->merge_max : due;
    return tail >= due;
}

int store_log_ids_before_commit(struct tg_store *store, bool *merged, char *err, size_t errlen)
{
    struct store_log_ids *ids = &store->ids;
    *merged = ids->index_directly ? ids->tail_upto > ids->watermark : merge_due(ids);
    if (ids->used != ids->used_read && store_set_mark(store, IDS_USED, ids->used, err, errlen) != 0)
        return -1;
    if (ids->run.count > 0 && write_run(store, err, errlen) != 0)
        return -1;
    if (*merged && (ids->index_directly ? save_watermark(store, err, errlen) : merge_tail(store, err, errlen)) != 0)
        return -1;
    return 0;
}

void store_log_ids_committed(struct tg_store *store, bool merged)
{
    if (!merged)
        return;
    hashmap_clear(store->ids.tail, NULL);
    store->ids.watermark = store->ids.tail_upto;
}

void store_log_ids_forget(struct tg_store *store)
{
    hashmap_clear(store->ids.tail, NULL);
    store_id_run_clear(&store->ids.run);
    /* the ids of the rolled-back requests may be handed out again, to logs
     * the filter would not know */
    store_id_filter_free(&store->ids.filter);
    store->ids.tail_loaded = false;
}

int tg_store_index_log_ids(struct tg_store *store, char *err, size_t errlen)
{
    if (!store->in_batch || !store->stmt[ST_MERGE_IDS]) {
        snprintf(err, errlen, "indexing log ids outside a batch");
        return -1;
    }
    if (store_ready_for_logs(store, err, errlen) != 0)
        return -1;
    if (store->ids.run.count > 0 && write_run(store, err, errlen) != 0)
        return -1;
    if (hashmap_count(store->ids.tail) == 0)
        return 0;
    if (merge_tail(store, err, errlen) != 0)
        return -1;
    hashmap_clear(store->ids.tail, NULL); /* a rollback reloads it from the db */
    store->ids.watermark = store->ids.tail_upto;
    return 0;
}

/* From log_ids, else among the requests past its watermark. */
int64_t tg_store_request_of_log(struct tg_store *store, const char *log_id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT coalesce((SELECT i.request_id FROM log_ids i JOIN requests r ON"
                           " r.id = i.request_id WHERE i.hash = ?2 AND r.log_id IN (?1, tg_id_pack(?1))),"
                           " (SELECT id FROM requests WHERE log_id IN (?1, tg_id_pack(?1))"
                           "  AND id > coalesce((SELECT CAST(position AS INTEGER) FROM sync_state"
                           "  WHERE source = '" IDS_MARK "'), 0)), 0)",
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
    int64_t id = tg_store_request_of_log(store, log_id);
    if (id < 0)
        return tg_store_fail(store, "reading a log", err, errlen);
    if (id == 0)
        return 1;
    return tg_store_raw_request(store, id, raw, len, err, errlen);
}
