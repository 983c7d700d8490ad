#include "store/rollups.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/money.h"

struct rollup_delta {
    struct rollup_key key;
    int64_t requests, errors, prompt_tokens, completion_tokens, total_tokens;
    int64_t cache_read_tokens, cache_creation_tokens, cost_nanos, estimated_nanos, unpriced;
    struct tg_latency_hist latency;
};

/* Adds a batch's delta to one rollup row (hourly or daily). The sums go
 * through tg_add (below), not "+": SQLite turns an integer "+" that overflows
 * into a float, which would keep a wrong total without a word. */
#define UPSERT_ROLLUP(TABLE, PERIOD)                                                          \
    "INSERT INTO " TABLE "(" PERIOD ", developer_id, key_id, model_id, requests, errors,"    \
    " prompt_tokens, completion_tokens, total_tokens, cache_read_tokens,"                   \
    " cache_creation_tokens, cost_nanos, estimated_nanos, unpriced, latency_hist)"          \
    " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)"                            \
    " ON CONFLICT(" PERIOD ", developer_id, key_id, model_id) DO UPDATE SET"                 \
    " requests=tg_add(requests, excluded.requests), errors=tg_add(errors, excluded.errors),"  \
    " prompt_tokens=tg_add(prompt_tokens, excluded.prompt_tokens),"                         \
    " completion_tokens=tg_add(completion_tokens, excluded.completion_tokens),"             \
    " total_tokens=tg_add(total_tokens, excluded.total_tokens),"                            \
    " cache_read_tokens=tg_add(cache_read_tokens, excluded.cache_read_tokens),"             \
    " cache_creation_tokens=tg_add(cache_creation_tokens, excluded.cache_creation_tokens),"  \
    " cost_nanos=tg_add(cost_nanos, excluded.cost_nanos),"                                  \
    " estimated_nanos=tg_add(estimated_nanos, excluded.estimated_nanos),"                   \
    " unpriced=tg_add(unpriced, excluded.unpriced),"                                        \
    " latency_hist=tg_latency_merge(latency_hist, excluded.latency_hist)"

/* What a rollup sum that does not fit says, in the store and in SQL. */
#define ROLLUP_OVERFLOW_WHAT "the sum of one hour (or day) for one developer, key and model"

/* tg_add(a, b): a + b on integers, or an error when it would not fit. */
static void sql_add_checked(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    int64_t sum = sqlite3_value_int64(argv[0]);
    if (sqlite3_value_type(argv[0]) != SQLITE_INTEGER || sqlite3_value_type(argv[1]) != SQLITE_INTEGER ||
        !tg_add_checked(&sum, sqlite3_value_int64(argv[1]))) {
        char msg[200];
        tg_money_overflow_message(ROLLUP_OVERFLOW_WHAT, msg, sizeof msg);
        sqlite3_result_error(ctx, msg, -1); /* the batch fails and rolls back */
        return;
    }
    sqlite3_result_int64(ctx, sum);
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
    unsigned char blob[TG_LATENCY_BLOB_MAX];
    size_t n = tg_latency_to_blob(h ? h : &empty, blob);
    sqlite3_result_blob(ctx, blob, (int)n, SQLITE_TRANSIENT);
}

/* SQL function merging two latency histogram blobs: rollups add up in SQL. */
static void sql_latency_merge(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct tg_latency_hist h = {{0}};
    for (int i = 0; i < argc; i++) {
        if (sqlite3_value_type(argv[i]) == SQLITE_BLOB)
            tg_latency_add_blob(&h, sqlite3_value_blob(argv[i]), (size_t)sqlite3_value_bytes(argv[i]));
    }
    unsigned char blob[TG_LATENCY_BLOB_MAX];
    size_t n = tg_latency_to_blob(&h, blob);
    sqlite3_result_blob(ctx, blob, (int)n, SQLITE_TRANSIENT);
}

