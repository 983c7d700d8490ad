/* The compact requests row (schema 12, core/store/compactid.h): UUID log and
 * thread ids kept as 16 bytes, known log types as integers, and every id read
 * back, matched and deduplicated exactly as the text it was logged as; and
 * migration 12 from a schema-11 db loses nothing. */
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
#include "query/browse.h"
#include "query/requestlist.h"
#include "query/threadlist.h"
#include "store/store.h"
#include "store_fixture.h"

#define BASE_MS 1793491200000LL /* 2026-11-01T00:00:00Z */
#define UUID_A "2a846be0-37d7-4dfa-a85d-4a7889484847"
#define UUID_A_UPPER "2A846BE0-37D7-4DFA-A85D-4A7889484847"
#define THREAD_T "77d3731c-6d6a-4c99-a4e3-93008dec47f0"

static void log_json(char *buf, size_t len, const char *id, const char *thread, const char *type, int minute)
{
    char thread_field[128] = "", type_field[128] = "";
    if (thread)
        snprintf(thread_field, sizeof thread_field, ",\"thread_identifier\":\"%s\"", thread);
    if (type)
        snprintf(type_field, sizeof type_field, ",\"log_type\":\"%s\"", type);
    snprintf(buf, len,
             "{\"unique_id\":\"%s\",\"timestamp\":%.3f,\"customer_identifier\":\"sam\",\"model\":\"m1\","
             "\"prompt_tokens\":10,\"completion_tokens\":5,\"cost\":0.001,\"latency\":1.5,\"status_code\":200%s%s,"
             "\"prompt_messages\":[{\"role\":\"user\",\"content\":\"hello %s\"}]}",
             id, (double)(BASE_MS + minute * 60000LL) / 1000.0, thread_field, type_field, id);
}

static bool add(struct tg_store *store, const char *json)
{
    struct tg_log log;
    struct tg_log_error lerr;
    char err[256];
    bool inserted = false;
    struct tg_log_parse_options opt = {0};
    if (tg_log_parse_text(json, strlen(json), &opt, &log, &lerr) != 0)
        fail_msg("parse: %s in %s", lerr.message, json);
    tg_pricing_price_log(NULL, &log);
    if (tg_store_add(store, &log, &inserted, err, sizeof err) != 0)
        fail_msg("add: %s", err);
    tg_log_free(&log);
    return inserted;
}

static void batch(struct tg_store *store, const char *const *logs, int n, int expect_inserted)
{
    char err[256];
    int inserted = 0;
    assert_int_equal(tg_store_begin(store, err, sizeof err), 0);
    for (int i = 0; i < n; i++)
        inserted += add(store, logs[i]);
    assert_int_equal(tg_store_commit(store, err, sizeof err), 0);
    assert_int_equal(inserted, expect_inserted);
}


static int64_t row_of(struct tg_store *store, const char *id)
{
    return store_fixture_int_of(store, "SELECT id FROM requests WHERE tg_id_text(log_id) = ?1", id);
}

/* The raw log of `id` comes back byte for byte, and the row shows the id. */
static void assert_reads_back(struct tg_store *store, const char *id, const char *json)
{
    char err[256], *raw = NULL, *shown = NULL;
    size_t len;
    assert_int_equal(tg_store_raw_log(store, id, &raw, &len, err, sizeof err), 0);
    assert_int_equal(len, strlen(json));
    assert_memory_equal(raw, json, len);
    free(raw);
    int64_t row = row_of(store, id);
    assert_true(row > 0);
    assert_int_equal(tg_browse_raw(store, row, &raw, &len, &shown, err, sizeof err), 0);
    assert_string_equal(shown, id);
    free(raw);
    free(shown);
}

static void test_uuid_ids_take_16_bytes_and_read_back_exactly(void **state)
{
    struct store_fixture *f = *state;
    char a[1024], upper[1024], plain[1024], again[1024];
    log_json(a, sizeof a, UUID_A, THREAD_T, "chat", 1);
    log_json(upper, sizeof upper, UUID_A_UPPER, "Thread-7", "my-own-type", 2);
    log_json(plain, sizeof plain, "log-42", NULL, NULL, 3);
    log_json(again, sizeof again, UUID_A, THREAD_T, "chat", 4);
    const char *const logs[] = {a, upper, plain};
    batch(f->store, logs, 3, 3); /* the uppercase id is another id: kept apart */
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM requests WHERE typeof(log_id) = 'blob'"
                                         " AND length(log_id) = 16 AND typeof(thread_id) = 'blob'", NULL), 1);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM requests WHERE typeof(log_id) = 'text'", NULL), 2);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT log_type FROM requests WHERE typeof(log_type) = 'integer'", NULL),
                     1);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM requests WHERE tg_log_type_text(log_type) = 'chat'"
                                         " OR log_type = 'my-own-type'", NULL), 2);
    assert_reads_back(f->store, UUID_A, a);
    assert_reads_back(f->store, UUID_A_UPPER, upper);
    assert_reads_back(f->store, "log-42", plain);
    const char *const dup[] = {again, a};
    batch(f->store, dup, 2, 0); /* known by its packed form, in this process and the next */
    char err[256];
    struct tg_store *other;
    assert_int_equal(tg_store_open(f->path, 0, &other, err, sizeof err), 0);
    batch(other, dup, 2, 0);
    tg_store_close(other);
    char thread[128];
    tg_browse_thread(f->store, row_of(f->store, UUID_A), thread, sizeof thread);
    assert_string_equal(thread, THREAD_T);
}

