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
#include "store_batch.h"
#include "store_fixture.h"

/* Adds logs first..last in an open batch; returns how many were new. */
static int add_range(struct tg_store *store, int first, int last)
{
    return store_batch_add_range(store, "filter-log", first, last);
}

/* Ids stored before the import and earlier in it are found once the filter
 * is built (after a sixteenth as many lookups as stored ids). */
static void test_bulk_duplicates_stay_exact(void **state)
{
    struct store_fixture *f = *state;
    store_batch_begin(f->store);
    assert_int_equal(add_range(f->store, 1, 300), 300);
    store_batch_commit(f->store);
    struct tg_store *bulk = store_batch_open_bulk(f);
    store_batch_begin(bulk);
    assert_int_equal(add_range(bulk, 301, 600), 300);
    assert_int_equal(add_range(bulk, 1, 600), 0);
    store_batch_commit(bulk);
    store_batch_begin(bulk);
    assert_int_equal(add_range(bulk, 550, 650), 50);
    store_batch_commit(bulk);
    tg_store_close(bulk);
    assert_int_equal(tg_store_request_count(f->store), 650);
}

/* Another writer stores logs between two batches of the bulk store: its ids
 * join the filter before the bulk store looks one up. */
static void test_ids_stored_by_another_writer_are_found(void **state)
{
    struct store_fixture *f = *state;
    struct tg_store *bulk = store_batch_open_bulk(f);
    store_batch_begin(bulk);
    assert_int_equal(add_range(bulk, 1, 200), 200);
    store_batch_commit(bulk);
    store_batch_begin(f->store);
    assert_int_equal(add_range(f->store, 1000, 1100), 101);
    store_batch_commit(f->store);
    store_batch_begin(bulk);
    assert_int_equal(add_range(bulk, 1000, 1100), 0);
    assert_int_equal(add_range(bulk, 1101, 1110), 10);
    store_batch_commit(bulk);
    tg_store_close(bulk);
    assert_int_equal(tg_store_request_count(f->store), 311);
}

/* A batch rolled back: the request ids it used go to another writer's logs,
 * which the bulk store must still find. */
static void test_ids_after_a_rollback_are_found(void **state)
{
    struct store_fixture *f = *state;
    struct tg_store *bulk = store_batch_open_bulk(f);
    store_batch_begin(bulk);
    assert_int_equal(add_range(bulk, 1, 200), 200);
    store_batch_commit(bulk);
    store_batch_begin(bulk);
    assert_int_equal(add_range(bulk, 500, 550), 51);
    tg_store_rollback(bulk);
    store_batch_begin(f->store);
    assert_int_equal(add_range(f->store, 2000, 2050), 51);
    store_batch_commit(f->store);
    store_batch_begin(bulk);
    assert_int_equal(add_range(bulk, 2000, 2050), 0);
    assert_int_equal(add_range(bulk, 500, 550), 51);
    store_batch_commit(bulk);
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
