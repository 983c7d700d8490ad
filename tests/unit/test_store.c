/* The store: idempotency, atomic batches, migrations, rollups that equal the
 * raw rows, spend queries over ragged windows, exact raw round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest/ingest.h"
#include "ops/prune.h"
#include "query/spend.h"
#include "base/latency.h"
#include "store/store.h"
#include "base/timeutil.h"
#include "store_fixture.h"

#define BASE_MS 1793491200000LL /* 2026-11-01T00:00:00Z */

static void make_log(char *buf, size_t len, int i, int64_t ts_ms, const char *dev, const char *key,
                     const char *model, double cost, int latency_ms, int status)
{
    snprintf(buf, len,
             "{\"unique_id\":\"log-%d\",\"timestamp\":%.3f,\"customer_identifier\":\"%s\","
             "\"organization_key_id\":\"%s-id\",\"organization_key_name\":\"%s\",\"model\":\"%s\","
             "\"prompt_tokens\":%d,\"completion_tokens\":%d,\"prompt_cache_hit_tokens\":%d,"
             "\"cost\":%.9f,\"latency\":%.3f,\"status_code\":%d}",
             i, (double)ts_ms / 1000.0, dev, key, key, model, 1000 + i, 10 + i % 50, i % 700, cost,
             latency_ms / 1000.0, status);
}

static void add_text(struct tg_store *store, const char *json, bool *inserted)
{
    struct tg_log log;
    struct tg_log_error lerr;
    char err[256];
    struct tg_log_parse_options opt = {0};
    if (tg_log_parse_text(json, strlen(json), &opt, &log, &lerr) != 0)
        fail_msg("parse: %s", lerr.message);
    tg_pricing_price_log(NULL, &log);
    if (tg_store_add(store, &log, inserted, err, sizeof err) != 0)
        fail_msg("add: %s", err);
    tg_log_free(&log);
}


static void test_new_db_is_private_and_current(void **state)
{
    struct store_fixture *f = *state;
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(tg_store_schema_version(f->store), TG_STORE_SCHEMA_VERSION);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM audit"), 0);
    sqlite3_stmt *st2;
    sqlite3_prepare_v2(tg_store_sqlite(f->store), "PRAGMA journal_mode", -1, &st2, NULL);
    assert_int_equal(sqlite3_step(st2), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st2, 0), "wal");
    sqlite3_finalize(st2);
}

static void test_idempotent_on_log_id(void **state)
{
    struct store_fixture *f = *state;
    char json[1024], err[256];
    bool inserted;
    make_log(json, sizeof json, 1, BASE_MS, "alice", "k1", "m1", 0.25, 1200, 200);
    assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
    add_text(f->store, json, &inserted);
    assert_true(inserted);
    add_text(f->store, json, &inserted); /* the same log again in the same batch */
    assert_false(inserted);
    assert_int_equal(tg_store_commit(f->store, err, sizeof err), 0);
    assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
    add_text(f->store, json, &inserted); /* and in a later batch: a retry */
    assert_false(inserted);
    assert_int_equal(tg_store_commit(f->store, err, sizeof err), 0);
    assert_int_equal(tg_store_request_count(f->store), 1);
    assert_int_equal(store_fixture_int(f->store, "SELECT sum(requests) FROM rollup_hourly"), 1);
    assert_int_equal(store_fixture_int(f->store, "SELECT sum(cost_nanos) FROM rollup_hourly"), 250000000);
}

static void test_rollback_keeps_nothing(void **state)
{
    struct store_fixture *f = *state;
    char json[1024], err[256];
    bool inserted;
    assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
    for (int i = 0; i < 3; i++) {
        make_log(json, sizeof json, i, BASE_MS + i, "bob", "kb", "m2", 1.0, 500, 200);
        add_text(f->store, json, &inserted);
        assert_true(inserted);
    }
    tg_store_rollback(f->store);
    assert_int_equal(tg_store_request_count(f->store), 0);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM rollup_hourly"), 0);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM developers"), 0);
    /* the dimension cache forgot the rolled-back rows: the same logs store cleanly */
    assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
    make_log(json, sizeof json, 0, BASE_MS, "bob", "kb", "m2", 1.0, 500, 200);
    add_text(f->store, json, &inserted);
    assert_true(inserted);
    assert_int_equal(tg_store_commit(f->store, err, sizeof err), 0);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM requests r JOIN developers d ON d.id = r.developer_id"
                                         " JOIN keys k ON k.id = r.key_id JOIN models m ON m.id = r.model_id"), 1);
}

