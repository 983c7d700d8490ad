/* A big bulk batch drops the indexes of requests and builds them again at
 * its commit (core/store/bulkindex.c): after the commit they are all there
 * and hold every row; after a rollback they are as they were. */
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

#define BASE_MS STORE_BATCH_BASE_MS

static void add_range(struct tg_store *store, int first, int last)
{
    char json[512];
    for (int i = first; i <= last; i++) {
        snprintf(json, sizeof json,
                 "{\"unique_id\":\"bulk-%d\",\"timestamp\":%.3f,\"customer_identifier\":\"dana\","
                 "\"organization_key_id\":\"kd\",\"model\":\"m1\",\"prompt_tokens\":%d,\"completion_tokens\":5,"
                 "\"cost\":%.6f,\"latency\":%.3f,\"status_code\":%d}",
                 i, (double)(BASE_MS + i * 1000LL) / 1000.0, i % 97, (i % 13) / 1000.0, (i % 7) / 10.0,
                 i % 10 == 0 ? 401 : 200);
        assert_true(store_batch_add_json(store, json));
    }
}


#define COUNT_INDEXES "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests'"

static struct tg_store *open_bulk(const struct store_fixture *f)
{
    char err[256];
    struct tg_store *bulk;
    assert_int_equal(tg_store_open(f->path, TG_STORE_BULK, &bulk, err, sizeof err), 0);
    tg_store_set_bulk_index_min(bulk, 100);
    return bulk;
}

static void test_indexes_are_built_again_at_commit(void **state)
{
    struct store_fixture *f = *state;
    int64_t indexes = store_fixture_int(f->store, COUNT_INDEXES);
    assert_true(indexes >= 2); /* time and refused; the sort keys have their own tables (schema 16) */
    struct tg_store *bulk = open_bulk(f);
    char err[256];
    assert_int_equal(tg_store_begin(bulk, err, sizeof err), 0);
    add_range(bulk, 1, 50);
    assert_int_equal(store_fixture_int(bulk, COUNT_INDEXES), indexes); /* too few logs yet */
    add_range(bulk, 51, 300);
    assert_int_equal(store_fixture_int(bulk, COUNT_INDEXES), indexes - 2);
    assert_int_equal(tg_store_commit(bulk, err, sizeof err), 0);
    assert_int_equal(store_fixture_int(f->store, COUNT_INDEXES), indexes);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM requests INDEXED BY requests_refused"
                                         " WHERE key_id > 0 AND status_code IN (401, 403)"),
                     30);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM requests INDEXED BY requests_ts WHERE ts_ms > 0"), 300);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(tg_store_sqlite(f->store), "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    /* a batch adding less than twice the rows the db holds keeps them: the
     * rebuild would cover the db's rows too, for little gain */
    assert_int_equal(tg_store_begin(bulk, err, sizeof err), 0);
    add_range(bulk, 301, 800);
    assert_int_equal(store_fixture_int(bulk, COUNT_INDEXES), indexes);
    assert_int_equal(tg_store_commit(bulk, err, sizeof err), 0);
    tg_store_close(bulk);
}

static void test_a_rollback_keeps_the_indexes(void **state)
{
    struct store_fixture *f = *state;
    int64_t indexes = store_fixture_int(f->store, COUNT_INDEXES);
    struct tg_store *bulk = open_bulk(f);
    char err[256];
    assert_int_equal(tg_store_begin(bulk, err, sizeof err), 0);
    add_range(bulk, 1, 300);
    assert_int_equal(store_fixture_int(bulk, COUNT_INDEXES), indexes - 2);
    tg_store_rollback(bulk);
    assert_int_equal(store_fixture_int(f->store, COUNT_INDEXES), indexes);
    assert_int_equal(tg_store_request_count(f->store), 0);
    assert_int_equal(tg_store_begin(bulk, err, sizeof err), 0); /* and the next batch defers them again */
    add_range(bulk, 1, 300);
    assert_int_equal(tg_store_commit(bulk, err, sizeof err), 0);
    tg_store_close(bulk);
    assert_int_equal(store_fixture_int(f->store, COUNT_INDEXES), indexes);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM requests INDEXED BY requests_ts WHERE ts_ms > 0"), 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_indexes_are_built_again_at_commit, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_rollback_keeps_the_indexes, store_fixture_setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
