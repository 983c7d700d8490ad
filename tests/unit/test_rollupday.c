/* A batch's rollups (core/store/rollups.c): its hourly deltas are summed by
 * day before one upsert of each daily row. The daily rows must equal the sum
 * of the hourly ones, across batches (sums that do not fit: money_trust_test.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/logmodel.h"
#include "log/pricing.h"
#include "store/store.h"
#include "store_fixture.h"

#define BASE_MS 1793491200000LL /* 2026-11-01T00:00:00Z */

/* Log i at BASE_MS + minutes, by developer dev, costing cost dollars. */
static int add_log(struct tg_store *store, int i, int64_t minutes, const char *dev, double cost, bool *inserted,
                   char *err, size_t errlen)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"unique_id\":\"day-log-%d\",\"timestamp\":%.3f,\"customer_identifier\":\"%s\","
             "\"model\":\"m%d\",\"prompt_tokens\":%d,\"completion_tokens\":5,\"cost\":%.6f,\"latency\":%.3f}",
             i, (double)(BASE_MS + minutes * 60000LL) / 1000.0, dev, i % 3, 10 + i, cost, 0.1 * (i % 40));
    struct tg_log log;
    struct tg_log_error lerr;
    struct tg_log_parse_options opt = {0};
    if (tg_log_parse_text(json, strlen(json), &opt, &log, &lerr) != 0)
        fail_msg("parse: %s", lerr.message);
    tg_pricing_price_log(NULL, &log);
    int rc = tg_store_add(store, &log, inserted, err, errlen);
    tg_log_free(&log);
    return rc;
}

static void begin(struct tg_store *store)
{
    char err[256];
    assert_int_equal(tg_store_begin(store, err, sizeof err), 0);
}

static void commit(struct tg_store *store)
{
    char err[256];
    assert_int_equal(tg_store_commit(store, err, sizeof err), 0);
}

static int64_t count_of(struct tg_store *store, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Daily rows that differ from the sums of their hours, column by column. */
#define DAILY_MISMATCHES                                                                                   \
    "SELECT count(*) FROM rollup_daily d FULL JOIN (SELECT hour / 24 AS day, developer_id, key_id, model_id," \
    " sum(requests) AS requests, sum(errors) AS errors, sum(prompt_tokens) AS prompt_tokens,"                 \
    " sum(completion_tokens) AS completion_tokens, sum(total_tokens) AS total_tokens,"                        \
    " sum(cost_nanos) AS cost_nanos, sum(unpriced) AS unpriced, tg_latency_sum(latency_hist) AS hist"        \
    " FROM rollup_hourly GROUP BY 1, 2, 3, 4) h USING (day, developer_id, key_id, model_id)"                  \
    " WHERE d.requests IS NOT h.requests OR d.errors IS NOT h.errors OR d.prompt_tokens IS NOT h.prompt_tokens" \
    " OR d.completion_tokens IS NOT h.completion_tokens OR d.total_tokens IS NOT h.total_tokens"              \
    " OR d.cost_nanos IS NOT h.cost_nanos OR d.unpriced IS NOT h.unpriced OR d.latency_hist IS NOT h.hist"

/* Three days of logs, by two developers and three models, in two batches
 * whose hours and days overlap. */
static void test_daily_rows_are_the_sum_of_their_hours(void **state)
{
    struct store_fixture *f = *state;
    char err[256];
    bool inserted;
    begin(f->store);
    for (int i = 0; i < 600; i++)
        assert_int_equal(add_log(f->store, i, (int64_t)i * 7 % (60 * 60), i % 2 ? "ann" : "bob", 0.001 * (i % 5),
                                 &inserted, err, sizeof err),
                         0);
    commit(f->store);
    begin(f->store);
    for (int i = 600; i < 1000; i++)
        assert_int_equal(add_log(f->store, i, (int64_t)i * 11 % (72 * 60), i % 2 ? "ann" : "bob", 0.002,
                                 &inserted, err, sizeof err),
                         0);
    commit(f->store);
    assert_int_equal(count_of(f->store, "SELECT count(DISTINCT hour / 24) FROM rollup_hourly"), 3);
    assert_true(count_of(f->store, "SELECT count(*) FROM rollup_hourly") > 3 * 24);
    assert_int_equal(count_of(f->store, "SELECT sum(requests) FROM rollup_daily"), 1000);
    assert_int_equal(count_of(f->store, DAILY_MISMATCHES), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_daily_rows_are_the_sum_of_their_hours, store_fixture_setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
