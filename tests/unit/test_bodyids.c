/* Bodies in the request row, without their ids (schema 14, log/bodyids.h and
 * store/bodies.h): a log's UUID id and thread id are left out of the bytes
 * stored in packs and put back on read, byte for byte; any other id stays in;
 * and a schema-13 db migrates with its bodies readable, prunable and next to
 * new ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log/bodyids.h"
#include "log/logmodel.h"
#include "log/pricing.h"
#include "ops/prune.h"
#include "query/search.h"
#include "query/searchfind.h"
#include "store/store.h"
#include "store_fixture.h"

#define BASE_MS 1793491200000LL /* 2026-11-01T00:00:00Z */
#define UUID_A "2a846be0-37d7-4dfa-a85d-4a7889484847"
#define UUID_B "43d1afa0-7445-4a44-aee9-b4d7c530ffe1"
#define UUID_UPPER "2A846BE0-37D7-4DFA-A85D-4A7889484847"
#define THREAD_T "77d3731c-6d6a-4c99-a4e3-93008dec47f0"

static void log_json(char *buf, size_t len, const char *id, const char *thread, int minute, const char *extra)
{
    char thread_field[128] = "";
    if (thread)
        snprintf(thread_field, sizeof thread_field, ",\"thread_identifier\":\"%s\"", thread);
    snprintf(buf, len,
             "{\"unique_id\":\"%s\",\"timestamp\":%.3f,\"customer_identifier\":\"sam\",\"model\":\"m1\","
             "\"prompt_tokens\":10,\"completion_tokens\":5,\"cost\":0.001,\"latency\":1.5,\"status_code\":200%s%s,"
             "\"prompt_messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}",
             id, (double)(BASE_MS + minute * 60000LL) / 1000.0, thread_field, extra ? extra : "");
}

static void batch(struct tg_store *store, const char *const *logs, int n)
{
    char err[256];
    assert_int_equal(tg_store_begin(store, err, sizeof err), 0);
    for (int i = 0; i < n; i++) {
        struct tg_log log;
        struct tg_log_error lerr;
        bool inserted = false;
        struct tg_log_parse_options opt = {0};
        if (tg_log_parse_text(logs[i], strlen(logs[i]), &opt, &log, &lerr) != 0)
            fail_msg("parse: %s in %s", lerr.message, logs[i]);
        tg_pricing_price_log(NULL, &log);
        if (tg_store_add(store, &log, &inserted, err, sizeof err) != 0)
            fail_msg("add: %s", err);
        assert_true(inserted);
        tg_log_free(&log);
    }
    assert_int_equal(tg_store_commit(store, err, sizeof err), 0);
}


static int64_t row_of(struct tg_store *store, const char *id)
{
    return store_fixture_int_of(store, "SELECT id FROM requests WHERE tg_id_text(log_id) = ?1", id);
}

static void assert_reads_back(struct tg_store *store, const char *id, const char *json)
{
    char err[256], *raw = NULL;
    size_t len;
    assert_int_equal(tg_store_raw_log(store, id, &raw, &len, err, sizeof err), 0);
    assert_int_equal(len, strlen(json));
    assert_memory_equal(raw, json, len);
    free(raw);
}

/* What the request stored in packs (the chunks it brought first). */
static bool packed_bytes_hold(struct tg_store *store, const char *id, const char *text)
{
    char err[256], *raw = NULL;
    size_t len;
    assert_int_equal(tg_store_body_of(store, row_of(store, id), true, &raw, &len, err, sizeof err), 0);
    bool found = memmem(raw, len, text, strlen(text)) != NULL;
    free(raw);
    return found;
}

