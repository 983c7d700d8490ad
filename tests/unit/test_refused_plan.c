/* The spend report takes refused requests on revoked keys out of its counts
 * (query/refused.c). Every report and every screen's spend query runs that
 * step, so it must start from the few revoked keys and read only their
 * refused requests through the partial index, never the window's requests:
 * planned the other way it read all 4M requests of a test db (1.06 s a
 * report). The work is counted in SQLite's VM steps, not timed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "query/refused.h"
#include "store_fixture.h"

#define REQUESTS 100000

static long steps;

static int count_steps(void *ctx)
{
    (void)ctx;
    steps++;
    return 0;
}

static void fill(struct tg_store *store, int revoked_keys)
{
    sqlite3 *db = tg_store_sqlite(store);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO developers(id, ident) VALUES (1, 'alice');"
                                  "INSERT INTO keys(id, ident, key_id, name) VALUES (1, 'k1', 'k1', 'alice-laptop'), (2, 'k2', 'k2', 'bob');"
                                  "INSERT INTO models(id, name) VALUES (1, 'm');"
                                  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)"
                                  " INSERT INTO requests(log_id, ts_ms, developer_id, key_id, model_id, status_code,"
                                  "  is_error, prompt_tokens, completion_tokens, total_tokens, cache_read_tokens,"
                                  "  cache_creation_tokens, cost_nanos, cost_kind)"
                                  " SELECT 'log-' || i, 1790000000000 + i * 1000, 1, 1 + i % 2, 1,"
                                  "  CASE WHEN i % 1000 = 1 THEN 401 ELSE 200 END, i % 1000 = 1, 1, 1, 2, 0, 0, 10, 0"
                                  " FROM n;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    if (revoked_keys)
        assert_int_equal(sqlite3_exec(db, "UPDATE keys SET revoked_ms = 1790000050000 WHERE id = 2", NULL, NULL, NULL),
                         SQLITE_OK);
}

static long refused_steps(struct tg_store *store, struct tg_spend_report *report)
{
    struct tg_spend_filter filter = {.since_ms = 0, .until_ms = 4000000000000};
    char err[256];
    steps = 0;
    sqlite3_progress_handler(tg_store_sqlite(store), 1, count_steps, NULL);
    assert_int_equal(tg_spend_take_out_refused(store, TG_BY_KEY, &filter, report, err, sizeof err), 0);
    sqlite3_progress_handler(tg_store_sqlite(store), 0, NULL, NULL);
    return steps;
}

static void test_no_revoked_key_reads_no_request(void **state)
{
    struct store_fixture *f = *state;
    fill(f->store, 0);
    struct tg_spend_report report = {.by = TG_BY_KEY};
    long n = refused_steps(f->store, &report);
    assert_true(n < 1000); /* a scan of the window is > REQUESTS steps */
    assert_int_equal(report.total.refused_revoked, 0);
}

static void test_revoked_key_reads_only_its_refused_requests(void **state)
{
    struct store_fixture *f = *state;
    fill(f->store, 1);
    struct tg_spend_row rows[2] = {{.group_id = 1, .requests = 50000}, {.group_id = 2, .requests = 50000}};
    struct tg_spend_report report = {.by = TG_BY_KEY, .rows = rows, .count = 2};
    report.total.requests = REQUESTS;
    long n = refused_steps(f->store, &report);
    /* the 100 refused requests (i = 1, 1001, ...) are all key 2's; 99 come
     * after its revocation at i = 50 */
    assert_true(n < 20000);
    assert_int_equal(rows[1].refused_revoked, 99);
    assert_int_equal(rows[1].requests, 50000 - 99);
    assert_int_equal(rows[0].refused_revoked, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_revoked_key_reads_no_request, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_revoked_key_reads_only_its_refused_requests, store_fixture_setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