static void test_raw_log_round_trip(void **state)
{
    struct store_fixture *f = *state;
    const char *json = "{\"unique_id\":\"rt\",\"timestamp\":\"2026-11-01T10:00:00Z\",  \"odd\" : [1.50, \"é\\u00e9\"],"
                       "\"prompt_messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
    char err[256];
    bool inserted;
    assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
    add_text(f->store, json, &inserted);
    assert_int_equal(tg_store_commit(f->store, err, sizeof err), 0);
    char *raw;
    size_t len;
    assert_int_equal(tg_store_raw_log(f->store, "rt", &raw, &len, err, sizeof err), 0);
    assert_int_equal(len, strlen(json));
    assert_memory_equal(raw, json, len);
    free(raw);
    assert_int_equal(tg_store_raw_log(f->store, "missing", &raw, &len, err, sizeof err), 1);
}

/* Random traffic over a few days; every rollup must equal the raw rows it sums. */
static void fill_random(struct tg_store *store, int n, unsigned seed)
{
    static const char *devs[] = {"alice", "bob", "carol", "dan"};
    static const char *keys[] = {"ka", "kb", "kc"};
    static const char *models[] = {"claude-sonnet-4-5", "gpt-5.5", "gemini-2.5-flash"};
    char json[1024], err[256];
    bool inserted;
    srand(seed);
    assert_int_equal(tg_store_begin(store, err, sizeof err), 0);
    for (int i = 0; i < n; i++) {
        int64_t ts = BASE_MS + (int64_t)(rand() % (72 * 3600)) * 1000 + rand() % 1000;
        make_log(json, sizeof json, i, ts, devs[rand() % 4], keys[rand() % 3], models[rand() % 3],
                 (rand() % 100000) / 1e6, 50 + rand() % 60000, rand() % 20 ? 200 : 429);
        add_text(store, json, &inserted);
        if (i % 500 == 499) { /* several batches touching the same rollup rows */
            assert_int_equal(tg_store_commit(store, err, sizeof err), 0);
            assert_int_equal(tg_store_begin(store, err, sizeof err), 0);
        }
    }
    assert_int_equal(tg_store_commit(store, err, sizeof err), 0);
}

static void test_rollups_equal_raw_sums(void **state)
{
    struct store_fixture *f = *state;
    fill_random(f->store, 3000, 7);
    int64_t mismatches = store_fixture_int(
        f->store,
        "WITH raw AS (SELECT ts_ms / 3600000 AS hour, coalesce(developer_id,0) AS d, coalesce(key_id,0) AS k,"
        " coalesce(model_id,0) AS m, count(*) AS n, sum(is_error) AS e, sum(prompt_tokens) AS p,"
        " sum(completion_tokens) AS c, sum(cache_read_tokens) AS cr, sum(cost_nanos) AS cost"
        " FROM requests GROUP BY 1,2,3,4)"
        " SELECT count(*) FROM raw FULL OUTER JOIN rollup_hourly r"
        " ON r.hour = raw.hour AND r.developer_id = raw.d AND r.key_id = raw.k AND r.model_id = raw.m"
        " WHERE raw.n IS NOT r.requests OR raw.e IS NOT r.errors OR raw.p IS NOT r.prompt_tokens"
        " OR raw.c IS NOT r.completion_tokens OR raw.cr IS NOT r.cache_read_tokens OR raw.cost IS NOT r.cost_nanos");
    assert_int_equal(mismatches, 0);
    assert_int_equal(store_fixture_int(f->store, "SELECT sum(requests) FROM rollup_hourly"), 3000);
    /* the daily rollups are the hourly ones summed by day */
    assert_int_equal(store_fixture_int(f->store,
                               "SELECT count(*) FROM (SELECT hour / 24 AS day, developer_id, key_id, model_id,"
                               " sum(requests) AS n, sum(cost_nanos) AS c, sum(prompt_tokens) AS p FROM rollup_hourly"
                               " GROUP BY 1, 2, 3, 4) h FULL OUTER JOIN rollup_daily d USING (day, developer_id,"
                               " key_id, model_id) WHERE h.n IS NOT d.requests OR h.c IS NOT d.cost_nanos"
                               " OR h.p IS NOT d.prompt_tokens"),
                     0);
}

static const struct tg_spend_row *find_row(const struct tg_spend_report *r, const char *name)
{
    for (size_t i = 0; i < r->count; i++) {
        if (strcmp(r->rows[i].name, name) == 0)
            return &r->rows[i];
    }
    return NULL;
}

