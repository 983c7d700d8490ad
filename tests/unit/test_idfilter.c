/* The filter of stored log ids a bulk import checks before probing log_ids
 * (core/store/idfilter.c, logids.c): duplicates stay exact whatever other
 * writers did between its batches, and after a rollback. */
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

static bool add_one(struct tg_store *store, int i)
{
    char json[512], err[256];
    snprintf(json, sizeof json,
             "{\"unique_id\":\"filter-log-%d\",\"timestamp\":%.3f,\"customer_identifier\":\"dana\","
             "\"model\":\"m1\",\"prompt_tokens\":10,\"completion_tokens\":5,\"cost\":0.001}",
             i, (double)(BASE_MS + i * 1000LL) / 1000.0);
    struct tg_log log;
    struct tg_log_error lerr;
    struct tg_log_parse_options opt = {0};
    if (tg_log_parse_text(json, strlen(json), &opt, &log, &lerr) != 0)
        fail_msg("parse: %s", lerr.message);
    tg_pricing_price_log(NULL, &log);
    bool inserted;
    if (tg_store_add(store, &log, &inserted, err, sizeof err) != 0)
        fail_msg("add: %s", err);
    tg_log_free(&log);
    return inserted;
}

/* Adds logs first..last in an open batch; returns how many were new. */
static int add_range(struct tg_store *store, int first, int last)
{
    int fresh = 0;
    for (int i = first; i <= last; i++)
        fresh += add_one(store, i);
    return fresh;
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

static struct tg_store *open_bulk(const struct store_fixture *f)
{
    char err[256];
    struct tg_store *bulk;
    assert_int_equal(tg_store_open(f->path, TG_STORE_BULK, &bulk, err, sizeof err), 0);
    return bulk;
}

/* Ids stored before the import and earlier in it are found once the filter
 * is built (after a sixteenth as many lookups as stored ids). */
static void test_bulk_duplicates_stay_exact(void **state)
{
    struct store_fixture *f = *state;
    begin(f->store);
    assert_int_equal(add_range(f->store, 1, 300), 300);
    commit(f->store);
    struct tg_store *bulk = open_bulk(f);
    begin(bulk);
    assert_int_equal(add_range(bulk, 301, 600), 300);
    assert_int_equal(add_range(bulk, 1, 600), 0);
    commit(bulk);
    begin(bulk);
    assert_int_equal(add_range(bulk, 550, 650), 50);
    commit(bulk);
    tg_store_close(bulk);
    assert_int_equal(tg_store_request_count(f->store), 650);
}

/* Another writer stores logs between two batches of the bulk store: its ids
 * join the filter before the bulk store looks one up. */
static void test_ids_stored_by_another_writer_are_found(void **state)
{
    struct store_fixture *f = *state;
    struct tg_store *bulk = open_bulk(f);
    begin(bulk);
    assert_int_equal(add_range(bulk, 1, 200), 200);
    commit(bulk);
    begin(f->store);
    assert_int_equal(add_range(f->store, 1000, 1100), 101);
    commit(f->store);
    begin(bulk);
    assert_int_equal(add_range(bulk, 1000, 1100), 0);
    assert_int_equal(add_range(bulk, 1101, 1110), 10);
    commit(bulk);
    tg_store_close(bulk);
    assert_int_equal(tg_store_request_count(f->store), 311);
}

/* A batch rolled back: the request ids it used go to another writer's logs,
 * which the bulk store must still find. */
static void test_ids_after_a_rollback_are_found(void **state)
{
    struct store_fixture *f = *state;
    struct tg_store *bulk = open_bulk(f);
    begin(bulk);
    assert_int_equal(add_range(bulk, 1, 200), 200);
    commit(bulk);
    begin(bulk);
    assert_int_equal(add_range(bulk, 500, 550), 51);
    tg_store_rollback(bulk);
    begin(f->store);
    assert_int_equal(add_range(f->store, 2000, 2050), 51);
    commit(f->store);
    begin(bulk);
    assert_int_equal(add_range(bulk, 2000, 2050), 0);
    assert_int_equal(add_range(bulk, 500, 550), 51);
    commit(bulk);
    tg_store_close(bulk);
    assert_int_equal(tg_store_request_count(f->store), 302);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bulk_duplicates_stay_exact, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ids_stored_by_another_writer_are_found, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ids_after_a_rollback_are_found, store_fixture_setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
