/* The per-thread rollup (schema 15, store/threads.h) and the Threads view's
 * list over it (query/threadlist.h): for any window and limit, walking the
 * rollup gives the same threads, order and totals as grouping the window's
 * requests; the rollup equals its requests grouped after retried logs, a
 * rolled back batch, a prune that cuts threads in two, and a backfill that
 * was interrupted and goes on at the next open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/prune.h"
#include "query/threadlist.h"
#include "store/store.h"
#include "store_batch.h"
#include "store_fixture.h"

#define BASE_MS STORE_BATCH_BASE_MS
#define LOGS 600
#define MINUTES 600

static const char *const developers[] = {"ana", "bo", "cy"};

/* log i: thread i % 37 (every 5th thread a UUID), about a minute apart,
 * threads overlapping in time; costs repeat so that ties happen */
static void log_of(int i, char *json, size_t len)
{
    int thread = (i * 7) % 37, minute = i + (thread % 5) * 40;
    char thread_id[64];
    if (thread % 5 == 0)
        snprintf(thread_id, sizeof thread_id, "00000000-0000-4000-8000-0000000000%02d", thread);
    else
        snprintf(thread_id, sizeof thread_id, "t-%d", thread);
    snprintf(json, len,
             "{\"unique_id\":\"log-%d\",\"timestamp\":%.3f,\"customer_identifier\":\"%s\",\"model\":\"m1\","
             "\"prompt_tokens\":10,\"completion_tokens\":5,\"cost\":%d.%03d%s%s%s}",
             i, (double)(BASE_MS + minute * 60000LL + (i % 3) * 7) / 1000.0, developers[(i + thread) % 3],
             i % 4, (i * 13) % 1000, i % 11 == 0 ? "" : ",\"thread_identifier\":\"", i % 11 == 0 ? "" : thread_id,
             i % 11 == 0 ? "" : "\"");
}

static void store_logs(struct tg_store *store, int from, int to, int per_batch)
{
    for (int i = from; i < to; i += per_batch) {
        store_batch_begin(store);
        for (int j = i; j < to && j < i + per_batch; j++) {
            char json[600];
            log_of(j, json, sizeof json);
            store_batch_add_json(store, json);
        }
        store_batch_commit(store);
    }
}

/* Every thread's rollup row against its requests grouped: no row missing,
 * none extra, every total equal. */
static void assert_rollup_exact(struct tg_store *store)
{
    static const char sql[] =
        "WITH g AS (SELECT thread_id, count(*) n, sum(cost_nanos) c, min(ts_ms) f, max(ts_ms) l,"
        " min(developer_id) d FROM requests WHERE thread_id IS NOT NULL AND id <= ?1 GROUP BY thread_id)"
        " SELECT (SELECT count(*) FROM g), (SELECT count(*) FROM threads),"
        " (SELECT count(*) FROM g JOIN threads t ON t.thread_id = g.thread_id AND t.turns = g.n"
        "  AND t.cost_nanos = g.c AND t.first_ms = g.f AND t.last_ms = g.l AND t.developer_id IS g.d"
        "  AND t.first_request = (SELECT min(id) FROM requests r WHERE r.thread_id = g.thread_id AND r.ts_ms = g.f"
        "  AND r.id <= ?1))";
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL), SQLITE_OK);
    /* the rollup counts the requests up to its mark; newer ones are read
     * from their rows (store/threads.h) */
    sqlite3_bind_int64(st, 1, tg_store_threads_counted_upto(store));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t groups = sqlite3_column_int64(st, 0), rows = sqlite3_column_int64(st, 1),
            equal = sqlite3_column_int64(st, 2);
    sqlite3_finalize(st);
    assert_true(groups > 0);
    assert_int_equal(rows, groups);
    assert_int_equal(equal, groups);
}

/* The rollup's answer against grouping, for windows cutting threads at
 * both ends and for limits below and above the number of threads. */