/* A window with ragged edges mixes rollups and raw rows; it must equal a plain scan. */
static void test_spend_window_matches_raw_scan(void **state)
{
    struct store_fixture *f = *state;
    fill_random(f->store, 3000, 11);
    struct tg_spend_filter filter = {BASE_MS + 5 * TG_HOUR_MS + 1234567, BASE_MS + 50 * TG_HOUR_MS + 777, NULL, NULL, NULL,
                                    true};
    struct tg_spend_report report;
    char err[256];
    assert_int_equal(tg_spend_query(f->store, TG_BY_DEVELOPER, &filter, 0, &report, err, sizeof err), 0);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(tg_store_sqlite(f->store),
                       "SELECT d.ident, count(*), sum(cost_nanos), sum(prompt_tokens), sum(is_error) FROM requests r"
                       " JOIN developers d ON d.id = r.developer_id WHERE ts_ms >= ?1 AND ts_ms < ?2 GROUP BY 1",
                       -1, &st, NULL);
    sqlite3_bind_int64(st, 1, filter.since_ms);
    sqlite3_bind_int64(st, 2, filter.until_ms);
    int groups = 0;
    int64_t total_cost = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const struct tg_spend_row *row = find_row(&report, (const char *)sqlite3_column_text(st, 0));
        assert_non_null(row);
        assert_int_equal(row->requests, sqlite3_column_int64(st, 1));
        assert_int_equal(row->cost, sqlite3_column_int64(st, 2));
        assert_int_equal(row->prompt_tokens, sqlite3_column_int64(st, 3));
        assert_int_equal(row->errors, sqlite3_column_int64(st, 4));
        total_cost += sqlite3_column_int64(st, 2);
        groups++;
    }
    sqlite3_finalize(st);
    assert_int_equal(groups, (int)report.count);
    assert_int_equal(report.total.cost, total_cost);
    /* sorted by spend */
    for (size_t i = 1; i < report.count; i++)
        assert_true(report.rows[i - 1].cost >= report.rows[i].cost);
    tg_spend_report_free(&report);
}

static void test_spend_filters_and_time_groups(void **state)
{
    struct store_fixture *f = *state;
    fill_random(f->store, 2000, 3);
    struct tg_spend_filter all = {TG_SPEND_OPEN, TG_SPEND_OPEN, NULL, NULL, NULL, true};
    struct tg_spend_filter bob = {TG_SPEND_OPEN, TG_SPEND_OPEN, "bob", NULL, "gpt-5.5", true};
    struct tg_spend_report by_day, by_model, bob_report;
    char err[256];
    assert_int_equal(tg_spend_query(f->store, TG_BY_DAY, &all, 0, &by_day, err, sizeof err), 0);
    assert_int_equal(by_day.count, 3);
    assert_string_equal(by_day.rows[0].name, "2026-11-01");
    assert_string_equal(by_day.rows[2].name, "2026-11-03");
    assert_int_equal(by_day.total.requests, 2000);
    assert_int_equal(tg_spend_query(f->store, TG_BY_MODEL, &bob, 0, &bob_report, err, sizeof err), 0);
    assert_int_equal(bob_report.count, 1);
    assert_string_equal(bob_report.rows[0].name, "gpt-5.5");
    int64_t expected = store_fixture_int(f->store, "SELECT count(*) FROM requests r JOIN developers d ON d.id = r.developer_id"
                                           " JOIN models m ON m.id = r.model_id WHERE d.ident = 'bob' AND m.name = 'gpt-5.5'");
    assert_int_equal(bob_report.total.requests, expected);
    assert_int_equal(tg_spend_query(f->store, TG_BY_MODEL, &all, 2, &by_model, err, sizeof err), 0);
    assert_int_equal(by_model.count, 2);
    assert_int_equal(by_model.total_groups, 3);
    assert_int_equal(by_model.total.requests, 2000); /* the total covers rows past the limit */
    tg_spend_report_free(&by_day);
    tg_spend_report_free(&by_model);
    tg_spend_report_free(&bob_report);
}

/* Any path that stores logs gets a body dictionary from the first 2,000, and
 * every body, before and after it, reads back exactly. */
