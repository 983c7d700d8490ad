/* The filter of stored log ids as a collector's store uses it (not bulk: its
 * new ids wait in the tail, past the watermark, until a merge puts them in
 * log_ids): an id the filter never saw is never looked up, so every id in
 * the tail when the filter is built, and every id merged since, must be in
 * it. Each test stores ids again after the tail merged, where only the
 * filter and log_ids can find them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store_batch.h"
#include "store_fixture.h"

static int add_range(struct tg_store *store, int first, int last)
{
    return store_batch_add_range(store, "collector-log", first, last);
}

/* A collector's connection to the fixture's db, merging its tail of log ids
 * once it holds `merge` of them. */
static struct tg_store *open_collector(const struct store_fixture *f, int64_t merge)
{
    char err[256];
    struct tg_store *store;
    assert_int_equal(tg_store_open(f->path, 0, &store, err, sizeof err), 0);
    tg_store_set_id_merge_bounds(store, merge, merge);
    return store;
}

/* The filter is built by a store whose tail already holds ids (another
 * connection stored them, unmerged): they join the filter, so once this
 * store merges them they are still found. */
static void test_tail_ids_join_a_new_filter(void **state)
{
    struct store_fixture *f = *state;
    store_batch_begin(f->store);
    assert_int_equal(add_range(f->store, 1, 10), 10);
    store_batch_commit(f->store);
    struct tg_store *collector = open_collector(f, 16);
    store_batch_begin(collector);
    assert_int_equal(add_range(collector, 11, 20), 10);
    store_batch_commit(collector); /* 20 in the tail: merged */
    store_batch_begin(collector);
    assert_int_equal(add_range(collector, 1, 20), 0);
    assert_int_equal(add_range(collector, 21, 25), 5);
    store_batch_commit(collector);
    tg_store_close(collector);
    assert_int_equal(tg_store_request_count(f->store), 25);
}

/* Ids the collector stored itself, over many merges, and ids another
 * connection stored between its batches, are found again. */
static void test_merged_and_foreign_ids_are_found(void **state)
{
    struct store_fixture *f = *state;
    struct tg_store *collector = open_collector(f, 8);
    for (int batch = 0; batch < 10; batch++) {
        store_batch_begin(collector);
        assert_int_equal(add_range(collector, batch * 10 + 1, batch * 10 + 10), 10);
        store_batch_commit(collector);
    }
    store_batch_begin(f->store);
    assert_int_equal(add_range(f->store, 500, 520), 21);
    store_batch_commit(f->store);
    store_batch_begin(collector);
    assert_int_equal(add_range(collector, 1, 100), 0);
    assert_int_equal(add_range(collector, 500, 520), 0);
    store_batch_commit(collector);
    tg_store_close(collector);
    assert_int_equal(tg_store_request_count(f->store), 121);
}

/* A rolled-back batch's request ids go to another connection's logs: the
 * collector still finds them after merging. */
static void test_ids_after_a_rollback_are_found(void **state)
{
    struct store_fixture *f = *state;
    struct tg_store *collector = open_collector(f, 8);
    store_batch_begin(collector);
    assert_int_equal(add_range(collector, 1, 20), 20);
    store_batch_commit(collector);
    store_batch_begin(collector);
    assert_int_equal(add_range(collector, 100, 120), 21);
    tg_store_rollback(collector);
    store_batch_begin(f->store);
    assert_int_equal(add_range(f->store, 200, 220), 21);
    store_batch_commit(f->store);
    store_batch_begin(collector);
    assert_int_equal(add_range(collector, 300, 310), 11);
    store_batch_commit(collector); /* merges the other connection's ids too */
    store_batch_begin(collector);
    assert_int_equal(add_range(collector, 200, 220), 0);
    assert_int_equal(add_range(collector, 1, 20), 0);
    assert_int_equal(add_range(collector, 100, 120), 21);
    store_batch_commit(collector);
    tg_store_close(collector);
    assert_int_equal(tg_store_request_count(f->store), 73);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tail_ids_join_a_new_filter, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_merged_and_foreign_ids_are_found, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ids_after_a_rollback_are_found, store_fixture_setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
