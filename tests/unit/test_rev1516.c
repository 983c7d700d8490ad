/* Adversarial checks of schemas 15 and 16 (review rev1516), differential:
 * the Threads view's walk of the rollup against grouping the rows, over
 * random threads (UUID, text and numeric ids, none), developers (or none),
 * batches rolled back, prunes that cut threads, and windows whose edges fall
 * exactly on request times; and sorted Requests pages (cost, tokens,
 * latency with unknown ones, ties, filters) against one ORDER BY over
 * requests while another connection commits enough to merge the tail into
 * the runs between two page reads. Both held at 34e5412. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/prune.h"
#include "query/requestlist.h"
#include "query/threadlist.h"
#include "store/store.h"
#include "store_batch.h"
#include "store_fixture.h"

#define BASE_MS STORE_BATCH_BASE_MS

static unsigned rnd_state = 12345;
static unsigned rnd(void)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 8) & 0xffffff;
}

static int64_t times[4000];

static void add_random(struct tg_store *store, int i)
{
    char json[700], thread[80] = "";
    int t = rnd() % 60;
    if (rnd() % 10 == 0)
        thread[0] = '\0';
    else if (t % 3 == 0)
        snprintf(thread, sizeof thread, ",\"thread_identifier\":\"%08x-0000-4000-8000-%012d\"", t, t);
    else if (t % 3 == 1)
        snprintf(thread, sizeof thread, ",\"thread_identifier\":%d", t);
    else
        snprintf(thread, sizeof thread, ",\"thread_identifier\":\"T-%d\"", t);
    int64_t ts = BASE_MS + (int64_t)(rnd() % 200) * 1000;
    times[i] = ts;
    const char *dev = rnd() % 5 == 0 ? "" : (rnd() % 2 ? ",\"customer_identifier\":\"ana\"" : ",\"customer_identifier\":\"bo\"");
    snprintf(json, sizeof json,
             "{\"unique_id\":\"r-%d\",\"timestamp\":%.3f%s,\"model\":\"m1\",\"prompt_tokens\":1,"
             "\"completion_tokens\":1,\"cost\":%d.%d%s}",
             i, (double)ts / 1000.0, dev, (int)(rnd() % 3), (int)(rnd() % 3), thread);
    store_batch_add_json(store, json);
}

static void compare(struct tg_store *store, int64_t s, int64_t u, int limit)
{
    static struct tg_thread_row g[100], w[100];
    char err[256];
    tg_threads_set_group_below(INT32_MAX);
    int ng = tg_threads_by_cost(store, s, u, g, limit, err, sizeof err);
    tg_threads_set_group_below(0);
    int nw = tg_threads_by_cost(store, s, u, w, limit, err, sizeof err);
    tg_threads_set_group_below(-1);
    assert_int_equal(nw, ng);
    for (int i = 0; i < ng; i++) {
        if (strcmp(w[i].thread, g[i].thread) || w[i].cost != g[i].cost || w[i].turns != g[i].turns ||
            w[i].first_ms != g[i].first_ms || w[i].last_ms != g[i].last_ms || w[i].first_request != g[i].first_request ||
            strcmp(w[i].developer, g[i].developer))
            fail_msg("window %lld..%lld limit %d row %d: %s/%s %lld/%lld %lld/%lld dev %s/%s fr %lld/%lld", (long long)s,
                     (long long)u, limit, i, w[i].thread, g[i].thread, (long long)w[i].cost, (long long)g[i].cost,
                     (long long)w[i].turns, (long long)g[i].turns, w[i].developer, g[i].developer,
                     (long long)w[i].first_request, (long long)g[i].first_request);
    }
}

static void test_threads_random(void **state)
{
    (void)state;
    struct store_fixture f;
    assert_int_equal(store_fixture_open(&f, "rev1516t"), 0);
    tg_store_set_thread_count_step(f.store, 29); /* the rollup and newer rows both */
    int n = 0;
    for (int b = 0; b < 20; b++) {
        store_batch_begin(f.store);
        int k = rnd() % 150;
        for (int j = 0; j < k; j++)
            add_random(f.store, n++);
        if (b % 7 == 3)
            tg_store_rollback(f.store); /* its logs stay in times[]: windows may end on them */
        else
            store_batch_commit(f.store);
    }
    for (int rep = 0; rep < 3; rep++) {
        for (int q = 0; q < 300; q++) {
            int64_t a = times[rnd() % n], b2 = times[rnd() % n];
            if (rnd() % 3 == 0) b2 += 1;
            if (a > b2) { int64_t t = a; a = b2; b2 = t; }
            compare(f.store, a, b2, 1 + rnd() % 30);
        }
        char err[256];
        struct tg_prune_options o = {.requests_before_ms = BASE_MS + (int64_t)(rnd() % 100) * 1000};
        struct tg_prune_counts counts = {0};
        assert_int_equal(tg_prune_run(f.store, &o, NULL, NULL, &counts, err, sizeof err), 0);
    }
    store_fixture_close(&f);
}


