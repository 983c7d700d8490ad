#include "store/threads.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/money.h"
#include "store/compactid.h"
#include "store/sqlbind.h"

/* request ids counted a transaction by the backfill */
#define BACKFILL_STEP 100000
/* requests past the live mark counted together (see threads.h) */
#define LIVE_STEP 16384

/* A batch's sum for one thread (key: the thread id as logged). */
struct thread_delta {
    int64_t first_ms, last_ms, turns, cost_nanos, developer_id, first_request;
    bool recount; /* lost requests: counted again from its rows at the commit */
};

enum thread_statement {
    TS_UPSERT,
    TS_SPAN,
    TS_COUNT,
    TS_FIRST,
    TS_REPLACE,
    TS_DELETE,
    TS_OF_REQUEST,
    TS_NEWEST,
    TS_RANGE,
    TS_N
};

struct store_threads {
    struct hashmap *deltas;
    sqlite3_stmt *stmt[TS_N];
    int64_t count_step;
};

/* Sums through tg_add (rollups.c): an integer "+" that overflows turns into a
 * float in SQLite. The lowest developer and the earliest request (the lowest
 * id among those at the first time) as the Threads view always showed them. */
static const char *const statement_sql[TS_N] = {
    [TS_UPSERT] = "INSERT INTO threads(thread_id, first_ms, last_ms, turns, cost_nanos, developer_id, first_request)"
                  " VALUES(?1,?2,?3,?4,?5,?6,?7) ON CONFLICT(thread_id) DO UPDATE SET"
                  " turns = tg_add(turns, excluded.turns), cost_nanos = tg_add(cost_nanos, excluded.cost_nanos),"
                  " first_request = CASE WHEN excluded.first_ms < first_ms OR (excluded.first_ms = first_ms"
                  "   AND excluded.first_request < first_request) THEN excluded.first_request ELSE first_request END,"
                  " first_ms = min(first_ms, excluded.first_ms), last_ms = max(last_ms, excluded.last_ms),"
                  " developer_id = CASE WHEN developer_id IS NULL THEN excluded.developer_id"
                  "   WHEN excluded.developer_id IS NULL THEN developer_id"
                  "   ELSE min(developer_id, excluded.developer_id) END",
    [TS_SPAN] = "SELECT first_ms, last_ms FROM threads WHERE thread_id = ?1",
    /* a thread's rows lie between its first and last time: the time index
     * reads only that span, not the table */
    [TS_COUNT] = "SELECT count(*), sum(cost_nanos), min(ts_ms), max(ts_ms), min(developer_id) FROM requests"
                 " WHERE ts_ms >= ?2 AND ts_ms <= ?3 AND thread_id = ?1 AND id <= ?4",
    [TS_FIRST] = "SELECT min(id) FROM requests WHERE ts_ms = ?2 AND thread_id = ?1 AND id <= ?3",
    [TS_REPLACE] = "UPDATE threads SET turns = ?2, cost_nanos = ?3, first_ms = ?4, last_ms = ?5, developer_id = ?6,"
                   " first_request = ?7 WHERE thread_id = ?1",
    [TS_DELETE] = "DELETE FROM threads WHERE thread_id = ?1",
    [TS_OF_REQUEST] = "SELECT tg_id_text(thread_id) FROM requests WHERE id = ?1 AND thread_id IS NOT NULL",
    [TS_NEWEST] = "SELECT coalesce(max(id), 0) FROM requests",
    [TS_RANGE] = "SELECT tg_id_text(thread_id), ts_ms, cost_nanos, developer_id, id FROM requests"
                 " WHERE id > ?1 AND id <= ?2 AND thread_id IS NOT NULL",
};

int store_threads_init(struct tg_store *store)
{
    store->threads = calloc(1, sizeof *store->threads);
    if (!store->threads)
        return -1;
    store->threads->deltas = hashmap_new();
    store->threads->count_step = LIVE_STEP;
    return store->threads->deltas ? 0 : -1;
}

void store_threads_free(struct tg_store *store)
{
    if (!store->threads)
        return;
    for (int i = 0; i < TS_N; i++)
        sqlite3_finalize(store->threads->stmt[i]);
    hashmap_free(store->threads->deltas, free);
    free(store->threads);
    store->threads = NULL;
}

