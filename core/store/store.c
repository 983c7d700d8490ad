/* A batch: begin, add logs, commit or roll back. The orchestration of the
 * subsystems (see store_int.h for the map of the store's files). */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "store/activity.h"
#include "store/bodyrow.h"
#include "store/bodies.h"
#include "store/bulkindex.h"
#include "store/sortkeys.h"
#include "store/compactid.h"
#include "store/dimensions.h"
#include "store/logids.h"
#include "store/lastseen.h"
#include "store/rollups.h"
#include "store/sqlbind.h"
#include "store/store_int.h"
#include "store/syncstate.h"
#include "store/threads.h"

int store_prepare_requests(struct tg_store *store, char *err, size_t errlen)
{
    return store_prepare(store, ST_INSERT_REQUEST,
                         "INSERT INTO requests(log_id, ts_ms, developer_id, key_id, model_id, status_code,"
                         " is_error, prompt_tokens, completion_tokens, total_tokens, cache_read_tokens,"
                         " cache_creation_tokens, cost_nanos, cost_kind, latency_ms, ttft_ms, thread_id, log_type, id,"
                         " body_len, chunk_refs, body_ids)"
                         " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22)",
                         err, errlen);
}

int tg_store_begin(struct tg_store *store, char *err, size_t errlen)
{
    if (store->in_batch) {
        snprintf(err, errlen, "a batch is already open");
        return -1;
    }
    if (store_exec(store, "BEGIN IMMEDIATE", "starting a batch", err, errlen) != 0)
        return -1;
    store->in_batch = true;
    store->ready_for_logs = false; /* see store_ready_for_logs */
    return 0;
}

/* Done in the batch, not at its begin, so a batch that stores no log (the
 * search indexer, prune) never reads the 128k-message window or the log ids.
 * Still under the write lock that BEGIN IMMEDIATE took: another process may
 * have pruned messages or requests this one still remembers (the prune mark
 * changes then), stored logs, or moved the watermark, and none of it can slip
 * in between this read and the commit. */
int store_ready_for_logs(struct tg_store *store, char *err, size_t errlen)
{
    if (store->ready_for_logs || !store->stmt[ST_READ_MARKS])
        return 0; /* read already, or an older schema open for a migration test: no messages yet */
    struct store_marks m;
    if (store_read_marks(store, &m) != 0)
        return tg_store_fail(store, "starting a batch", err, errlen);
    int pruned = store_bodies_ready(store, m.prune, err, errlen);
    if (pruned < 0 || store_log_ids_ready(store, &m, pruned, err, errlen) != 0)
        return -1;
    store->ready_for_logs = true;
    return 0;
}

static void forget_batch(struct tg_store *store)
{
    store_rollups_forget(store);
    store_activity_forget(store);
    store_last_seen_forget(store);
    store_bulk_index_forget(store);
    store_threads_forget(store);
    store->in_batch = false;
    store->ready_for_logs = false;
}

void tg_store_rollback(struct tg_store *store)
{
    if (!store->in_batch)
        return;
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    /* rows created in the batch are gone, and with them the ids cached for
     * them, its messages and the log ids of its requests */
    store_dimensions_forget(store);
    store_bodies_forget(store);
    store_log_ids_forget(store);
    forget_batch(store);
}