static void test_store_trains_a_dictionary_and_bodies_round_trip(void **state)
{
    struct store_fixture *f = *state;
    char json[1024], err[256];
    bool inserted;
    for (int batch = 0; batch < 5; batch++) {
        assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
        for (int i = batch * 600; i < (batch + 1) * 600; i++) {
            make_log(json, sizeof json, i, BASE_MS + i * 1000LL, i % 2 ? "alice" : "bob", "k", "m", 0.001, 900, 200);
            add_text(f->store, json, &inserted);
        }
        assert_int_equal(tg_store_commit(f->store, err, sizeof err), 0);
    }
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM body_dicts"), 1);
    /* trained at the commit that passed 2,000 logs: the packs begun after it use it */
    int64_t with_dict = store_fixture_int(f->store, "SELECT count(*) FROM chunk_packs WHERE dict_id IS NOT NULL");
    assert_true(with_dict > 0 && with_dict < store_fixture_int(f->store, "SELECT count(*) FROM chunk_packs"));
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM chunk_packs WHERE dict_id IS NULL AND request_id >"
                                         " (SELECT min(request_id) FROM chunk_packs WHERE dict_id IS NOT NULL)"),
                     0);
    for (int i = 0; i < 3000; i += 7) {
        char id[32], *raw;
        size_t len;
        make_log(json, sizeof json, i, BASE_MS + i * 1000LL, i % 2 ? "alice" : "bob", "k", "m", 0.001, 900, 200);
        snprintf(id, sizeof id, "log-%d", i);
        assert_int_equal(tg_store_raw_log(f->store, id, &raw, &len, err, sizeof err), 0);
        assert_int_equal(len, strlen(json));
        assert_memory_equal(raw, json, len);
        free(raw);
    }
}