static void test_thread_filter_and_thread_list_show_the_text(void **state)
{
    struct store_fixture *f = *state;
    char logs_buf[4][1024];
    log_json(logs_buf[0], 1024, "11111111-1111-4111-8111-111111111111", THREAD_T, NULL, 1);
    log_json(logs_buf[1], 1024, "22222222-2222-4222-8222-222222222222", THREAD_T, NULL, 2);
    log_json(logs_buf[2], 1024, "33333333-3333-4333-8333-333333333333", "t-text", NULL, 3);
    log_json(logs_buf[3], 1024, "44444444-4444-4444-8444-444444444444", NULL, NULL, 4);
    const char *const logs[] = {logs_buf[0], logs_buf[1], logs_buf[2], logs_buf[3]};
    batch(f->store, logs, 4, 4);
    struct tg_request_filter filter;
    tg_filter_clear(&filter);
    snprintf(filter.thread, sizeof filter.thread, "%s", THREAD_T);
    struct tg_request_list list = {.store = f->store, .order = TG_ORDER_TIME, .since_ms = 0,
                                   .until_ms = INT64_MAX, .filter = &filter};
    tg_request_list_plan(&list);
    struct tg_request_row rows[8];
    char err[256];
    int n = tg_request_list_page(&list, false, INT64_MAX, INT64_MAX, rows, 8, err, sizeof err);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].log_id, "22222222-2222-4222-8222-222222222222");
    assert_string_equal(rows[1].log_id, "11111111-1111-4111-8111-111111111111");
    snprintf(filter.thread, sizeof filter.thread, "%s", "t-text");
    assert_int_equal(tg_request_list_page(&list, false, INT64_MAX, INT64_MAX, rows, 8, err, sizeof err), 1);
    struct tg_thread_row threads[4];
    assert_int_equal(tg_threads_by_cost(f->store, 0, INT64_MAX, threads, 4, err, sizeof err), 2);
    assert_string_equal(threads[0].thread, THREAD_T); /* two turns cost more */
    assert_int_equal(threads[0].turns, 2);
    assert_string_equal(threads[1].thread, "t-text");
}

/* A db as schema 11 left it (text ids, some in log_ids, some past the
 * watermark): migration 12 packs them, and each is still found, read and
 * recognised as a duplicate. */
static void test_migration_12_keeps_every_id(void **state)
{
    struct store_fixture *f = *state;
    char err[256];
    struct tg_store *old = store_fixture_reopen_at(f, 11);
    assert_int_equal(sqlite3_exec(tg_store_sqlite(old),
                                  "INSERT INTO requests(id, log_id, ts_ms, status_code, is_error, prompt_tokens,"
                                  " completion_tokens, total_tokens, cache_read_tokens, cache_creation_tokens,"
                                  " cost_nanos, cost_kind, thread_id, log_type) VALUES"
                                  " (1, '" UUID_A "', 1793491260000, 200, 0, 1, 1, 2, 0, 0, 5, 0, '" THREAD_T "',"
                                  "  'chat'),"
                                  " (2, '" UUID_A_UPPER "', 1793491320000, 200, 0, 1, 1, 2, 0, 0, 5, 0, 'T', 'x'),"
                                  " (3, 'log-3', 1793491380000, 200, 0, 1, 1, 2, 0, 0, 5, 0, NULL, NULL),"
                                  " (4, '44444444-4444-4444-8444-444444444444', 1793491440000, 200, 0, 1, 1, 2, 0, 0,"
                                  "  5, 0, NULL, 'response');"
                                  "INSERT INTO log_ids SELECT tg_id_hash(log_id), id FROM requests WHERE id <= 2;"
                                  "UPDATE sync_state SET position = '2' WHERE source = 'log ids indexed up to';"
                                  "UPDATE sync_state SET position = '4' WHERE source = 'request ids handed out up to';",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    tg_store_close(old);
    assert_int_equal(tg_store_open(f->path, 0, &f->store, err, sizeof err), 0);
    assert_int_equal(tg_store_schema_version(f->store), TG_STORE_SCHEMA_VERSION);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM requests WHERE typeof(log_id) = 'blob'", NULL), 2);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM requests WHERE typeof(log_type) = 'integer'", NULL), 2);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM requests WHERE log_type = 'x'", NULL), 1);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                                         " AND tbl_name = 'requests'", NULL), 2); /* + sort keys (15) */
    static const char *const ids[] = {UUID_A, UUID_A_UPPER, "log-3", "44444444-4444-4444-8444-444444444444"};
    char logs_buf[4][1024];
    const char *logs[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(row_of(f->store, ids[i]), i + 1);
        log_json(logs_buf[i], 1024, ids[i], NULL, NULL, i + 1);
        logs[i] = logs_buf[i];
    }
    batch(f->store, logs, 4, 0); /* all four known: through log_ids and past its watermark */
    char thread[128];
    tg_browse_thread(f->store, 1, thread, sizeof thread);
    assert_string_equal(thread, THREAD_T);
    tg_browse_thread(f->store, 2, thread, sizeof thread);
    assert_string_equal(thread, "T");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_uuid_ids_take_16_bytes_and_read_back_exactly, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_thread_filter_and_thread_list_show_the_text, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_migration_12_keeps_every_id, store_fixture_setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