static void test_codec_finds_encodes_and_restores(void **state)
{
    (void)state;
    const char *raw = "{\"unique_id\":\"" UUID_A "\",\"x\":1,\"thread_identifier\":\"" THREAD_T "\",\"again\":\""
                      UUID_A "\"}";
    size_t len = strlen(raw);
    struct tg_body_ids ids, back;
    tg_body_ids_find(raw, len, UUID_A, THREAD_T, &ids);
    assert_int_equal(ids.count, 2);
    assert_int_equal(ids.at[0], 14);
    assert_int_equal(ids.kind[0], TG_BODY_ID_LOG);
    assert_int_equal(ids.kind[1], TG_BODY_ID_THREAD);
    char *text = malloc(len);
    tg_body_ids_remove(raw, len, &ids, text);
    unsigned char enc[TG_BODY_IDS_BOUND];
    size_t n = tg_body_ids_encode(&ids, enc);
    assert_true(n > 0 && n <= 4);
    assert_int_equal(tg_body_ids_decode(enc, n, &back), 0);
    assert_int_equal(back.count, 2);
    const char *texts[TG_BODY_IDS_MAX] = {UUID_A, THREAD_T};
    char *out;
    size_t out_len;
    assert_int_equal(tg_body_ids_restore(text, len - 72, &back, texts, &out, &out_len), 0);
    assert_int_equal(out_len, len);
    assert_memory_equal(out, raw, len);
    free(out);
    /* the thread id missing from the row, or an offset past the text: damaged */
    const char *no_thread[TG_BODY_IDS_MAX] = {UUID_A, NULL};
    assert_int_equal(tg_body_ids_restore(text, len - 72, &back, no_thread, &out, &out_len), -1);
    back.at[1] = len;
    assert_int_equal(tg_body_ids_restore(text, len - 72, &back, texts, &out, &out_len), -1);
    free(text);
    assert_int_equal(tg_body_ids_decode((const unsigned char *)"\x80", 1, &back), -1);
    /* other ids stay in */
    tg_body_ids_find(raw, len, UUID_UPPER, "t-1", &ids);
    assert_int_equal(ids.count, 0);
    tg_body_ids_find(raw, len, UUID_B, THREAD_T, &ids); /* not in the log: only the thread goes */
    assert_int_equal(ids.count, 1);
    assert_int_equal(ids.kind[0], TG_BODY_ID_THREAD);
    /* a log over TG_BODY_IDS_MAX_LOG keeps them: too little to be worth a copy */
    size_t big_len = TG_BODY_IDS_MAX_LOG + 1;
    char *big = malloc(big_len);
    memset(big, ' ', big_len);
    memcpy(big, raw, len);
    tg_body_ids_find(big, big_len, UUID_A, THREAD_T, &ids);
    assert_int_equal(ids.count, 0);
    tg_body_ids_find(big, big_len - 1, UUID_A, THREAD_T, &ids);
    assert_int_equal(ids.count, 2);
    free(big);
    assert_false(tg_body_uuid_canonical(UUID_UPPER, 36));
    assert_true(tg_body_uuid_canonical(UUID_A, 36));
}

/* The ids are not in the packs, the body has no request_bodies row, and the
 * log reads back exactly; ids the row keeps as text stay in the body. */
static void test_uuid_ids_left_out_of_packs_and_put_back(void **state)
{
    struct store_fixture *f = *state;
    char a[1024], twice[1024], upper[1024], plain[1024];
    log_json(a, sizeof a, UUID_A, THREAD_T, 1, NULL);
    log_json(twice, sizeof twice, UUID_B, UUID_B, 2, ",\"metadata\":{\"copy\":\"" UUID_B "\"}");
    log_json(upper, sizeof upper, UUID_UPPER, "Thread-7", 3, NULL);
    log_json(plain, sizeof plain, "log-42", THREAD_T, 4, NULL);
    const char *const logs[] = {a, twice, upper, plain};
    batch(f->store, logs, 4);
    char err_s[256];
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM request_bodies_v13", NULL), 0);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM request_bodies", NULL), 4);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM requests WHERE body_ids IS NOT NULL", NULL), 3);
    assert_false(packed_bytes_hold(f->store, UUID_A, UUID_A));
    assert_false(packed_bytes_hold(f->store, UUID_A, THREAD_T));
    assert_true(packed_bytes_hold(f->store, UUID_B, UUID_B)); /* its second copy stays */
    assert_true(packed_bytes_hold(f->store, UUID_UPPER, UUID_UPPER));
    assert_true(packed_bytes_hold(f->store, UUID_UPPER, "Thread-7"));
    assert_reads_back(f->store, UUID_A, a);
    assert_reads_back(f->store, UUID_B, twice);
    assert_reads_back(f->store, UUID_UPPER, upper);
    assert_reads_back(f->store, "log-42", plain);
    /* the index never saw the ids left out: a search for one finds it in the rows */
    assert_true(tg_search_index_more(f->store, 100, err_s, sizeof err_s) >= 4);
    int64_t found[8], first = 0;
    /* search folds case: the uppercase id (kept in its body) matches too */
    assert_int_equal(tg_search_newest(f->store, "2a846be0-37d7", found, 8, &first, err_s, sizeof err_s), 2);
    assert_int_equal(first, row_of(f->store, UUID_A));
    assert_int_equal(tg_search_newest(f->store, "77d3731c-6d6a", found, 8, &first, err_s, sizeof err_s), 2);
    assert_int_equal(first, row_of(f->store, UUID_A));
    assert_int_equal(tg_search_newest(f->store, "2A846BE0", found, 8, &first, err_s, sizeof err_s), 2);
    assert_int_equal(tg_search_newest(f->store, UUID_B, found, 8, &first, err_s, sizeof err_s), 1);
    /* whole ids go through the log-id index and the per-thread rollup (and
     * the uppercase copy of UUID_A, kept in its body, through the index) */
    assert_int_equal(tg_search_newest(f->store, UUID_A, found, 8, &first, err_s, sizeof err_s), 2);
    assert_int_equal(first, row_of(f->store, UUID_A));
    assert_int_equal(tg_search_newest(f->store, THREAD_T, found, 8, &first, err_s, sizeof err_s), 2);
    assert_int_equal(first, row_of(f->store, UUID_A));
    /* the hex of the id without its dashes holds this, the id does not */
    assert_int_equal(tg_search_newest(f->store, "37d74dfa", found, 8, &first, err_s, sizeof err_s), 0);
    /* another process reads them too */
    char err[256];
    struct tg_store *other;
    assert_int_equal(tg_store_open(f->path, 0, &other, err, sizeof err), 0);
    assert_reads_back(other, UUID_A, a);
    tg_store_close(other);
}