static int insert_request(struct tg_store *store, const struct tg_log *log, const struct rollup_key *k,
                          int64_t *request_id, char *err, size_t errlen)
{
    int64_t id = store_next_request_id(store);
    sqlite3_stmt *st = store->stmt[ST_INSERT_REQUEST];
    store_bind_compact_id(st, 1, log->log_id);
    sqlite3_bind_int64(st, 2, log->ts_ms);
    tg_sql_bind_id(st, 3, k->developer_id);
    tg_sql_bind_id(st, 4, k->key_id);
    tg_sql_bind_id(st, 5, k->model_id);
    sqlite3_bind_int(st, 6, log->status_code);
    sqlite3_bind_int(st, 7, log->is_error);
    sqlite3_bind_int64(st, 8, log->prompt_tokens);
    sqlite3_bind_int64(st, 9, log->completion_tokens);
    sqlite3_bind_int64(st, 10, log->total_tokens);
    sqlite3_bind_int64(st, 11, log->cache_read_tokens);
    sqlite3_bind_int64(st, 12, log->cache_creation_tokens);
    sqlite3_bind_int64(st, 13, log->cost);
    sqlite3_bind_int(st, 14, (int)log->cost_kind);
    tg_sql_bind_ms(st, 15, log->latency_ms);
    tg_sql_bind_ms(st, 16, log->ttft_ms);
    store_bind_compact_id(st, 17, log->thread_id);
    store_bind_log_type(st, 18, log->log_type);
    sqlite3_bind_int64(st, 19, id);
    int rc = store_bodies_encode(store, id, log, err, errlen);
    if (rc != 0) {
        sqlite3_reset(st);
        return -1;
    }
    store_bodies_bind(store, st, 20);
    rc = sqlite3_step(st);
    sqlite3_reset(st); /* every parameter is bound again for the next request */
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "storing a request", err, errlen);
    *request_id = id;
    return store_log_ids_add(store, log->log_id, id, err, errlen);
}

int tg_store_add(struct tg_store *store, const struct tg_log *log, bool *inserted, char *err,
                 size_t errlen)
{
    *inserted = false;
    if (!store->in_batch || !store->stmt[ST_INSERT_REQUEST]) {
        snprintf(err, errlen, "tg_store_add outside a batch, or on a db opened at an older schema");
        return -1;
    }
    if (!store->ready_for_logs && store_ready_for_logs(store, err, errlen) != 0)
        return -1;
    store_activity_saw(store, log->ts_ms);
    int known = store_known_log_id(store, log->log_id, err, errlen);
    if (known != 0)
        return known < 0 ? -1 : 0;
    struct rollup_key k = {.hour = log->ts_ms / TG_HOUR_MS};
    int64_t request_id = 0;
    if (store_dimensions_of(store, log, &k, err, errlen) != 0 ||
        insert_request(store, log, &k, &request_id, err, errlen) != 0)
        return -1;
    *inserted = true;
    if (store_bodies_added(store, log, err, errlen) != 0)
        return -1;
    if (store_last_seen_add(store, &k, log->ts_ms, err, errlen) != 0 ||
        store_rollups_add(store, log, &k, err, errlen) != 0)
        return -1;
    return store_bulk_index_added(store, err, errlen);
}

int tg_store_commit(struct tg_store *store, char *err, size_t errlen)
{
    if (!store->in_batch) {
        snprintf(err, errlen, "commit outside a batch");
        return -1;
    }
    /* a batch that never read the log ids has none to save or merge */
    bool merged = false;
    /* the packs' compression first: it runs on the packer's thread while
     * this one writes the rest, and is waited for last */
    if (store_bodies_commit_begin(store, err, errlen) != 0 || store_rollups_flush(store, err, errlen) != 0 ||
        store_threads_flush(store, err, errlen) != 0 || store_last_seen_flush(store, err, errlen) != 0 ||
        store_activity_before_commit(store, err, errlen) != 0 ||
        (store->ready_for_logs && store_log_ids_before_commit(store, &merged, err, errlen) != 0) ||
        store_bulk_index_before_commit(store, err, errlen) != 0 ||
        store_sort_keys_before_commit(store, err, errlen) != 0 || store_bodies_before_commit(store, err, errlen) != 0) {
        tg_store_rollback(store);
        return -1;
    }
    if (sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        tg_store_fail(store, "committing a batch", err, errlen);
        tg_store_rollback(store);
        return -1;
    }
    store_log_ids_committed(store, merged);
    forget_batch(store);
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
