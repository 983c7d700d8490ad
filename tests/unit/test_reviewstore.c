/* An adversarial review of the storage changes of schema 12: the compact id
 * columns (core/store/compactid.c), the bulk batch's id run (idrun.c,
 * logids.c) and the two-stream packs. Each test is a way those could lose a
 * log or count one twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "log/logmodel.h"
#include "log/pricing.h"
#include "ops/prune.h"
#include "store/store.h"
#include "store_batch.h"
#include "store_fixture.h"
#include "test_words.h"

#define BASE_MS STORE_BATCH_BASE_MS
#define UUID_A "0b4a2c1e-1111-4222-8333-444455556666"

static bool add_id(struct tg_store *store, const char *id, int second)
{
    return store_batch_add_id(store, id, second);
}

/* A UUID sent twice in one bulk batch (an import file holding a resend) was
 * stored twice: the batch's run compared the packed 16-byte column with the
 * id's 36 characters, so it never matched, and its cost counted twice. */
static void test_bulk_batch_resent_uuid_is_one_request(void **state)
{
    struct store_fixture *f = *state;
    struct tg_store *bulk = store_batch_open_bulk(f);
    store_batch_begin(bulk);
    assert_true(add_id(bulk, UUID_A, 1));
    assert_false(add_id(bulk, UUID_A, 2));
    assert_true(add_id(bulk, "plain-id", 3));
    assert_false(add_id(bulk, "plain-id", 4));
    store_batch_commit(bulk);
    tg_store_close(bulk);
    assert_int_equal(tg_store_request_count(f->store), 2);
}

static bool add_uuid(struct tg_store *store, int i)
{
    char id[40];
    snprintf(id, sizeof id, "%08x-aaaa-4bbb-8ccc-%012x", (unsigned)i, (unsigned)(i * 7919));
    return add_id(store, id, i);
}

static int add_uuids(struct tg_store *store, int first, int last)
{
    int fresh = 0;
    for (int i = first; i <= last; i++)
        fresh += add_uuid(store, i);
    return fresh;
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

/* UUID ids through every path of the bulk store: the filter built in the
 * middle of a batch, resends at once and after the table grew, the run
 * written mid-batch (tg_store_index_log_ids) then rolled back, and a
 * collector-like store and a bulk one taking turns. */
static void test_uuid_ids_dedupe_on_every_bulk_path(void **state)
{
    struct store_fixture *f = *state;
    char err[256];
    store_batch_begin(f->store);
    assert_int_equal(add_uuids(f->store, 1, 3200), 3200);
    store_batch_commit(f->store);
    struct tg_store *bulk = store_batch_open_bulk(f);
    store_batch_begin(bulk);
    assert_int_equal(add_uuids(bulk, 5001, 5300), 300); /* the filter is built in here */
    assert_int_equal(add_uuids(bulk, 5001, 5300), 0);
    assert_int_equal(add_uuids(bulk, 1, 3200), 0);
    for (int i = 6001; i <= 9000; i++) {
        assert_true(add_uuid(bulk, i));
        assert_false(add_uuid(bulk, i));
    }
    store_batch_commit(bulk);
    store_batch_begin(bulk);
    assert_int_equal(add_uuids(bulk, 9001, 9100), 100);
    assert_int_equal(tg_store_index_log_ids(bulk, err, sizeof err), 0);
    assert_int_equal(add_uuids(bulk, 9001, 9100), 0);
    tg_store_rollback(bulk);
    store_batch_begin(bulk);
    assert_int_equal(add_uuids(bulk, 9050, 9150), 101);
    store_batch_commit(bulk);
    store_batch_begin(f->store); /* the other writer's turn */
    assert_int_equal(add_uuids(f->store, 9000, 9200), 99);
    assert_int_equal(add_uuids(f->store, 9000, 9200), 0);
    store_batch_commit(f->store);
    store_batch_begin(bulk);
    assert_int_equal(add_uuids(bulk, 1, 9300), 2600); /* 3201-5000, 5301-6000, 9201-9300 */
    store_batch_commit(bulk);
    tg_store_close(bulk);
    int64_t want = 9300;
    assert_int_equal(tg_store_request_count(f->store), want);
    assert_int_equal(count_of(f->store, "SELECT count(*) FROM requests WHERE typeof(log_id) = 'blob'"), want);
    assert_int_equal(count_of(f->store, "SELECT count(DISTINCT log_id) FROM requests"), want);
}

/* Two-stream packs, every shape a body takes: a log that is one chunk (its
 * head only), logs resending a shared thread (chunks already packed), logs
 * of 300 KB to 700 KB (their chunks run over two or three packs, so a pack
 * may begin with no head), batches of 1 to 9 logs (the pack flushed at each
 * commit and continued), a rolled-back batch, then a prune of the bodies of
 * the first day (packs partly dropped and repacked in the first layout), and
 * more logs after it. Each body must read back byte for byte, from the
 * writing connection and another, at every step. */
#define SHAPES 90
#define DAY_MS 86400000LL

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_random(void)
{
    return test_xorshift(&rng);
}

static void random_text(struct strbuf *sb, size_t n)
{
    test_random_words(sb, &rng, n, 100000);
}

static char *shaped_log(int i, const struct strbuf *thread)
{
    struct strbuf sb = STRBUF_INIT;
    int64_t ts = BASE_MS + (i < SHAPES / 2 ? 0 : 2 * DAY_MS) + i * 1000LL;
    strbuf_printf(&sb, "{\"unique_id\":\"%08x-1111-4222-8333-%012x\",\"timestamp\":%.3f,\"model\":\"m\","
                       "\"customer_identifier\":\"dev%d\",\"cost\":0.01",
                  (unsigned)i, (unsigned)(next_random() & 0xffffffu), (double)ts / 1000.0, i % 3);
    switch (i % 5) {
    case 0: /* the head only */
        break;
    case 1: /* a big one */
        strbuf_puts(&sb, ",\"prompt_messages\":[{\"role\":\"user\",\"content\":\"");
        random_text(&sb, 300000 + (size_t)(next_random() % 400000));
        strbuf_puts(&sb, "\"}]");
        break;
    default: /* the thread so far, and a new turn */
        strbuf_printf(&sb, ",\"prompt_messages\":[%s],\"completion_message\":{\"role\":\"assistant\",\"content\":\"",
                      thread->data);
        random_text(&sb, 100 + (size_t)(next_random() % 3000));
        strbuf_puts(&sb, "\"}");
    }
    strbuf_puts(&sb, "}");
    return strbuf_detach(&sb);
}

static void add_raw(struct tg_store *store, const char *text)
{
    store_fixture_add_text(store, text);
}

/* logs[i] is request i + 1; NULL: its body was pruned. */
static void check_bodies(struct tg_store *store, const char *path, char **logs, int n)
{
    char err[256];
    struct tg_store *other;
    assert_int_equal(tg_store_open(path, 0, &other, err, sizeof err), 0);
    struct tg_store *stores[2] = {store, other};
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < n; i++) {
            char *raw = NULL;
            size_t len;
            int rc = tg_store_raw_request(stores[s], i + 1, &raw, &len, err, sizeof err);
            if (!logs[i]) {
                assert_int_not_equal(rc, 0);
                assert_int_not_equal(rc, -1);
                continue;
            }
            if (rc != 0)
                fail_msg("request %d (connection %d): rc %d %s", i + 1, s, rc, err);
            assert_int_equal(len, strlen(logs[i]));
            assert_memory_equal(raw, logs[i], len);
            free(raw);
        }
    }
    tg_store_close(other);
}

