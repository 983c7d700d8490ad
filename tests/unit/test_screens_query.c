/* What the screens ask of core for issue 15: the exact last-seen time per
 * developer / key / model (kept by batches, backfilled by migration 8), the
 * calendar windows and their previous periods, dates that say what is wrong,
 * the Requests list in cost order by keyset, and filter errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log/logmodel.h"
#include "log/pricing.h"
#include "query/filter.h"
#include "query/requestlist.h"
#include "query/spend.h"
#include "query/window.h"
#include "store/store.h"
#include "store_fixture.h"

#define NOV_24_10H 1795514400000LL /* 2026-11-24T10:00:00Z, a Tuesday */

static void add_log(struct tg_store *store, int i, const char *ts, const char *dev, double cost)
{
    char json[512], err[256];
    snprintf(json, sizeof json,
             "{\"unique_id\":\"l-%d\",\"timestamp\":\"%s\",\"customer_identifier\":\"%s\","
             "\"organization_key_name\":\"%s-key\",\"model\":\"gpt-5.5\",\"prompt_tokens\":%d,"
             "\"completion_tokens\":1,\"cost\":%.6f}",
             i, ts, dev, dev, 10 * i, cost);
    struct tg_log log;
    struct tg_log_error lerr;
    struct tg_log_parse_options opt = {0};
    bool inserted;
    if (tg_log_parse_text(json, strlen(json), &opt, &log, &lerr) != 0)
        fail_msg("parse: %s", lerr.message);
    tg_pricing_price_log(NULL, &log);
    int rc = tg_store_add(store, &log, &inserted, err, sizeof err);
    tg_log_free(&log);
    if (rc != 0)
        fail_msg("add: %s", err);
}


static void batch(struct tg_store *store, const char *const ts[], const char *dev, int first, int n)
{
    char err[256];
    assert_int_equal(tg_store_begin(store, err, sizeof err), 0);
    for (int i = 0; i < n; i++)
        add_log(store, first + i, ts[i], dev, 0.25 * (i + 1));
    assert_int_equal(tg_store_commit(store, err, sizeof err), 0);
}

/* Batches keep the newest time per dimension, never moving it back; a
 * rolled-back batch leaves it as it was; the spend table's LAST is exact. */
static void test_last_seen_kept_by_batches(void **state)
{
    struct store_fixture *f = *state;
    static const char *const ts[] = {"2026-11-24T09:58:12.345Z", "2026-11-24T09:01:00Z"};
    batch(f->store, ts, "ann", 1, 2);
    assert_int_equal(store_fixture_int(f->store, "SELECT last_seen_ms FROM developers WHERE ident = 'ann'"),
                     NOV_24_10H - 107655);
    assert_int_equal(store_fixture_int(f->store, "SELECT last_seen_ms FROM keys WHERE name = 'ann-key'"), NOV_24_10H - 107655);
    static const char *const older[] = {"2026-11-20T00:00:00Z"};
    batch(f->store, older, "ann", 10, 1);
    assert_int_equal(store_fixture_int(f->store, "SELECT last_seen_ms FROM models WHERE name = 'gpt-5.5'"),
                     NOV_24_10H - 107655);
    char err[256];
    assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
    add_log(f->store, 20, "2026-11-24T09:59:59Z", "ann", 1);
    tg_store_rollback(f->store);
    assert_int_equal(store_fixture_int(f->store, "SELECT last_seen_ms FROM developers WHERE ident = 'ann'"),
                     NOV_24_10H - 107655);
    struct tg_spend_filter sf = {NOV_24_10H - 30 * 86400000LL, TG_SPEND_OPEN, NULL, NULL, NULL, false};
    struct tg_spend_report r;
    assert_int_equal(tg_spend_query(f->store, TG_BY_DEVELOPER, &sf, 0, &r, err, sizeof err), 0);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.rows[0].last_ms, NOV_24_10H - 107655); /* not the 09:00 bucket */
    tg_spend_report_free(&r);
    /* a window that ends before the last request keeps the rollups' answer inside it */
    sf.until_ms = NOV_24_10H - 86400000LL;
    assert_int_equal(tg_spend_query(f->store, TG_BY_DEVELOPER, &sf, 0, &r, err, sizeof err), 0);
    assert_true(r.rows[0].last_ms < sf.until_ms);
    tg_spend_report_free(&r);
}