static void add_sorted(struct tg_store *store, int from, int to)
{
    char json[700];
    store_batch_begin(store);
    for (int i = from; i < to; i++) {
        int lat = rnd() % 4;
        char latency[40] = "";
        if (lat)
            snprintf(latency, sizeof latency, ",\"latency\":%d.%d", (int)(rnd() % 3), (int)(rnd() % 10));
        snprintf(json, sizeof json,
                 "{\"unique_id\":\"s-%d\",\"timestamp\":%.3f,\"customer_identifier\":\"%s\",\"model\":\"m%d\","
                 "\"prompt_tokens\":%d,\"completion_tokens\":%d,\"cost\":0.00%d%s,\"status_code\":%d}",
                 i, (double)(BASE_MS + (int64_t)(rnd() % 5000) * 1000) / 1000.0, rnd() % 2 ? "ana" : "bo",
                 (int)(rnd() % 2), (int)(rnd() % 5), (int)(rnd() % 3), (int)(rnd() % 4), latency,
                 rnd() % 5 ? 200 : 500);
        store_batch_add_json(store, json);
    }
    store_batch_commit(store);
}

static const char *const ref_sql[] = {
    [TG_ORDER_COST] = "SELECT id FROM requests r WHERE (r.cost_nanos < ?1 OR (r.cost_nanos = ?1 AND id < ?2)) %s ORDER BY r.cost_nanos DESC, id DESC LIMIT 7",
    [TG_ORDER_TOKENS] = "SELECT id FROM requests r WHERE (r.prompt_tokens + r.completion_tokens < ?1 OR (r.prompt_tokens + r.completion_tokens = ?1 AND id < ?2)) %s ORDER BY r.prompt_tokens + r.completion_tokens DESC, id DESC LIMIT 7",
    [TG_ORDER_LATENCY] = "SELECT id FROM requests r WHERE (coalesce(r.latency_ms, -1) < ?1 OR (coalesce(r.latency_ms, -1) = ?1 AND id < ?2)) %s ORDER BY coalesce(r.latency_ms, -1) DESC, id DESC LIMIT 7",
};

/* One page from the anchor (value, id) against the reference query. */
static void check_page(struct tg_store *store, enum tg_request_order o, const struct tg_request_filter *filt,
                       const char *where, int64_t value, int64_t id, int *got_out, struct tg_request_row *page)
{
    char sql[600], err[256];
    snprintf(sql, sizeof sql, ref_sql[o], where);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, value);
    sqlite3_bind_int64(st, 2, id);
    int64_t expect[7];
    int ne = 0;
    while (sqlite3_step(st) == SQLITE_ROW)
        expect[ne++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    struct tg_request_list list = {store, o, 0, INT64_MAX, filt, false};
    int got = tg_request_list_page(&list, false, value, id, page, 7, err, sizeof err);
    assert_int_equal(got, ne);
    for (int i = 0; i < ne; i++)
        assert_int_equal(page[i].row_id, expect[i]);
    *got_out = got;
}

/* Pages that start anywhere in the orders, and just above the watermark's
 * own row, the last of the runs (the next ones are the tail's). */