static void test_migrates_from_version_1(void **state)
{
    struct store_fixture *f = *state;
    char err[256];
    struct tg_store *old = store_fixture_reopen_at(f, 1);
    assert_int_equal(tg_store_schema_version(old), 1);
    assert_int_equal(store_fixture_int(old, "SELECT count(*) FROM sqlite_master WHERE name = 'audit'"), 0);
    /* a request as tollgate 1 wrote it (its statements belong to that version) */
    assert_int_equal(sqlite3_exec(tg_store_sqlite(old),
                                  "INSERT INTO requests(log_id, ts_ms, status_code, is_error, prompt_tokens,"
                                  " completion_tokens, total_tokens, cache_read_tokens, cache_creation_tokens,"
                                  " cost_nanos, cost_kind) VALUES('log-5', 1, 200, 0, 900, 200, 1100, 0, 0,"
                                  " 500000000, 0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    bool inserted;
    assert_int_equal(tg_store_begin(old, err, sizeof err), 0);
    /* an old schema stores nothing through the current statements */
    char json[1024];
    make_log(json, sizeof json, 6, BASE_MS, "erin", "ke", "m", 0.5, 900, 200);
    struct tg_log log;
    struct tg_log_error lerr;
    struct tg_log_parse_options opt = {0};
    assert_int_equal(tg_log_parse_text(json, strlen(json), &opt, &log, &lerr), 0);
    assert_int_equal(tg_store_add(old, &log, &inserted, err, sizeof err), -1);
    tg_log_free(&log);
    tg_store_rollback(old);
    tg_store_close(old);
    assert_int_equal(tg_store_open(f->path, 0, &f->store, err, sizeof err), 0);
    assert_int_equal(tg_store_schema_version(f->store), TG_STORE_SCHEMA_VERSION);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM sqlite_master WHERE name = 'audit'"), 1);
    assert_int_equal(tg_store_request_count(f->store), 1);
}

/* Adds logs log-FIRST .. log-LAST in one batch; returns how many were new. */
static int add_range(struct tg_store *store, int first, int last)
{
    char json[1024], err[256];
    bool inserted;
    int fresh = 0;
    assert_int_equal(tg_store_begin(store, err, sizeof err), 0);
    for (int i = first; i <= last; i++) {
        make_log(json, sizeof json, i, BASE_MS + i * 1000LL, "dana", "kd", "m1", 0.01, 300, 200);
        add_text(store, json, &inserted);
        fresh += inserted;
    }
    assert_int_equal(tg_store_commit(store, err, sizeof err), 0);
    return fresh;
}

static void index_now(struct tg_store *store)
{
    char err[256];
    assert_int_equal(tg_store_begin(store, err, sizeof err), 0);
    assert_int_equal(tg_store_index_log_ids(store, err, sizeof err), 0);
    assert_int_equal(tg_store_commit(store, err, sizeof err), 0);
}

/* Ids past the watermark are found in memory, those before it in log_ids:
 * repeats of either kind are refused, and raw logs are found by id. */
static void test_log_ids_in_the_index_and_past_it(void **state)
{
    struct store_fixture *f = *state;
    assert_int_equal(add_range(f->store, 1, 10), 10);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM log_ids"), 0); /* all in the tail */
    index_now(f->store);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM log_ids"), 10);
    assert_int_equal(store_fixture_int(f->store, "SELECT position FROM sync_state WHERE source = 'log ids indexed up to'"), 10);
    assert_int_equal(add_range(f->store, 8, 15), 5); /* 8-10 indexed, 11-15 new */
    assert_int_equal(add_range(f->store, 1, 15), 0);
    assert_int_equal(tg_store_request_count(f->store), 15);
    char *raw, err[256];
    size_t len;
    assert_int_equal(tg_store_raw_log(f->store, "log-3", &raw, &len, err, sizeof err), 0); /* indexed */
    assert_non_null(strstr(raw, "\"unique_id\":\"log-3\""));
    free(raw);
    assert_int_equal(tg_store_raw_log(f->store, "log-14", &raw, &len, err, sizeof err), 0); /* past the watermark */
    assert_non_null(strstr(raw, "\"unique_id\":\"log-14\""));
    free(raw);
    assert_int_equal(tg_store_raw_log(f->store, "log-99", &raw, &len, err, sizeof err), 1);
    /* a store opened afresh reads the ids past the watermark back from the db */
    tg_store_close(f->store);
    assert_int_equal(tg_store_open(f->path, 0, &f->store, err, sizeof err), 0);
    assert_int_equal(add_range(f->store, 12, 16), 1);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM (SELECT log_id FROM requests GROUP BY log_id"
                                         " HAVING count(*) > 1)"), 0);
}

/* Two writers on one db (a collector and an import): each sees the other's
 * ids, whether still past the watermark or moved into the index by the other. */
static void test_two_writers_see_each_others_log_ids(void **state)
{
    struct store_fixture *f = *state;
    char err[256];
    struct tg_store *other;
    assert_int_equal(tg_store_open(f->path, 0, &other, err, sizeof err), 0);
    assert_int_equal(add_range(other, 1, 1), 1); /* other has read the (empty) tail once */
    assert_int_equal(add_range(f->store, 2, 5), 4);
    assert_int_equal(add_range(other, 3, 6), 1); /* 3-5 from the other writer's tail */
    assert_int_equal(add_range(f->store, 6, 6), 0);
    index_now(f->store); /* the watermark moves under the other writer */
    assert_int_equal(add_range(other, 1, 7), 1);
    assert_int_equal(add_range(f->store, 7, 7), 0);
    /* a bulk writer indexes what the others left past the watermark first */
    struct tg_store *bulk;
    assert_int_equal(tg_store_open(f->path, TG_STORE_BULK, &bulk, err, sizeof err), 0);
    char json[1024];
    bool inserted;
    assert_int_equal(tg_store_begin(bulk, err, sizeof err), 0);
    make_log(json, sizeof json, 7, BASE_MS, "dana", "kd", "m1", 0.01, 300, 200);
    add_text(bulk, json, &inserted);
    assert_false(inserted);
    make_log(json, sizeof json, 8, BASE_MS, "dana", "kd", "m1", 0.01, 300, 200);
    add_text(bulk, json, &inserted);
    assert_true(inserted);
    add_text(bulk, json, &inserted); /* a repeat within the bulk batch */
    assert_false(inserted);
    assert_int_equal(tg_store_commit(bulk, err, sizeof err), 0);
    tg_store_close(bulk);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM log_ids"), 8);
    assert_true(store_fixture_int(f->store, "SELECT position FROM sync_state WHERE source = 'log ids indexed up to'") >=
                store_fixture_int(f->store, "SELECT max(id) FROM requests"));
    assert_int_equal(add_range(other, 1, 9), 1);
    assert_int_equal(add_range(f->store, 1, 9), 0);
    tg_store_close(other);
    assert_int_equal(tg_store_request_count(f->store), 9);
    assert_int_equal(store_fixture_int(f->store, "SELECT sum(requests) FROM rollup_hourly"), 9);
}

/* A rolled-back batch takes its ids with it: the same logs store again. */
static void test_rolled_back_log_ids_are_forgotten(void **state)
{
    struct store_fixture *f = *state;
    char json[1024], err[256];
    bool inserted;
    assert_int_equal(add_range(f->store, 1, 2), 2);
    assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
    make_log(json, sizeof json, 3, BASE_MS, "dana", "kd", "m1", 0.01, 300, 200);
    add_text(f->store, json, &inserted);
    assert_true(inserted);
    assert_int_equal(tg_store_index_log_ids(f->store, err, sizeof err), 0);
    tg_store_rollback(f->store);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM log_ids"), 0);
    assert_int_equal(add_range(f->store, 1, 3), 1);
    assert_int_equal(tg_store_request_count(f->store), 3);
}

/* Pruned requests leave with their ids (the same log imported again is
 * stored again, as before log_ids), and another writer that remembered them
 * forgets them. New requests never take an id at or below the watermark. */
static void test_pruned_requests_leave_with_their_log_ids(void **state)
{
    struct store_fixture *f = *state;
    char err[256];
    struct tg_store *other;
    assert_int_equal(tg_store_open(f->path, 0, &other, err, sizeof err), 0);
    assert_int_equal(add_range(f->store, 1, 6), 6);
    index_now(f->store);
    assert_int_equal(add_range(f->store, 7, 9), 3); /* past the watermark */
    assert_int_equal(add_range(other, 1, 9), 0);    /* other now remembers 7-9 */
    struct tg_prune_options opt = {.requests_before_ms = BASE_MS + 100 * 1000LL}; /* all of them */
    struct tg_prune_counts counts = {0};
    assert_int_equal(tg_prune_run(f->store, &opt, NULL, NULL, &counts, err, sizeof err), 0);
    assert_int_equal(counts.requests, 9);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM log_ids"), 0);
    assert_int_equal(add_range(other, 2, 2), 1);
    assert_int_equal(add_range(other, 8, 8), 1);
    assert_int_equal(add_range(f->store, 1, 9), 7);
    assert_true(store_fixture_int(f->store, "SELECT min(id) FROM requests") > 9);
    assert_int_equal(tg_store_request_count(f->store), 9);
    tg_store_close(other);
}

/* A schema-6 db with a UNIQUE log_id: the rebuild keeps every row and id,
 * and its ids are all indexed. */
static void test_migrates_log_ids_out_of_requests(void **state)
{
    struct store_fixture *f = *state;
    char err[256];
    struct tg_store *old = store_fixture_reopen_at(f, 6);
    assert_int_equal(sqlite3_exec(tg_store_sqlite(old),
                                  "INSERT INTO requests(id, log_id, ts_ms, status_code, is_error, prompt_tokens,"
                                  " completion_tokens, total_tokens, cache_read_tokens, cache_creation_tokens,"
                                  " cost_nanos, cost_kind, thread_id) VALUES"
                                  " (3, 'log-3', 1, 200, 0, 9, 2, 11, 0, 0, 5, 0, 't'),"
                                  " (7, 'log-7', 2, 500, 1, 9, 2, 11, 0, 0, 6, 1, NULL)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    tg_store_close(old);
    assert_int_equal(tg_store_open(f->path, 0, &f->store, err, sizeof err), 0);
    assert_int_equal(tg_store_schema_version(f->store), TG_STORE_SCHEMA_VERSION);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM sqlite_master WHERE sql LIKE '%UNIQUE%'"
                                         " AND name = 'requests'"), 0);
    assert_int_equal(store_fixture_int(f->store, "SELECT sum(id * cost_nanos) FROM requests"), 3 * 5 + 7 * 6);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM requests WHERE thread_id = 't' AND is_error = 0"), 1);
    assert_int_equal(store_fixture_int(f->store, "SELECT request_id FROM log_ids WHERE hash = tg_id_hash('log-7')"), 7);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM sqlite_master WHERE name = 'requests_ts'"), 1);
    assert_int_equal(add_range(f->store, 1, 8), 6);
    assert_true(store_fixture_int(f->store, "SELECT min(id) FROM requests WHERE log_id = 'log-1'") > 7);
}

static int64_t indexed_ids(struct tg_store *store)
{
    return store_fixture_int(store, "SELECT count(*) FROM log_ids");
}

/* A collector's store merges the tail by itself, in the commit that gets it
 * to a quarter of the index, within bounds (65,536 and 262,144 ids by default;
 * small ones here), and not one id before. */
static void test_the_tail_merges_itself_when_big_enough(void **state)
{
    struct store_fixture *f = *state;
    tg_store_set_id_merge_bounds(f->store, 4, 12);
    assert_int_equal(add_range(f->store, 1, 3), 3);
    assert_int_equal(indexed_ids(f->store), 0); /* 3: under the lower bound */
    assert_int_equal(add_range(f->store, 4, 4), 1);
    assert_int_equal(indexed_ids(f->store), 4); /* at it */
    assert_int_equal(add_range(f->store, 5, 40), 36);
    assert_int_equal(indexed_ids(f->store), 40); /* a batch past it merges whole */
    /* an index of 40: a quarter is 10, within the bounds */
    assert_int_equal(add_range(f->store, 41, 49), 9);
    assert_int_equal(indexed_ids(f->store), 40);
    assert_int_equal(add_range(f->store, 50, 50), 1);
    assert_int_equal(indexed_ids(f->store), 50);
    /* an index of 50: a quarter is 12.5, past the upper bound of 12 */
    assert_int_equal(add_range(f->store, 51, 61), 11);
    assert_int_equal(indexed_ids(f->store), 50);
    assert_int_equal(add_range(f->store, 62, 62), 1);
    assert_int_equal(indexed_ids(f->store), 62);
    assert_int_equal(store_fixture_int(f->store, "SELECT position FROM sync_state WHERE source = 'log ids indexed up to'"),
                     store_fixture_int(f->store, "SELECT max(id) FROM requests"));
    assert_int_equal(add_range(f->store, 55, 70), 8); /* indexed and tail ids alike are known */
    assert_int_equal(tg_store_request_count(f->store), 70);
}

/* Counts the runs of the two reads a batch that adds logs needs. */
struct batch_reads {
    int messages, tail;
};

static int count_batch_reads(unsigned type, void *ctx, void *p, void *x)
{
    (void)p;
    struct batch_reads *r = ctx;
    const char *sql = x;
    if (type != SQLITE_TRACE_STMT || !sql)
        return 0;
    static const char window[] = "SELECT id, chunks, dict_id, raw_len, lens, zstd FROM chunk_packs";
    r->messages += strncmp(sql, window, sizeof window - 1) == 0;
    r->tail += strncmp(sql, "SELECT id, tg_id_text(log_id) FROM requests WHERE id >", 54) == 0;
    return 0;
}

/* A batch that stores no log (the search indexer's, prune's) does not read
 * the window of recent messages nor the log ids past the watermark; the
 * first add of a batch does, once. */
static void test_a_batch_without_logs_reads_no_message_window(void **state)
{
    struct store_fixture *f = *state;
    char err[256], json[1024];
    bool inserted;
    assert_int_equal(add_range(f->store, 1, 3), 3);
    struct tg_store *writer;
    assert_int_equal(tg_store_open(f->path, 0, &writer, err, sizeof err), 0);
    struct batch_reads reads = {0};
    sqlite3_trace_v2(tg_store_sqlite(writer), SQLITE_TRACE_STMT, count_batch_reads, &reads);
    assert_int_equal(tg_store_begin(writer, err, sizeof err), 0);
    assert_int_equal(tg_store_set_sync_position(writer, "test", "1", err, sizeof err), 0);
    assert_int_equal(tg_store_commit(writer, err, sizeof err), 0);
    assert_int_equal(reads.messages, 0);
    assert_int_equal(reads.tail, 0);
    assert_int_equal(tg_store_begin(writer, err, sizeof err), 0);
    for (int i = 3; i <= 4; i++) {
        make_log(json, sizeof json, i, BASE_MS, "dana", "kd", "m1", 0.01, 300, 200);
        add_text(writer, json, &inserted);
        assert_int_equal(inserted, i == 4); /* log-3 is known: the tail was read */
    }
    assert_int_equal(tg_store_commit(writer, err, sizeof err), 0);
    assert_int_equal(reads.messages, 1);
    assert_int_equal(reads.tail, 1);
    sqlite3_trace_v2(tg_store_sqlite(writer), 0, NULL, NULL);
    tg_store_close(writer);
    assert_int_equal(tg_store_request_count(f->store), 4);
}

/* One rule for optional texts (store/sqlbind.h): an empty one is absent.
 * An empty customer_name must not blank a known name, nor an empty
 * thread_identifier make one thread of every log that has none. */
static void test_empty_texts_are_stored_as_absent(void **state)
{
    struct store_fixture *f = *state;
    char err[256];
    bool inserted;
    assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
    add_text(f->store, "{\"unique_id\":\"e1\",\"timestamp\":1793491200,\"customer_identifier\":\"dev\","
             "\"customer_name\":\"Dana\"}", &inserted);
    add_text(f->store, "{\"unique_id\":\"e2\",\"timestamp\":1793491201,\"customer_identifier\":\"dev\","
             "\"customer_name\":\"\",\"customer_email\":\"\",\"thread_identifier\":\"\",\"log_type\":\"\","
             "\"model\":\"m\",\"provider_id\":\"\"}", &inserted);
    assert_int_equal(tg_store_commit(f->store, err, sizeof err), 0);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM developers WHERE name = 'Dana' AND email IS NULL"), 1);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM requests WHERE thread_id IS NULL AND log_type IS NULL"),
                     2);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM models WHERE provider IS NULL"), 1);
}

