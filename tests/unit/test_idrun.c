/* A bulk batch's log ids wait in memory (core/store/idrun.c) and go into
 * log_ids, in key order, at its commit: duplicates stay exact within the
 * batch whenever the filter is built, a rollback forgets them, and every
 * committed id is indexed and found again. */
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
#include "store_batch.h"
#include "store_fixture.h"

static bool add_one(struct tg_store *store, int i)
{
    char id[32];
    snprintf(id, sizeof id, "run-log-%d", i);
    return store_batch_add_id(store, id, i);
}

/* Adds logs first..last in an open batch; returns how many were new. */
static int add_range(struct tg_store *store, int first, int last)
{
    return store_batch_add_range(store, "run-log", first, last);
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

/* The db holds 3,200 ids, so the bulk store builds its filter at its 200th
 * lookup, in the middle of a batch whose first 199 ids are still in memory
 * only: the filter must hold them too, or their resends pass as new. */
static void test_filter_built_mid_batch_knows_the_batch(void **state)
{
    struct store_fixture *f = *state;
    store_batch_begin(f->store);
    assert_int_equal(add_range(f->store, 1, 3200), 3200);
    store_batch_commit(f->store);
    struct tg_store *bulk = store_batch_open_bulk(f);
    store_batch_begin(bulk);
    assert_int_equal(add_range(bulk, 5001, 5300), 300);
    assert_int_equal(add_range(bulk, 5001, 5300), 0);
    assert_int_equal(add_range(bulk, 1, 3200), 0);
    store_batch_commit(bulk);
    tg_store_close(bulk);
    assert_int_equal(tg_store_request_count(f->store), 3500);
}

/* Resent at once, and resent after many other ids grew the table. */
static void test_resends_within_a_batch(void **state)
{
    struct store_fixture *f = *state;
    struct tg_store *bulk = store_batch_open_bulk(f);
    store_batch_begin(bulk);
    for (int i = 1; i <= 6000; i++) {
        assert_true(add_one(bulk, i));
        assert_false(add_one(bulk, i));
    }
    assert_int_equal(add_range(bulk, 1, 6000), 0);
    store_batch_commit(bulk);
    assert_int_equal(count_of(bulk, "SELECT count(*) FROM log_ids"), 6000);
    tg_store_close(bulk);
}

/* Every committed id is in log_ids, in key order, and found again by a later
 * batch and by tg_store_raw_log. */
static void test_committed_ids_are_indexed(void **state)
{
    struct store_fixture *f = *state;
    struct tg_store *bulk = store_batch_open_bulk(f);
    store_batch_begin(bulk);
    assert_int_equal(add_range(bulk, 1, 2000), 2000);
    store_batch_commit(bulk);
    assert_int_equal(count_of(bulk, "SELECT count(*) FROM log_ids i JOIN requests r ON r.id = i.request_id"
                                    " WHERE i.hash = tg_id_hash(r.log_id)"),
                     2000);
    tg_store_close(bulk);
    store_batch_begin(f->store);
    assert_int_equal(add_range(f->store, 1, 2000), 0);
    store_batch_commit(f->store);
    char *raw, err[256];
    size_t len;
    assert_int_equal(tg_store_raw_log(f->store, "run-log-1234", &raw, &len, err, sizeof err), 0);
    assert_non_null(strstr(raw, "run-log-1234"));
    free(raw);
}

/* A rolled-back batch's ids are forgotten: stored again, they are new. */
static void test_rollback_forgets_the_run(void **state)
{
    struct store_fixture *f = *state;
    struct tg_store *bulk = store_batch_open_bulk(f);
    store_batch_begin(bulk);
    assert_int_equal(add_range(bulk, 1, 500), 500);
    tg_store_rollback(bulk);
    store_batch_begin(bulk);
    assert_int_equal(add_range(bulk, 1, 500), 500);
    assert_int_equal(add_range(bulk, 250, 750), 250);
    store_batch_commit(bulk);
    assert_int_equal(count_of(bulk, "SELECT count(*) FROM log_ids"), 750);
    tg_store_close(bulk);
    assert_int_equal(tg_store_request_count(f->store), 750);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_filter_built_mid_batch_knows_the_batch, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_resends_within_a_batch, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_committed_ids_are_indexed, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_rollback_forgets_the_run, store_fixture_setup, store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