/* A schema-13 db: its bodies are rows of request_bodies. Made here from a
 * new one whose ids stay in their bodies (not UUIDs), by undoing migration
 * 14, and checked against the schema tollgate creates at 13. */
static void make_schema_13(struct store_fixture *f, const char *const *logs, int n)
{
    batch(f->store, logs, n);
    tg_store_close(f->store);
    f->store = NULL;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "BEGIN;"
                                  "DROP TRIGGER request_bodies_delete; DROP TRIGGER request_bodies_insert;"
                                  "DROP VIEW request_bodies;"
                                  "ALTER TABLE request_bodies_v13 RENAME TO request_bodies;"
                                  "INSERT INTO request_bodies(request_id, raw_zstd, raw_len, chunk_refs)"
                                  "  SELECT id, x'', body_len, chunk_refs FROM requests WHERE chunk_refs IS NOT NULL"
                                  "  AND body_ids IS NULL;"
                                  "ALTER TABLE requests DROP COLUMN body_ids;"
                                  "ALTER TABLE requests DROP COLUMN chunk_refs;"
                                  "ALTER TABLE requests DROP COLUMN body_len;"
                                  "PRAGMA user_version=13; COMMIT;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
}

static void test_migration_14_from_schema_13(void **state)
{
    struct store_fixture *f = *state;
    char old_logs[3][1024], new_logs[2][1024];
    log_json(old_logs[0], 1024, "old-1", "t-old", 1, NULL);
    log_json(old_logs[1], 1024, "old-2", "t-old", 2, NULL);
    log_json(old_logs[2], 1024, "old-3", NULL, 3000, NULL);
    const char *const olds[] = {old_logs[0], old_logs[1], old_logs[2]};
    make_schema_13(f, olds, 3);
    /* the same tables as a db created at schema 13 */
    struct store_fixture fresh;
    snprintf(fresh.dir, sizeof fresh.dir, "/tmp/tg-unit13-XXXXXX");
    assert_non_null(mkdtemp(fresh.dir));
    snprintf(fresh.path, sizeof fresh.path, "%s/t.db", fresh.dir);
    char err[256];
    struct tg_store *s13;
    assert_int_equal(tg_store_open_at_version(fresh.path, 13, &s13, err, sizeof err), 0);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    static const char *const cols = "SELECT group_concat(name || ':' || type, ',') FROM pragma_table_info(?1)";
    for (int t = 0; t < 2; t++) {
        const char *table = t ? "request_bodies" : "requests";
        char mine[512] = "", theirs[512] = "";
        sqlite3 *dbs[2] = {db, tg_store_sqlite(s13)};
        char *outs[2] = {mine, theirs};
        for (int k = 0; k < 2; k++) {
            sqlite3_stmt *st;
            assert_int_equal(sqlite3_prepare_v2(dbs[k], cols, -1, &st, NULL), SQLITE_OK);
            sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
            assert_int_equal(sqlite3_step(st), SQLITE_ROW);
            snprintf(outs[k], 512, "%s", (const char *)sqlite3_column_text(st, 0));
            sqlite3_finalize(st);
        }
        assert_string_equal(mine, theirs);
    }
    sqlite3_close(db);
    tg_store_close(s13);
    store_fixture_remove(&fresh);

    assert_int_equal(tg_store_open(f->path, 0, &f->store, err, sizeof err), 0);
    assert_int_equal(tg_store_schema_version(f->store), TG_STORE_SCHEMA_VERSION);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM request_bodies_v13", NULL), 3);
    for (int i = 0; i < 3; i++) {
        char id[16];
        snprintf(id, sizeof id, "old-%d", i + 1);
        assert_reads_back(f->store, id, old_logs[i]);
    }
    log_json(new_logs[0], 1024, UUID_A, THREAD_T, 4, NULL);
    log_json(new_logs[1], 1024, UUID_B, THREAD_T, 3001, NULL);
    const char *const news[] = {new_logs[0], new_logs[1]};
    batch(f->store, news, 2);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM request_bodies", NULL), 5);
    assert_reads_back(f->store, UUID_A, new_logs[0]);
    /* prune drops bodies of both layouts older than a day in, and counts them */
    struct tg_prune_options o = {.bodies_before_ms = BASE_MS + 86400000LL};
    struct tg_prune_counts counts;
    assert_int_equal(tg_prune_run(f->store, &o, NULL, NULL, &counts, err, sizeof err), 0);
    assert_int_equal(counts.bodies, 3);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM request_bodies", NULL), 2);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM request_bodies_v13", NULL), 1);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM requests WHERE chunk_refs IS NOT NULL", NULL), 1);
    char *raw;
    size_t len;
    assert_int_equal(tg_store_raw_log(f->store, "old-1", &raw, &len, err, sizeof err), 2);
    assert_int_equal(tg_store_raw_log(f->store, UUID_A, &raw, &len, err, sizeof err), 2);
    assert_reads_back(f->store, "old-3", old_logs[2]);
    assert_reads_back(f->store, UUID_B, new_logs[1]);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM requests", NULL), 5);
}