void tg_store_set_thread_count_step(struct tg_store *store, int64_t requests)
{
    store->threads->count_step = requests > 0 ? requests : LIVE_STEP;
}

void store_threads_forget(struct tg_store *store)
{
    hashmap_clear(store->threads->deltas, free);
}

/* Prepared the first time a batch needs it (a db below schema 15, open for a
 * migration test, has no threads table and never does). */
static sqlite3_stmt *statement(struct tg_store *store, enum thread_statement which, char *err, size_t errlen)
{
    sqlite3_stmt **st = &store->threads->stmt[which];
    if (!*st && sqlite3_prepare_v2(store->db, statement_sql[which], -1, st, NULL) != SQLITE_OK) {
        tg_store_fail(store, "preparing the thread rollup", err, errlen);
        return NULL;
    }
    return *st;
}

static struct thread_delta *delta_of(struct tg_store *store, const char *thread, char *err, size_t errlen)
{
    size_t len = strlen(thread);
    struct thread_delta *d = hashmap_get(store->threads->deltas, thread, len);
    if (d)
        return d;
    d = calloc(1, sizeof *d);
    if (!d || hashmap_put(store->threads->deltas, thread, len, d) != 0) {
        free(d);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->first_ms = INT64_MAX;
    d->last_ms = INT64_MIN;
    return d;
}

int store_threads_add(struct tg_store *store, const char *thread, int64_t ts_ms, int64_t cost_nanos,
                      int64_t developer_id, int64_t request_id, char *err, size_t errlen)
{
    if (!thread || !*thread)
        return 0;
    struct thread_delta *d = delta_of(store, thread, err, errlen);
    if (!d)
        return -1;
    int64_t turns = d->turns, cost = d->cost_nanos;
    if (!tg_add_checked(&turns, 1) || !tg_add_checked(&cost, cost_nanos)) {
        char msg[200];
        tg_money_overflow_message("the sum of one thread", msg, sizeof msg);
        snprintf(err, errlen, "%s: the batch is not stored", msg);
        return -1;
    }
    d->turns = turns;
    d->cost_nanos = cost;
    if (ts_ms < d->first_ms || (ts_ms == d->first_ms && request_id < d->first_request)) {
        d->first_ms = ts_ms;
        d->first_request = request_id;
    }
    if (ts_ms > d->last_ms)
        d->last_ms = ts_ms;
    if (developer_id && (!d->developer_id || developer_id < d->developer_id))
        d->developer_id = developer_id;
    return 0;
}

int tg_store_thread_recount(struct tg_store *store, int64_t request_id, char *err, size_t errlen)
{
    if (!store->in_batch) {
        snprintf(err, errlen, "tg_store_thread_recount outside a batch");
        return -1;
    }
    sqlite3_stmt *st = statement(store, TS_OF_REQUEST, err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, request_id);
    int rc = sqlite3_step(st), result = 0;
    if (rc == SQLITE_ROW) {
        struct thread_delta *d = delta_of(store, (const char *)sqlite3_column_text(st, 0), err, errlen);
        if (d)
            d->recount = true;
        else
            result = -1;
    } else if (rc != SQLITE_DONE) {
        result = tg_store_fail(store, "reading a request's thread", err, errlen);
    }
    sqlite3_reset(st);
    return result;
}

static int step_done(struct tg_store *store, sqlite3_stmt *st, const char *what, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : tg_store_fail(store, what, err, errlen);
}

static int upsert(struct tg_store *store, const char *thread, const struct thread_delta *d, char *err,
                  size_t errlen)
{
    sqlite3_stmt *st = statement(store, TS_UPSERT, err, errlen);
    if (!st)
        return -1;
    store_bind_compact_id(st, 1, thread);
    sqlite3_bind_int64(st, 2, d->first_ms);
    sqlite3_bind_int64(st, 3, d->last_ms);
    sqlite3_bind_int64(st, 4, d->turns);
    sqlite3_bind_int64(st, 5, d->cost_nanos);
    tg_sql_bind_id(st, 6, d->developer_id);
    sqlite3_bind_int64(st, 7, d->first_request);
    return step_done(store, st, "updating the thread rollup", err, errlen);
}

/* The thread's row from its remaining requests up to upto (those past the
 * live mark are not in the rollup), or no row when none is left. */
static int recount(struct tg_store *store, const char *thread, int64_t upto, char *err, size_t errlen)
{
    sqlite3_stmt *span = statement(store, TS_SPAN, err, errlen), *count = statement(store, TS_COUNT, err, errlen),
                 *first = statement(store, TS_FIRST, err, errlen);
    if (!span || !count || !first)
        return -1;
    store_bind_compact_id(span, 1, thread);
    int rc = sqlite3_step(span);
    int64_t from = rc == SQLITE_ROW ? sqlite3_column_int64(span, 0) : 0,
            to = rc == SQLITE_ROW ? sqlite3_column_int64(span, 1) : -1;
    sqlite3_reset(span);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? 0 : tg_store_fail(store, "recounting a thread", err, errlen);
    store_bind_compact_id(count, 1, thread);
    sqlite3_bind_int64(count, 2, from);
    sqlite3_bind_int64(count, 3, to);
    sqlite3_bind_int64(count, 4, upto);
    if (sqlite3_step(count) != SQLITE_ROW) {
        sqlite3_reset(count);
        return tg_store_fail(store, "recounting a thread", err, errlen);
    }
    struct thread_delta d = {.turns = sqlite3_column_int64(count, 0), .cost_nanos = sqlite3_column_int64(count, 1),
                             .first_ms = sqlite3_column_int64(count, 2), .last_ms = sqlite3_column_int64(count, 3),
                             .developer_id = sqlite3_column_int64(count, 4)};
    sqlite3_reset(count);
    if (d.turns == 0) {
        sqlite3_stmt *del = statement(store, TS_DELETE, err, errlen);
        if (!del)
            return -1;
        store_bind_compact_id(del, 1, thread);
        return step_done(store, del, "recounting a thread", err, errlen);
    }
    store_bind_compact_id(first, 1, thread);
    sqlite3_bind_int64(first, 2, d.first_ms);
    sqlite3_bind_int64(first, 3, upto);
    rc = sqlite3_step(first);
    d.first_request = rc == SQLITE_ROW ? sqlite3_column_int64(first, 0) : 0;
    sqlite3_reset(first);
    if (rc != SQLITE_ROW)
        return tg_store_fail(store, "recounting a thread", err, errlen);
    sqlite3_stmt *put = statement(store, TS_REPLACE, err, errlen);
    if (!put)
        return -1;
    store_bind_compact_id(put, 1, thread);
    const int64_t values[] = {d.turns, d.cost_nanos, d.first_ms, d.last_ms};
    for (int i = 0; i < 4; i++)
        sqlite3_bind_int64(put, i + 2, values[i]);
    tg_sql_bind_id(put, 6, d.developer_id);
    sqlite3_bind_int64(put, 7, d.first_request);
    return step_done(store, put, "recounting a thread", err, errlen);
}

/* Reads one numeric mark; 0 when missing. */
static int64_t read_mark(struct tg_store *store, const char *source, bool *found)
{
    char buf[32] = "0";
    *found = tg_store_sync_position(store, source, buf, sizeof buf) == 1;
    return strtoll(buf, NULL, 10);
}

/* The requests with ids in (from, to] added to their threads' sums. */
static int count_range(struct tg_store *store, int64_t from, int64_t to, char *err, size_t errlen)
{
    sqlite3_stmt *st = statement(store, TS_RANGE, err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    int rc, result = 0;
    while (result == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        result = store_threads_add(store, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
                                   sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
                                   sqlite3_column_int64(st, 4), err, errlen);
    if (result == 0 && rc != SQLITE_DONE)
        result = tg_store_fail(store, "counting threads", err, errlen);
    sqlite3_reset(st);
    return result;
}

/* The requests past the live mark counted once they are count_step many;
 * *upto: the mark after this (INT64_MAX on a db without one). */
static int count_live(struct tg_store *store, int64_t *upto, char *err, size_t errlen)
{
    bool live;
    int64_t mark = read_mark(store, THREADS_LIVE_MARK, &live);
    *upto = live ? mark : INT64_MAX;
    if (!live)
        return 0;
    sqlite3_stmt *st = statement(store, TS_NEWEST, err, errlen);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    int64_t newest = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return tg_store_fail(store, "counting threads", err, errlen);
    if (newest - mark < store->threads->count_step)
        return 0;
    char position[32];
    snprintf(position, sizeof position, "%lld", (long long)newest);
    if (count_range(store, mark, newest, err, errlen) != 0 ||
        tg_store_set_sync_position(store, THREADS_LIVE_MARK, position, err, errlen) != 0)
        return -1;
    *upto = newest;
    return 0;
}

/* A thread's sum, named, for applying the sums in key order. */
struct named_delta {
    char *thread;
    const struct thread_delta *d;
};

static int by_thread(const void *pa, const void *pb)
{
    return strcmp(((const struct named_delta *)pa)->thread, ((const struct named_delta *)pb)->thread);
}

static void free_named(struct named_delta *all, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(all[i].thread);
    free(all);
}

/* The sums in thread-id order: a canonical UUID's text sorts as its 16
 * bytes, so the upserts walk the rollup's b-tree from one end to the other
 * instead of jumping about it (a step holds thousands of threads). */
static struct named_delta *sorted_deltas(struct tg_store *store, size_t *n)
{
    size_t count = hashmap_count(store->threads->deltas);
    struct named_delta *all = calloc(count ? count : 1, sizeof *all);
    if (!all)
        return NULL;
    size_t pos = 0, key_len;
    const void *key;
    void *value;
    *n = 0;
    while (hashmap_next(store->threads->deltas, &pos, &key, &key_len, &value)) {
        char *thread = malloc(key_len + 1); /* the statements bind it as a C string */
        if (!thread) {
            free_named(all, *n);
            return NULL;
        }
        memcpy(thread, key, key_len);
        thread[key_len] = '\0';
        all[(*n)++] = (struct named_delta){thread, value};
    }
    qsort(all, *n, sizeof *all, by_thread);
    return all;
}

int store_threads_flush(struct tg_store *store, char *err, size_t errlen)
{
    int64_t upto;
    if (count_live(store, &upto, err, errlen) != 0)
        return -1;
    size_t n;
    struct named_delta *all = sorted_deltas(store, &n);
    if (!all) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct thread_delta *d = all[i].d;
        if ((d->turns > 0 && upsert(store, all[i].thread, d, err, errlen) != 0) ||
            (d->recount && recount(store, all[i].thread, upto, err, errlen) != 0))
            rc = -1;
    }
    free_named(all, n);
    return rc;
}

bool tg_store_threads_ready(struct tg_store *store)
{
    char buf[32];
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "SELECT 1 FROM sqlite_schema WHERE name = 'threads'", -1, &st, NULL) !=
        SQLITE_OK)
        return false;
    bool table = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return table && tg_store_sync_position(store, THREADS_BACKFILL_MARK, buf, sizeof buf) == 0;
}