static void test_two_stream_packs_round_trip_every_shape(void **state)
{
    struct store_fixture *f = *state;
    char *logs[SHAPES + 10] = {0};
    struct strbuf thread = STRBUF_INIT;
    strbuf_puts(&thread, "{\"role\":\"system\",\"content\":\"You help.\"}");
    int n = 0, batch = 1;
    while (n < SHAPES) {
        store_batch_begin(f->store);
        for (int k = 0; k < batch && n < SHAPES; k++, n++) {
            strbuf_puts(&thread, ",{\"role\":\"user\",\"content\":\"");
            random_text(&thread, 200);
            strbuf_puts(&thread, "\"}");
            logs[n] = shaped_log(n, &thread);
            add_raw(f->store, logs[n]);
        }
        store_batch_commit(f->store);
        check_bodies(f->store, f->path, logs, n);
        batch = batch % 9 + 1;
    }
    /* a batch rolled back: its chunks must not be taken as stored */
    store_batch_begin(f->store);
    char *gone = shaped_log(1000, &thread), *again = shaped_log(1001, &thread);
    add_raw(f->store, gone);
    add_raw(f->store, again);
    tg_store_rollback(f->store);
    free(gone);
    store_batch_begin(f->store);
    logs[n++] = again;
    add_raw(f->store, again);
    store_batch_commit(f->store);
    check_bodies(f->store, f->path, logs, n);

    /* the first day's bodies go: the packs they share with later ones are
     * partly dropped */
    struct tg_prune_options opt = {.bodies_before_ms = BASE_MS + DAY_MS};
    struct tg_prune_counts counts;
    char err[256];
    if (tg_prune_run(f->store, &opt, NULL, NULL, &counts, err, sizeof err) != 0)
        fail_msg("prune: %s", err);
    assert_true(counts.bodies > 0 && counts.chunks > 0);
    for (int i = 0; i < SHAPES / 2; i++) {
        free(logs[i]);
        logs[i] = NULL;
    }
    check_bodies(f->store, f->path, logs, n);
    for (int b = 0; b < 3; b++) {
        store_batch_begin(f->store);
        for (int k = 0; k < 3; k++, n++) {
            logs[n] = shaped_log(n + 2, &thread);
            add_raw(f->store, logs[n]);
        }
        store_batch_commit(f->store);
        check_bodies(f->store, f->path, logs, n);
    }
    for (int i = 0; i < n; i++)
        free(logs[i]);
    strbuf_free(&thread);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bulk_batch_resent_uuid_is_one_request, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_uuid_ids_dedupe_on_every_bulk_path, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_two_stream_packs_round_trip_every_shape, store_fixture_setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