static void check_anchors(struct tg_store *store)
{
    static const char *const key_sql[] = {
        [TG_ORDER_COST] = "SELECT cost_nanos FROM requests WHERE id = ?1",
        [TG_ORDER_TOKENS] = "SELECT prompt_tokens + completion_tokens FROM requests WHERE id = ?1",
        [TG_ORDER_LATENCY] = "SELECT coalesce(latency_ms, -1) FROM requests WHERE id = ?1",
    };
    char mark[32] = "0";
    assert_int_equal(tg_store_sync_position(store, "sort keys up to", mark, sizeof mark), 1);
    int64_t top = tg_store_request_count(store), watermark = strtoll(mark, NULL, 10);
    struct tg_request_row page[7];
    for (enum tg_request_order o = TG_ORDER_COST; o <= TG_ORDER_LATENCY; o++) {
        for (int k = 0; k < 60; k++) {
            int64_t id = k < 2 ? watermark + k : 1 + (int64_t)(rnd() % (unsigned)top), value = -1;
            sqlite3_stmt *st;
            assert_int_equal(sqlite3_prepare_v2(tg_store_sqlite(store), key_sql[o], -1, &st, NULL), SQLITE_OK);
            sqlite3_bind_int64(st, 1, id);
            if (sqlite3_step(st) == SQLITE_ROW)
                value = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
            int got;
            check_page(store, o, NULL, "", value, id + 1, &got, page);
        }
    }
}

static void test_pages_across_merges(void **state)
{
    (void)state;
    struct store_fixture f;
    assert_int_equal(store_fixture_open(&f, "rev1516s"), 0);
    char err[256];
    struct tg_store *other;
    assert_int_equal(tg_store_open(f.path, 0, &other, err, sizeof err), 0);
    int n = 0;
    add_sorted(f.store, n, n + 16500); /* below the first merge: all tail */
    n += 16500;
    add_sorted(f.store, n, n + 300); /* merged: all runs */
    n += 300;
    add_sorted(f.store, n, n + 900); /* a tail again */
    n += 900;
    int merges = 0;
    static struct tg_request_filter filt;
    for (enum tg_request_order o = TG_ORDER_COST; o <= TG_ORDER_LATENCY; o++) {
        for (int fi = 0; fi < 3; fi++) {
            tg_filter_clear(&filt);
            const char *where = "";
            if (fi == 1) { assert_int_equal(tg_filter_set(&filt, TG_FILTER_DEVELOPER, "ana"), 0); where = " AND r.developer_id = (SELECT id FROM developers WHERE ident = 'ana')"; }
            if (fi == 2) { assert_int_equal(tg_filter_parse("status:error", &filt, err, sizeof err), 0); where = " AND r.is_error"; }
            char sql[600];
            snprintf(sql, sizeof sql, ref_sql[o], where);
            struct tg_request_list list = {f.store, o, 0, INT64_MAX, &filt, false};
            struct tg_request_row page[7];
            int64_t value = INT64_MAX, id = INT64_MAX;
            for (int step = 0; step < 30; step++) {
                sqlite3_stmt *st;
                assert_int_equal(sqlite3_prepare_v2(tg_store_sqlite(f.store), sql, -1, &st, NULL), SQLITE_OK);
                sqlite3_bind_int64(st, 1, value);
                sqlite3_bind_int64(st, 2, id);
                int64_t expect[7]; int ne = 0;
                while (sqlite3_step(st) == SQLITE_ROW) expect[ne++] = sqlite3_column_int64(st, 0);
                sqlite3_finalize(st);
                int got = tg_request_list_page(&list, false, value, id, page, 7, err, sizeof err);
                assert_int_equal(got, ne);
                for (int i = 0; i < ne; i++) assert_int_equal(page[i].row_id, expect[i]);
                if (got == 0) break;
                value = tg_request_order_value(o, &page[got - 1]);
                id = page[got - 1].row_id;
                if (o == TG_ORDER_TOKENS && fi == 0 && step == 3) { /* between two page reads */
                    char before[32] = "", after[32] = "";
                    tg_store_sync_position(f.store, "sort keys up to", before, sizeof before);
                    add_sorted(other, n, n + 16400);
                    n += 16400;
                    tg_store_sync_position(f.store, "sort keys up to", after, sizeof after);
                    merges += strcmp(before, after) != 0;
                }
                if (step % 11 == 6) {
                    add_sorted(other, n, n + 50);
                    n += 50;
                }
            }
        }
    }
    assert_int_equal(merges, 1);
    check_anchors(f.store);
    tg_store_close(other);
    store_fixture_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_random),
        cmocka_unit_test(test_pages_across_merges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