int64_t tg_store_threads_counted_upto(struct tg_store *store)
{
    bool live;
    int64_t mark = read_mark(store, THREADS_LIVE_MARK, &live);
    return live ? mark : INT64_MAX;
}

/* One step of the backfill, in its own transaction: 1 more to do, 0 done. */
static int backfill_step(struct tg_store *store, char *err, size_t errlen)
{
    if (tg_store_begin(store, err, errlen) != 0)
        return -1;
    bool pending, seen;
    int64_t ends = read_mark(store, THREADS_BACKFILL_MARK, &pending);
    int64_t from = read_mark(store, THREADS_COUNTED_MARK, &seen), to = from + BACKFILL_STEP;
    if (!pending) {
        tg_store_rollback(store);
        return 0;
    }
    if (to > ends)
        to = ends;
    int rc = count_range(store, from, to, err, errlen) == 0 ? SQLITE_DONE : SQLITE_ERROR;
    char position[32];
    snprintf(position, sizeof position, "%lld", (long long)to);
    if (rc != SQLITE_DONE ||
        (to < ends ? tg_store_set_sync_position(store, THREADS_COUNTED_MARK, position, err, errlen)
                   : store_exec(store, "DELETE FROM sync_state WHERE source IN ('" THREADS_COUNTED_MARK "', '"
                                THREADS_BACKFILL_MARK "')", "counting threads", err, errlen)) != 0) {
        tg_store_rollback(store);
        return -1;
    }
    if (tg_store_commit(store, err, errlen) != 0)
        return -1;
    return to < ends;
}

int store_threads_backfill(struct tg_store *store, char *err, size_t errlen)
{
    int rc;
    while ((rc = backfill_step(store, err, errlen)) == 1)
        ;
    return rc;
}