/* log_ids is keyed by a 64-bit hash of the id: another id with the same
 * hash (forged here, as none is known) must not pass for it, in memory or
 * in the index, for a collector or a bulk import. */
static void test_a_hash_collision_is_not_a_duplicate(void **state)
{
    struct store_fixture *f = *state;
    assert_int_equal(add_range(f->store, 1, 3), 3);
    index_now(f->store);
    sqlite3 *db = tg_store_sqlite(f->store);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO log_ids(hash, request_id) VALUES(tg_id_hash('log-50'), 2),"
                                  " (tg_id_hash('log-60'), 3)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(add_range(f->store, 50, 50), 1);
    assert_int_equal(add_range(f->store, 50, 50), 0); /* and now it is one */
    char err[256];
    struct tg_store *bulk;
    assert_int_equal(tg_store_open(f->path, TG_STORE_BULK, &bulk, err, sizeof err), 0);
    assert_int_equal(add_range(bulk, 60, 60), 1);
    assert_int_equal(add_range(bulk, 1, 3), 0);
    tg_store_close(bulk);
    char *raw;
    size_t len;
    assert_int_equal(tg_store_raw_log(f->store, "log-60", &raw, &len, err, sizeof err), 0);
    assert_non_null(strstr(raw, "\"unique_id\":\"log-60\""));
    free(raw);
    assert_int_equal(tg_store_request_count(f->store), 5);
}