/* A db written at schema 7 gets last_seen_ms from its requests on opening. */
static void test_migration_backfills_last_seen(void **state)
{
    struct store_fixture *f = *state;
    char err[256];
    struct tg_store *old = store_fixture_reopen_at(f, 7);
    assert_int_equal(sqlite3_exec(tg_store_sqlite(old),
                                  "INSERT INTO developers(id, ident) VALUES (1, 'bo');"
                                  "INSERT INTO models(id, name) VALUES (4, 'm');"
                                  "INSERT INTO requests(id, log_id, ts_ms, developer_id, model_id, status_code,"
                                  " is_error, prompt_tokens, completion_tokens, total_tokens, cache_read_tokens,"
                                  " cache_creation_tokens, cost_nanos, cost_kind) VALUES"
                                  " (1, 'a', 5000, 1, 4, 200, 0, 1, 1, 2, 0, 0, 1, 0),"
                                  " (2, 'b', 9000, 1, 4, 200, 0, 1, 1, 2, 0, 0, 1, 0),"
                                  " (3, 'c', 7000, 1, NULL, 200, 0, 1, 1, 2, 0, 0, 1, 0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    tg_store_close(old);
    assert_int_equal(tg_store_open(f->path, 0, &f->store, err, sizeof err), 0);
    assert_int_equal(store_fixture_int(f->store, "SELECT last_seen_ms FROM developers WHERE id = 1"), 9000);
    assert_int_equal(store_fixture_int(f->store, "SELECT last_seen_ms FROM models WHERE id = 4"), 9000);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM sqlite_master WHERE name = 'sort_cost'"), 1);
}

/* Pages of the cost order by keyset equal one ORDER BY, by either plan. */
static void test_cost_order_pages_by_keyset(void **state)
{
    struct store_fixture *f = *state;
    char err[256];
    assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
    for (int i = 0; i < 50; i++) {
        char ts[40];
        snprintf(ts, sizeof ts, "2026-11-24T08:%02d:00Z", i);
        add_log(f->store, i, ts, i % 2 ? "odd" : "even", (double)(i % 7) / 10); /* ties on purpose */
    }
    assert_int_equal(tg_store_commit(f->store, err, sizeof err), 0);
    for (int plan = 0; plan < 2; plan++) {
        struct tg_request_list list = {f->store, TG_ORDER_COST, 0, INT64_MAX, NULL, plan == 1};
        struct tg_request_row page[8];
        int64_t value = INT64_MAX, id = INT64_MAX, seen = 0, last_cost = INT64_MAX, last_id = INT64_MAX;
        int n;
        while ((n = tg_request_list_page(&list, false, value, id, page, 8, err, sizeof err)) > 0) {
            for (int i = 0; i < n; i++) {
                assert_true(page[i].cost < last_cost || (page[i].cost == last_cost && page[i].row_id < last_id));
                last_cost = page[i].cost;
                last_id = page[i].row_id;
            }
            seen += n;
            value = tg_request_order_value(TG_ORDER_COST, &page[n - 1]);
            id = page[n - 1].row_id;
        }
        assert_int_equal(n, 0);
        assert_int_equal(seen, 50);
        /* and back up from the last row: the three before it, nearest first */
        n = tg_request_list_page(&list, true, value, id, page, 3, err, sizeof err);
        assert_int_equal(n, 3);
        for (int i = 0; i < n; i++) {
            assert_true(page[i].cost > last_cost || (page[i].cost == last_cost && page[i].row_id > last_id));
            last_cost = page[i].cost;
            last_id = page[i].row_id;
        }
    }
    static struct tg_request_filter none;
    tg_filter_clear(&none);
    assert_int_equal(tg_filter_set(&none, TG_FILTER_DEVELOPER, "nobody"), 0);
    struct tg_request_list list = {f->store, TG_ORDER_TIME, 0, INT64_MAX, &none, false};
    char why[300];
    tg_request_list_why_empty(&list, why, sizeof why);
    assert_string_equal(why, "no developer matches 'nobody'");
    assert_int_equal(tg_filter_parse("cost>5", &none, err, sizeof err), 0);
    tg_request_list_why_empty(&list, why, sizeof why);
    assert_string_equal(why, "no request in this window matches cost>5");
}

static void test_unknown_filter_fields(void **state)
{
    (void)state;
    static struct tg_request_filter f;
    char err[300];
    assert_int_equal(tg_filter_parse("devv:hiro", &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown field devv: \u2014 fields are dev key model status cost thread"));
    assert_int_equal(tg_filter_parse("tokens>5", &f, err, sizeof err), -1);
    assert_int_equal(tg_filter_parse("TypeError: https://x.io/a \"devv:hiro\"", &f, err, sizeof err), 0);
    assert_string_equal(f.text, "TypeError: https://x.io/a devv:hiro");
}

static void test_named_windows_in_utc(void **state)
{
    (void)state;
    int64_t since, until;
    assert_int_equal(tg_window_named("today", NOV_24_10H, true, &since, &until), 0);
    assert_int_equal(since, NOV_24_10H - 10 * 3600000LL);
    assert_int_equal(until, -1);
    assert_int_equal(tg_window_named("week", NOV_24_10H, true, &since, &until), 0);
    assert_int_equal(since, NOV_24_10H - 10 * 3600000LL - 86400000LL); /* Monday the 23rd */
    assert_int_equal(tg_window_named("last-month", NOV_24_10H, true, &since, &until), 0);
    assert_int_equal(since, 1790812800000LL); /* 2026-10-01 */
    assert_int_equal(until, 1793491200000LL); /* 2026-11-01 */
    assert_int_equal(tg_window_named_previous("month", NOV_24_10H, true, &since, &until), 0);
    assert_int_equal(since, 1790812800000LL);
    assert_int_equal(until, NOV_24_10H - 31 * 86400000LL); /* 2026-10-24T10:00 */
    assert_int_equal(tg_window_named_previous("today", NOV_24_10H, true, &since, &until), 0);
    assert_int_equal(until - since, 10 * 3600000LL);
    assert_int_equal(tg_window_named("fortnight", NOV_24_10H, true, &since, &until), -1);
}

static void test_bad_dates_say_what_is_wrong(void **state)
{
    (void)state;
    int64_t ms;
    char err[200];
    assert_int_equal(tg_window_parse_time(":since", "2026-13-01", NOV_24_10H, true, &ms, err, sizeof err), -1);
    assert_string_equal(err, ":since: month 13 in '2026-13-01' is not 1 to 12");
    assert_int_equal(tg_window_parse_time(":since", "2026-02-30", NOV_24_10H, true, &ms, err, sizeof err), -1);
    assert_string_equal(err, ":since: day 30 in '2026-02-30' is not 1 to 28 (February 2026 has 28 days)");
    assert_int_equal(tg_window_parse_time(":since", "2026-11-01T25:00", NOV_24_10H, true, &ms, err, sizeof err), -1);
    assert_non_null(strstr(err, "hour 25 in '2026-11-01T25:00' is not 0 to 23"));
    assert_int_equal(tg_window_parse_time(":since", "soon", NOV_24_10H, true, &ms, err, sizeof err), -1);
    assert_non_null(strstr(err, "'soon' is not a time"));
    assert_int_equal(tg_window_parse_time(":since", "2026-11-01", NOV_24_10H, true, &ms, err, sizeof err), 0);
    assert_int_equal(ms, 1793491200000LL);
    assert_int_equal(tg_window_parse_time(":since", "7d", NOV_24_10H, true, &ms, err, sizeof err), 0);
    assert_int_equal(ms, NOV_24_10H - 7 * 86400000LL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_last_seen_kept_by_batches, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_migration_backfills_last_seen, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_cost_order_pages_by_keyset, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test(test_unknown_filter_fields),
        cmocka_unit_test(test_named_windows_in_utc),
        cmocka_unit_test(test_bad_dates_say_what_is_wrong),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