static void assert_walk_equals_grouping(struct tg_store *store)
{
    static struct tg_thread_row grouped[64], walked[64];
    static const int limits[] = {1, 2, 3, 7, 20, 64};
    char err[256];
    int windows = 0;
    for (int64_t since = -30; since < MINUTES + 200; since += 47) {
        for (int64_t span = 1; span < 900; span = span * 3 + 5) {
            int64_t s = BASE_MS + since * 60000 + 1234, u = s + span * 60000;
            for (size_t k = 0; k < sizeof limits / sizeof limits[0]; k++) {
                tg_threads_set_group_below(INT32_MAX);
                int ng = tg_threads_by_cost(store, s, u, grouped, limits[k], err, sizeof err);
                assert_int_equal(tg_threads_last_path(), 'g');
                tg_threads_set_group_below(0);
                int nw = tg_threads_by_cost(store, s, u, walked, limits[k], err, sizeof err);
                assert_int_equal(tg_threads_last_path(), 'r');
                assert_true(ng >= 0);
                assert_int_equal(nw, ng);
                for (int i = 0; i < ng; i++) {
                    assert_string_equal(walked[i].thread, grouped[i].thread);
                    assert_string_equal(walked[i].developer, grouped[i].developer);
                    assert_int_equal(walked[i].cost, grouped[i].cost);
                    assert_int_equal(walked[i].turns, grouped[i].turns);
                    assert_int_equal(walked[i].first_ms, grouped[i].first_ms);
                    assert_int_equal(walked[i].last_ms, grouped[i].last_ms);
                    assert_int_equal(walked[i].first_request, grouped[i].first_request);
                }
                windows += ng > 0;
            }
        }
    }
    tg_threads_set_group_below(-1);
    assert_true(windows > 100);
}

static void test_walk_equals_grouping(void **state)
{
    (void)state;
    struct store_fixture f;
    assert_int_equal(store_fixture_open(&f, "threadlist"), 0);
    tg_store_set_thread_count_step(f.store, 37); /* the rollup and newer rows both */
    store_logs(f.store, 0, LOGS, 50);
    store_logs(f.store, LOGS, LOGS + 30, 10); /* the newest past the rollup's mark */
    assert_true(tg_store_threads_counted_upto(f.store) < LOGS + 30);
    assert_true(tg_store_threads_ready(f.store));
    assert_rollup_exact(f.store);
    assert_walk_equals_grouping(f.store);
    store_fixture_close(&f);
}

static void test_retries_and_rollback_count_once(void **state)
{
    (void)state;
    struct store_fixture f;
    assert_int_equal(store_fixture_open(&f, "threadretry"), 0);
    tg_store_set_thread_count_step(f.store, 37); /* the rollup and newer rows both */
    store_logs(f.store, 0, 300, 40);
    store_logs(f.store, 100, 400, 7); /* 100..299 again: retried logs, refused by their ids */
    store_batch_begin(f.store);
    char json[600];
    log_of(450, json, sizeof json);
    store_batch_add_json(f.store, json);
    tg_store_rollback(f.store); /* its thread's sum goes with it */
    assert_rollup_exact(f.store);
    assert_walk_equals_grouping(f.store);
    store_fixture_close(&f);
}

