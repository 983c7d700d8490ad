/* The sort keys in sorted runs (schema 16, core/store/sortkeys.c): the
 * Requests screen's cost, tokens and latency orders page exactly over the
 * runs and the tail past their watermark together; migration 15 moves a
 * schema-13 db's keys into the runs; a merge writes the tail in key order; a
 * deleted request leaves the runs; and a small commit no longer rewrites a
 * page of each sort index per log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "query/filter.h"
#include "query/requestlist.h"
#include "store/store.h"
#include "store_batch.h"
#include "store_fixture.h"


/* Log i of a series: keys with ties (few distinct values) in no order of i. */
static void add_logs(struct tg_store *store, const char *prefix, int first, int last)
{
    char json[600];
    for (int i = first; i <= last; i++) {
        unsigned h = (unsigned)i * 2654435761u;
        snprintf(json, sizeof json,
                 "{\"unique_id\":\"%s-%d\",\"timestamp\":%.3f,\"customer_identifier\":\"%s\","
                 "\"model\":\"m1\",\"prompt_tokens\":%u,\"completion_tokens\":%u,\"cost\":%.6f,"
                 "\"latency\":%.3f,\"status_code\":200}",
                 prefix, i, (double)(STORE_BATCH_BASE_MS + i * 1000LL) / 1000.0, i % 3 ? "dana" : "hiro",
                 (h >> 4) % 40, (h >> 9) % 7, (double)((h >> 12) % 53) / 1000.0, (double)((h >> 16) % 29) / 10.0);
        store_batch_add_json(store, json);
    }
}

static const char *const reference_sql[] = {
    [TG_ORDER_COST] = "SELECT r.id, r.cost_nanos FROM requests r %s ORDER BY 2 DESC, 1 DESC",
    [TG_ORDER_TOKENS] = "SELECT r.id, r.prompt_tokens + r.completion_tokens FROM requests r %s ORDER BY 2 DESC, 1 DESC",
    [TG_ORDER_LATENCY] = "SELECT r.id, coalesce(r.latency_ms, -1) FROM requests r %s ORDER BY 2 DESC, 1 DESC",
};

/* Walks the order down by keyset pages of 7 and back up from the end; both
 * walks must list exactly the rows of one ORDER BY over requests. */
static void check_order(struct tg_store *store, enum tg_request_order order, const struct tg_request_filter *f,
                        const char *where)
{
    char sql[300];
    snprintf(sql, sizeof sql, reference_sql[order], where);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL), SQLITE_OK);
    int64_t expect[2048];
    int total = 0;
    while (sqlite3_step(st) == SQLITE_ROW && total < 2048)
        expect[total++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    assert_true(total > 20);
    struct tg_request_list list = {store, order, 0, INT64_MAX, f, false}; /* by the sort keys */
    struct tg_request_row page[7];
    char err[256];
    int64_t value = INT64_MAX, id = INT64_MAX;
    int seen = 0, n;
    while ((n = tg_request_list_page(&list, false, value, id, page, 7, err, sizeof err)) > 0) {
        for (int i = 0; i < n; i++) {
            assert_true(seen < total);
            assert_int_equal(page[i].row_id, expect[seen++]);
        }
        value = tg_request_order_value(order, &page[n - 1]);
        id = page[n - 1].row_id;
    }
    assert_int_equal(n, 0);
    assert_int_equal(seen, total);
    value = INT64_MIN;
    id = INT64_MIN;
    while ((n = tg_request_list_page(&list, true, value, id, page, 7, err, sizeof err)) > 0) {
        for (int i = 0; i < n; i++)
            assert_int_equal(page[i].row_id, expect[--seen]);
        value = tg_request_order_value(order, &page[n - 1]);
        id = page[n - 1].row_id;
    }
    assert_int_equal(seen, 0);
}

static void check_all_orders(struct tg_store *store)
{
    static struct tg_request_filter hiro;
    tg_filter_clear(&hiro);
    assert_int_equal(tg_filter_set(&hiro, TG_FILTER_DEVELOPER, "hiro"), 0);
    for (enum tg_request_order o = TG_ORDER_COST; o <= TG_ORDER_LATENCY; o++) {
        check_order(store, o, NULL, "");
        check_order(store, o, &hiro, "WHERE r.developer_id = (SELECT id FROM developers WHERE ident = 'hiro')");
    }
}

/* A schema-13 db (keys in three indexes of requests) migrates to the runs;
 * requests stored after it wait past the watermark; the orders list both. */