/* `tollgate migrate` moves the schema-13 bodies into their rows: they read
 * the same, and a second run has nothing left to move. */
static void test_migrate_moves_schema_13_bodies_into_rows(void **state)
{
    struct store_fixture *f = *state;
    char old_logs[3][1024];
    const char *olds[3];
    for (int i = 0; i < 3; i++) {
        char id[16];
        snprintf(id, sizeof id, "old-%d", i + 1);
        log_json(old_logs[i], 1024, id, "t-old", i + 1, NULL);
        olds[i] = old_logs[i];
    }
    make_schema_13(f, olds, 3);
    char err[256];
    assert_int_equal(tg_store_open(f->path, 0, &f->store, err, sizeof err), 0);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM requests WHERE chunk_refs IS NOT NULL", NULL), 0);
    int64_t moved = 0;
    assert_int_equal(tg_prune_move_bodies(f->store, NULL, NULL, &moved, err, sizeof err), 0);
    assert_int_equal(moved, 3);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM request_bodies_v13", NULL), 0);
    assert_int_equal(store_fixture_int_of(f->store, "SELECT count(*) FROM requests WHERE chunk_refs IS NOT NULL", NULL), 3);
    for (int i = 0; i < 3; i++) {
        char id[16];
        snprintf(id, sizeof id, "old-%d", i + 1);
        assert_reads_back(f->store, id, old_logs[i]);
    }
    assert_int_equal(tg_prune_move_bodies(f->store, NULL, NULL, &moved, err, sizeof err), 0);
    assert_int_equal(moved, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_finds_encodes_and_restores),
        cmocka_unit_test_setup_teardown(test_uuid_ids_left_out_of_packs_and_put_back, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_migration_14_from_schema_13, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_migrate_moves_schema_13_bodies_into_rows, store_fixture_setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