static void test_prune_recounts_cut_threads(void **state)
{
    (void)state;
    struct store_fixture f;
    assert_int_equal(store_fixture_open(&f, "threadprune"), 0);
    tg_store_set_thread_count_step(f.store, 37); /* the rollup and newer rows both */
    store_logs(f.store, 0, LOGS, 60);
    store_logs(f.store, LOGS, LOGS + 20, 20); /* past the rollup's mark: counted from rows */
    /* and late ones, inside their threads' spans: a recount must leave them
     * to the count past the mark */
    store_batch_begin(f.store);
    for (int i = 0; i < 3; i++) {
        char json[400];
        snprintf(json, sizeof json,
                 "{\"unique_id\":\"late-%d\",\"timestamp\":%.3f,\"customer_identifier\":\"ana\",\"model\":\"m1\","
                 "\"prompt_tokens\":1,\"completion_tokens\":1,\"cost\":0.5,\"thread_identifier\":\"t-%d\"}",
                 i, (double)(BASE_MS + (300 + 50 * i) * 60000LL) / 1000.0, 7 + i);
        store_batch_add_json(f.store, json);
    }
    store_batch_commit(f.store);
    assert_true(tg_store_threads_counted_upto(f.store) < LOGS + 23);
    char err[256];
    struct tg_prune_options o = {.requests_before_ms = BASE_MS + 250 * 60000LL};
    struct tg_prune_counts counts = {0};
    assert_int_equal(tg_prune_run(f.store, &o, NULL, NULL, &counts, err, sizeof err), 0);
    assert_true(counts.requests > 100);
    assert_rollup_exact(f.store);
    assert_walk_equals_grouping(f.store);
    store_fixture_close(&f);
}

static void exec(struct tg_store *store, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(tg_store_sqlite(store), sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

/* A db as schema 14 left it (no rollup) migrates, and its backfill, cut
 * after the requests up to id 200, goes on from there at the next open. */
static void test_backfill_resumes(void **state)
{
    (void)state;
    struct store_fixture f;
    assert_int_equal(store_fixture_open(&f, "threadfill"), 0);
    tg_store_set_thread_count_step(f.store, 37); /* the rollup and newer rows both */
    store_logs(f.store, 0, LOGS, 100);
    exec(f.store, "DROP TABLE threads; PRAGMA user_version=14;");
    tg_store_close(f.store);
    char err[256];
    /* migrated to 15 and counted at the open */
    assert_int_equal(tg_store_open(f.path, 0, &f.store, err, sizeof err), 0);
    assert_int_equal(tg_store_schema_version(f.store), TG_STORE_SCHEMA_VERSION);
    assert_true(tg_store_threads_ready(f.store));
    assert_rollup_exact(f.store);
    /* as if the backfill was cut after the requests up to id 200 */
    exec(f.store, "DELETE FROM threads;"
                  "INSERT INTO threads SELECT thread_id, min(ts_ms), max(ts_ms), count(*), sum(cost_nanos),"
                  " min(developer_id), 0 FROM requests WHERE id <= 200 AND thread_id IS NOT NULL GROUP BY thread_id;"
                  "UPDATE threads SET first_request = (SELECT min(id) FROM requests r WHERE r.thread_id ="
                  " threads.thread_id AND r.ts_ms = threads.first_ms AND r.id <= 200);"
                  "INSERT INTO sync_state VALUES('threads counted up to', '200', 0);"
                  "INSERT INTO sync_state SELECT 'threads backfill ends at', max(id), 0 FROM requests;");
    assert_false(tg_store_threads_ready(f.store));
    tg_store_close(f.store);
    struct tg_store *reader;
    assert_int_equal(tg_store_open(f.path, TG_STORE_READ_ONLY, &reader, err, sizeof err), 0);
    static struct tg_thread_row rows[8];
    tg_threads_set_group_below(0);
    assert_true(tg_threads_by_cost(reader, 0, INT64_MAX, rows, 8, err, sizeof err) > 0);
    assert_int_equal(tg_threads_last_path(), 'g'); /* not counted yet: grouped */
    tg_threads_set_group_below(-1);
    tg_store_close(reader);
    assert_int_equal(tg_store_open(f.path, 0, &f.store, err, sizeof err), 0);
    assert_true(tg_store_threads_ready(f.store));
    assert_rollup_exact(f.store);
    assert_walk_equals_grouping(f.store);
    store_fixture_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_equals_grouping),
        cmocka_unit_test(test_retries_and_rollback_count_once),
        cmocka_unit_test(test_prune_recounts_cut_threads),
        cmocka_unit_test(test_backfill_resumes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