int store_rollups_register_functions(sqlite3 *db)
{
    if (sqlite3_create_function(db, "tg_add", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_add_checked, NULL,
                                NULL) != SQLITE_OK ||
        sqlite3_create_function(db, "tg_latency_merge", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                sql_latency_merge, NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function(db, "tg_latency_sum", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL,
                                sql_latency_sum_step, sql_latency_sum_final) != SQLITE_OK)
        return -1;
    return 0;
}

int store_rollups_init(struct tg_store *store)
{
    store->rollups.deltas = hashmap_new();
    return store->rollups.deltas ? 0 : -1;
}

void store_rollups_free(struct tg_store *store)
{
    hashmap_free(store->rollups.deltas, free);
}

void store_rollups_forget(struct tg_store *store)
{
    hashmap_clear(store->rollups.deltas, free);
}

int store_prepare_rollups(struct tg_store *store, char *err, size_t errlen)
{
    if (store_prepare(store, ST_UPSERT_ROLLUP, UPSERT_ROLLUP("rollup_hourly", "hour"), err, errlen) != 0)
        return -1;
    return store_prepare(store, ST_UPSERT_DAILY, UPSERT_ROLLUP("rollup_daily", "day"), err, errlen);
}

int store_rollups_add(struct tg_store *store, const struct tg_log *log, const struct rollup_key *k, char *err,
                      size_t errlen)
{
    struct rollup_delta *d = hashmap_get(store->rollups.deltas, k, sizeof *k);
    if (!d) {
        d = calloc(1, sizeof *d);
        if (!d || hashmap_put(store->rollups.deltas, k, sizeof *k, d) != 0) {
            free(d);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        d->key = *k;
    }
    /* checked into a copy, so a log that does not fit leaves the sum as it was */
    struct rollup_delta next = *d;
    bool fits = tg_add_checked(&next.requests, 1) && tg_add_checked(&next.errors, log->is_error) &&
                tg_add_checked(&next.prompt_tokens, log->prompt_tokens) &&
                tg_add_checked(&next.completion_tokens, log->completion_tokens) &&
                tg_add_checked(&next.total_tokens, log->total_tokens) &&
                tg_add_checked(&next.cache_read_tokens, log->cache_read_tokens) &&
                tg_add_checked(&next.cache_creation_tokens, log->cache_creation_tokens) &&
                tg_add_checked(&next.cost_nanos, log->cost) &&
                tg_add_checked(&next.estimated_nanos, log->cost_kind == TG_COST_ESTIMATED ? log->cost : 0) &&
                tg_add_checked(&next.unpriced, log->cost_kind == TG_COST_UNPRICED);
    if (!fits) {
        char msg[200];
        tg_money_overflow_message(ROLLUP_OVERFLOW_WHAT, msg, sizeof msg);
        snprintf(err, errlen, "%s: the batch is not stored", msg);
        return -1;
    }
    *d = next;
    if (log->latency_ms >= 0)
        tg_latency_add(&d->latency, log->latency_ms);
    return 0;
}

/* One delta into one rollup row: hourly (period = its hour) or daily. */
static int upsert(struct tg_store *store, enum statement which, const struct rollup_delta *d, int64_t period,
                  char *err, size_t errlen)
{
    const int64_t values[] = {period, d->key.developer_id, d->key.key_id, d->key.model_id,
                              d->requests, d->errors, d->prompt_tokens, d->completion_tokens,
                              d->total_tokens, d->cache_read_tokens, d->cache_creation_tokens,
                              d->cost_nanos, d->estimated_nanos, d->unpriced};
    unsigned char blob[TG_LATENCY_BLOB_MAX];
    size_t blob_len = tg_latency_to_blob(&d->latency, blob);
    sqlite3_stmt *st = store->stmt[which];
    for (int i = 0; i < (int)(sizeof values / sizeof values[0]); i++)
        sqlite3_bind_int64(st, i + 1, values[i]);
    sqlite3_bind_blob(st, 15, blob, (int)blob_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : tg_store_fail(store, "updating rollups", err, errlen);
}

static int compare_ids(const struct rollup_key *a, const struct rollup_key *b)
{
    if (a->developer_id != b->developer_id)
        return a->developer_id < b->developer_id ? -1 : 1;
    if (a->key_id != b->key_id)
        return a->key_id < b->key_id ? -1 : 1;
    return (a->model_id > b->model_id) - (a->model_id < b->model_id);
}

/* In the order of the rollup tables' keys, so the upserts walk each table
 * once rather than jumping about it: by day first, then hour. */
static int by_period(const void *pa, const void *pb)
{
    const struct rollup_key *a = &(*(struct rollup_delta *const *)pa)->key,
                            *b = &(*(struct rollup_delta *const *)pb)->key;
    if (a->hour / 24 != b->hour / 24)
        return a->hour / 24 < b->hour / 24 ? -1 : 1;
    int c = compare_ids(a, b);
    if (c != 0)
        return c;
    return (a->hour > b->hour) - (a->hour < b->hour);
}

/* Whether two deltas go into the same daily row. */
static bool same_day(const struct rollup_delta *a, const struct rollup_delta *b)
{
    return a->key.hour / 24 == b->key.hour / 24 && compare_ids(&a->key, &b->key) == 0;
}

/* Adds d to the day's sum in *day; false when a sum would not fit. */
static bool add_to_day(struct rollup_delta *day, const struct rollup_delta *d)
{
    bool fits = tg_add_checked(&day->requests, d->requests) && tg_add_checked(&day->errors, d->errors) &&
                tg_add_checked(&day->prompt_tokens, d->prompt_tokens) &&
                tg_add_checked(&day->completion_tokens, d->completion_tokens) &&
                tg_add_checked(&day->total_tokens, d->total_tokens) &&
                tg_add_checked(&day->cache_read_tokens, d->cache_read_tokens) &&
                tg_add_checked(&day->cache_creation_tokens, d->cache_creation_tokens) &&
                tg_add_checked(&day->cost_nanos, d->cost_nanos) &&
                tg_add_checked(&day->estimated_nanos, d->estimated_nanos) &&
                tg_add_checked(&day->unpriced, d->unpriced);
    tg_latency_merge(&day->latency, &d->latency);
    return fits;
}

/* The batch's hourly deltas go into rollup_hourly one row each, and, summed
 * by day first, into rollup_daily one row per day (not one upsert per hour:
 * a day's row took up to 24 of them a batch). */
int store_rollups_flush(struct tg_store *store, char *err, size_t errlen)
{
    size_t n = hashmap_count(store->rollups.deltas), pos = 0, count = 0;
    if (n == 0)
        return 0;
    struct rollup_delta **deltas = malloc(n * sizeof *deltas);
    if (!deltas) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const void *key;
    size_t key_len;
    void *value;
    while (count < n && hashmap_next(store->rollups.deltas, &pos, &key, &key_len, &value))
        deltas[count++] = value;
    qsort(deltas, count, sizeof *deltas, by_period);
    int rc = 0;
    struct rollup_delta day;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        const struct rollup_delta *d = deltas[i];
        rc = upsert(store, ST_UPSERT_ROLLUP, d, d->key.hour, err, errlen);
        if (i == 0 || !same_day(deltas[i - 1], d))
            day = (struct rollup_delta){.key = d->key};
        if (rc == 0 && !add_to_day(&day, d)) {
            char msg[200];
            tg_money_overflow_message(ROLLUP_OVERFLOW_WHAT, msg, sizeof msg);
            snprintf(err, errlen, "%s: the batch is not stored", msg);
            rc = -1;
        }
        if (rc == 0 && (i + 1 == count || !same_day(d, deltas[i + 1])))
            rc = upsert(store, ST_UPSERT_DAILY, &day, d->key.hour / 24, err, errlen);
    }
    free(deltas);
    return rc;
}