static void test_migration_16_from_schema_13(void **state)
{
    struct store_fixture *f = *state;
    char err[256];
    struct tg_store *old = store_fixture_reopen_at(f, 13);
    /* the writer refuses an older schema: rows as a schema-13 binary left them */
    assert_int_equal(sqlite3_exec(tg_store_sqlite(old),
                                  "INSERT INTO developers(id, ident) VALUES (1, 'dana'), (2, 'hiro');"
                                  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120)"
                                  " INSERT INTO requests(id, log_id, ts_ms, developer_id, status_code, is_error,"
                                  " prompt_tokens, completion_tokens, total_tokens, cache_read_tokens,"
                                  " cache_creation_tokens, cost_nanos, cost_kind, latency_ms)"
                                  " SELECT i, 'old-' || i, 1793491200000 + i * 1000, 1 + (i % 3 = 0), 200, 0,"
                                  " i * 7 % 40, i * 3 % 7, 0, 0, 0, i * 13 % 53 * 1000000, 0,"
                                  " CASE WHEN i % 10 = 0 THEN NULL ELSE i * 11 % 29 * 100 END FROM n;"
                                  "UPDATE sync_state SET position = '120' WHERE source = 'request ids handed out up to';",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    tg_store_close(old);
    assert_int_equal(tg_store_open(f->path, 0, &f->store, err, sizeof err), 0);
    assert_int_equal(tg_store_schema_version(f->store), TG_STORE_SCHEMA_VERSION);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM sqlite_master WHERE name IN"
                                         " ('requests_cost', 'requests_tokens', 'requests_latency')"),
                     0);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM sort_cost"), 120);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM sort_tokens s JOIN requests r ON r.id = s.id"
                                         " WHERE s.v = r.prompt_tokens + r.completion_tokens"),
                     120);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM sort_latency s JOIN requests r ON r.id = s.id"
                                         " WHERE s.v = coalesce(r.latency_ms, -1)"),
                     120);
    assert_int_equal(store_fixture_int(f->store, "SELECT position FROM sync_state WHERE source = 'sort keys up to'"), 120);
    store_batch_begin(f->store);
    add_logs(f->store, "new", 1, 90);
    store_batch_commit(f->store);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM sort_cost"), 120); /* a tail of 90 */
    check_all_orders(f->store);
    /* a request deleted leaves the runs, and the orders skip it */
    assert_int_equal(sqlite3_exec(tg_store_sqlite(f->store), "DELETE FROM requests WHERE id % 4 = 0", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM sort_cost s WHERE NOT EXISTS"
                                         " (SELECT 1 FROM requests r WHERE r.id = s.id)"),
                     0);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM sort_latency"), 90);
    check_all_orders(f->store);
}

/* On a db whose runs are big (millions; set here), once the tail holds half
 * the bound (8,192 here) a commit merges its oldest slice, in key order, and
 * moves the watermark: what takes it back to that half, 4,096 at least; the
 * orders are the same either side. */
static void test_tail_merged_at_commit(void **state)
{
    struct store_fixture *f = *state;
    tg_store_set_sort_slice_from(f->store, 0); /* as on a db of millions */
    const char *mark = "SELECT position FROM sync_state WHERE source = 'sort keys up to'";
    store_batch_begin(f->store);
    add_logs(f->store, "a", 1, 8000);
    store_batch_commit(f->store);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM sort_cost"), 0);
    store_batch_begin(f->store);
    add_logs(f->store, "b", 1, 8000); /* a big batch: down to half the bound at once */
    store_batch_commit(f->store);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM sort_cost"), 16000 - 8192);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM sort_tokens"), 16000 - 8192);
    assert_int_equal(store_fixture_int(f->store, mark), 16000 - 8192);
    store_batch_begin(f->store);
    add_logs(f->store, "c", 1, 400); /* a small one: one slice */
    store_batch_commit(f->store);
    assert_int_equal(store_fixture_int(f->store, mark), 16000 - 8192 + 4096);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM sort_latency"), 16000 - 8192 + 4096);
    store_batch_begin(f->store);
    add_logs(f->store, "d", 1, 200); /* the tail, 4,696, is under half the bound */
    store_batch_commit(f->store);
    assert_int_equal(store_fixture_int(f->store, mark), 16000 - 8192 + 4096);
    static struct tg_request_filter cheap;
    tg_filter_clear(&cheap);
    char err[256];
    assert_int_equal(tg_filter_parse("cost<0.002", &cheap, err, sizeof err), 0);
    for (enum tg_request_order o = TG_ORDER_COST; o <= TG_ORDER_LATENCY; o++)
        check_order(f->store, o, &cheap, "WHERE r.cost_nanos < 2000000");
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(tg_store_sqlite(f->store), "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
}

/* Below millions of keys a commit merges the whole tail once it is big
 * enough (16,384 here): the tables are small enough that one merge rewrites
 * each page once, where slices would rewrite most of them each time. */
static void test_whole_tail_merged_on_smaller_dbs(void **state)
{
    struct store_fixture *f = *state;
    store_batch_begin(f->store);
    add_logs(f->store, "a", 1, 16000);
    store_batch_commit(f->store);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM sort_cost"), 0);
    store_batch_begin(f->store);
    add_logs(f->store, "b", 1, 400);
    store_batch_commit(f->store);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM sort_cost"), 16400);
    assert_int_equal(store_fixture_int(f->store, "SELECT position FROM sync_state WHERE source = 'sort keys up to'"),
                     16400);
}

/* WAL frames (pages) one commit writes, from an emptied WAL. */
static int64_t frames_of_commit(struct tg_store *store, const char *prefix, int first, int last)
{
    int frames = -1, done = -1;
    sqlite3 *db = tg_store_sqlite(store);
    assert_int_equal(sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &frames, &done), SQLITE_OK);
    assert_int_equal(frames, 0);
    store_batch_begin(store);
    add_logs(store, prefix, first, last);
    store_batch_commit(store);
    assert_int_equal(sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames, &done), SQLITE_OK);
    return frames;
}

/* The collector's case: a db of 12,000 requests, then a commit of 300 logs
 * whose keys land all over the orders. With the keys in three indexes of
 * requests it wrote 128 pages (most of each index's leaves); in the tail it
 * writes the rows, bodies and rollups only: 24. */
static void test_small_commit_writes_few_pages(void **state)
{
    struct store_fixture *f = *state;
    for (int i = 0; i < 4; i++) {
        store_batch_begin(f->store);
        add_logs(f->store, "base", i * 3000 + 1, i * 3000 + 3000);
        store_batch_commit(f->store);
    }
    int64_t frames = frames_of_commit(f->store, "more", 1, 300);
    print_message("a commit of 300 logs into 12,000 wrote %lld pages\n", (long long)frames);
    assert_true(frames > 0);
    assert_true(frames < 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migration_16_from_schema_13, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tail_merged_at_commit, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_whole_tail_merged_on_smaller_dbs, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_small_commit_writes_few_pages, store_fixture_setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