static void test_refuses_newer_schema(void **state)
{
    struct store_fixture *f = *state;
    sqlite3_exec(tg_store_sqlite(f->store), "PRAGMA user_version=99", NULL, NULL, NULL);
    tg_store_close(f->store);
    f->store = NULL;
    char err[256];
    struct tg_store *s;
    assert_int_equal(tg_store_open(f->path, 0, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "newer"));
}

static void test_read_only_needs_existing_db(void **state)
{
    (void)state;
    char err[256];
    struct tg_store *s;
    assert_int_equal(tg_store_open("/tmp/tg-no-such-dir/none.db", TG_STORE_READ_ONLY, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "no database"));
}

static void test_daily_rollups_are_built_from_hourly_ones(void **state)
{
    struct store_fixture *f = *state;
    char err[256];
    struct tg_store *old = store_fixture_reopen_at(f, 5);
    /* three hours of two days, as schema 5 kept them */
    assert_int_equal(sqlite3_exec(tg_store_sqlite(old),
                                  "INSERT INTO rollup_hourly VALUES(480010, 1, 1, 1, 2, 1, 10, 5, 15, 0, 0, 700, 0, 0, NULL);"
                                  "INSERT INTO rollup_hourly VALUES(480011, 1, 1, 1, 3, 0, 20, 5, 25, 0, 0, 300, 100, 1, NULL);"
                                  "INSERT INTO rollup_hourly VALUES(480030, 1, 1, 1, 1, 0, 1, 1, 2, 0, 0, 5, 0, 0, NULL);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    tg_store_close(old);
    assert_int_equal(tg_store_open(f->path, 0, &f->store, err, sizeof err), 0);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM rollup_daily"), 2);
    assert_int_equal(store_fixture_int(f->store, "SELECT requests FROM rollup_daily WHERE day = 20000"), 5);
    assert_int_equal(store_fixture_int(f->store, "SELECT cost_nanos FROM rollup_daily WHERE day = 20000"), 1000);
    assert_int_equal(store_fixture_int(f->store, "SELECT estimated_nanos + unpriced FROM rollup_daily WHERE day = 20000"), 101);
    assert_int_equal(store_fixture_int(f->store, "SELECT requests FROM rollup_daily WHERE day = 20001"), 1);
    assert_int_equal(store_fixture_int(f->store, "SELECT length(latency_hist) FROM rollup_daily WHERE day = 20001"),
                     1); /* no latencies: the sparse form's tag alone */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_db_is_private_and_current, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_idempotent_on_log_id, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_rollback_keeps_nothing, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_raw_log_round_trip, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_rollups_equal_raw_sums, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_spend_window_matches_raw_scan, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_spend_filters_and_time_groups, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_store_trains_a_dictionary_and_bodies_round_trip, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_migrates_from_version_1, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_daily_rollups_are_built_from_hourly_ones, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_refuses_newer_schema, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_log_ids_in_the_index_and_past_it, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_two_writers_see_each_others_log_ids, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_rolled_back_log_ids_are_forgotten, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_pruned_requests_leave_with_their_log_ids, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_migrates_log_ids_out_of_requests, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_hash_collision_is_not_a_duplicate, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_the_tail_merges_itself_when_big_enough, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_batch_without_logs_reads_no_message_window, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_empty_texts_are_stored_as_absent, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test(test_read_only_needs_existing_db),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
