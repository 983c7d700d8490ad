/* A commit that brings a lot of new chunks (a collector's group of 16 POSTs
 * of 100 logs) ends its pack and has it compressed on the packer's thread
 * while the commit writes the rest (core/store/packs.c, HAND_OVER_AT_COMMIT);
 * a commit of a few small logs leaves its pack open for the next one. Either
 * way every body reads back exactly, also after a commit that failed once the
 * pack was handed over. A pack that small commits filled is compressed whole
 * once full, as well as one batch would have. */
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
#include "store/store.h"
#include "store_fixture.h"
#include "test_words.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

/* A log of about `bytes` bytes of text no earlier log holds. */
static char *fresh_log(const char *id, size_t bytes)
{
    struct strbuf words = STRBUF_INIT, sb = STRBUF_INIT;
    test_random_words(&words, &rng_state, bytes, 1000000);
    strbuf_printf(&sb,
                  "{\"unique_id\":\"%s\",\"timestamp\":\"2026-11-01T10:00:00Z\",\"model\":\"m\",\"cost\":0.01,"
                  "\"prompt_messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
                  id, words.data);
    strbuf_free(&words);
    return strbuf_detach(&sb);
}

struct logs {
    char *texts[400];
    char ids[400][16];
    int n;
};

static const char *next_log(struct logs *l, size_t bytes)
{
    snprintf(l->ids[l->n], sizeof l->ids[l->n], "h-%d", l->n);
    l->texts[l->n] = fresh_log(l->ids[l->n], bytes);
    return l->texts[l->n++];
}

static void logs_free(struct logs *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->texts[i]);
}

/* Adds texts[from..to) in one batch; returns the commit's result. */
static int store_batch(struct tg_store *store, const struct logs *l, int from, int to)
{
    char err[256];
    assert_int_equal(tg_store_begin(store, err, sizeof err), 0);
    for (int i = from; i < to; i++)
        store_fixture_add_text(store, l->texts[i]);
    return tg_store_commit(store, err, sizeof err);
}

static void assert_all_read_back(struct tg_store *store, const struct logs *l)
{
    for (int i = 0; i < l->n; i++) {
        char err[256], *raw;
        size_t len;
        assert_int_equal(tg_store_raw_log(store, l->ids[i], &raw, &len, err, sizeof err), 0);
        assert_int_equal(len, strlen(l->texts[i]));
        assert_memory_equal(raw, l->texts[i], len);
        free(raw);
    }
}

static int64_t packs(struct tg_store *store)
{
    return store_fixture_int(store, "SELECT count(*) FROM chunk_packs");
}

/* 120 KB of new chunks in one commit: the pack ends there, so the next
 * commit's chunks go into a pack of their own (it went on in the same
 * stream before, compressed on the writer's thread). */
static void test_a_big_commit_ends_its_pack(void **state)
{
    struct store_fixture *f = *state;
    struct logs l = {0};
    for (int i = 0; i < 4; i++)
        next_log(&l, 30000);
    next_log(&l, 2000);
    assert_int_equal(store_batch(f->store, &l, 0, 4), 0);
    assert_int_equal(packs(f->store), 1);
    assert_int_equal(store_batch(f->store, &l, 4, 5), 0);
    assert_int_equal(packs(f->store), 2);
    assert_all_read_back(f->store, &l);
    struct tg_store *reader;
    char err[256];
    assert_int_equal(tg_store_open(f->path, TG_STORE_READ_ONLY, &reader, err, sizeof err), 0);
    assert_all_read_back(reader, &l);
    tg_store_close(reader);
    logs_free(&l);
}

/* Commits of a few KB each keep filling one pack, as a lone client's do. */
static void test_small_commits_share_a_pack(void **state)
{
    struct store_fixture *f = *state;
    struct logs l = {0};
    for (int i = 0; i < 8; i++) {
        next_log(&l, 4000);
        assert_int_equal(store_batch(f->store, &l, i, i + 1), 0);
    }
    assert_int_equal(packs(f->store), 1);
    assert_all_read_back(f->store, &l);
    logs_free(&l);
}

/* The commit fails after its pack went to the packer: nothing of the batch
 * is kept, its chunk ids go to the next batch's chunks, and those read back
 * exactly, then and after a restart. */
static void test_a_failed_commit_drops_the_handed_over_pack(void **state)
{
    struct store_fixture *f = *state;
    struct logs l = {0};
    next_log(&l, 70000);
    assert_int_equal(store_batch(f->store, &l, 0, 1), 0); /* its pack ends: the next batch begins one */
    for (int i = 0; i < 6; i++)
        next_log(&l, 40000);
    sqlite3 *db = tg_store_sqlite(f->store);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TEMP TRIGGER refuse BEFORE INSERT ON rollup_hourly "
                                  "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_not_equal(store_batch(f->store, &l, 1, 4), 0);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM requests"), 1);
    assert_int_equal(sqlite3_exec(db, "DROP TRIGGER temp.refuse", NULL, NULL, NULL), SQLITE_OK);
    /* other logs take the refused ones' place */
    struct logs kept = {.n = 4};
    kept.texts[0] = l.texts[0];
    snprintf(kept.ids[0], sizeof kept.ids[0], "%s", l.ids[0]);
    for (int i = 1; i < 4; i++) {
        kept.texts[i] = l.texts[i + 3];
        snprintf(kept.ids[i], sizeof kept.ids[i], "%s", l.ids[i + 3]);
    }
    assert_int_equal(store_batch(f->store, &l, 4, 7), 0);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM requests"), 4);
    assert_int_equal(packs(f->store), 2);
    assert_all_read_back(f->store, &kept);
    tg_store_close(f->store);
    char err[256];
    assert_int_equal(tg_store_open(f->path, 0, &f->store, err, sizeof err), 0);
    assert_all_read_back(f->store, &kept);
    logs_free(&l);
}

/* Text that compresses: a chat's words from a small vocabulary. */
static const char *chat_log(struct logs *l, size_t bytes)
{
    struct strbuf words = STRBUF_INIT, sb = STRBUF_INIT;
    test_random_words(&words, &rng_state, bytes, 300);
    snprintf(l->ids[l->n], sizeof l->ids[l->n], "c-%d", l->n);
    strbuf_printf(&sb,
                  "{\"unique_id\":\"%s\",\"timestamp\":\"2026-11-01T10:00:00Z\",\"model\":\"m\",\"cost\":0.01,"
                  "\"prompt_messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
                  l->ids[l->n], words.data);
    strbuf_free(&words);
    l->texts[l->n] = strbuf_detach(&sb);
    return l->texts[l->n++];
}

/* 320 logs of 1 KB committed one by one fill the first pack: its stored
 * frames are no bigger than those of the same logs stored in one batch
 * (flushed at every commit, its stream was 30% bigger). */
static void test_a_pack_small_commits_filled_is_compressed_whole(void **state)
{
    struct store_fixture *f = *state;
    struct logs l = {0};
    for (int i = 0; i < 320; i++)
        chat_log(&l, 1000);
    for (int i = 0; i < l.n; i++)
        assert_int_equal(store_batch(f->store, &l, i, i + 1), 0);
    assert_true(packs(f->store) >= 2);
    int64_t one_by_one = store_fixture_int(f->store, "SELECT length(zstd) FROM chunk_packs ORDER BY id LIMIT 1");
    assert_all_read_back(f->store, &l);
    struct store_fixture batch;
    assert_int_equal(store_fixture_open(&batch, "packbatch"), 0);
    assert_int_equal(store_batch(batch.store, &l, 0, l.n), 0);
    int64_t at_once = store_fixture_int(batch.store, "SELECT length(zstd) FROM chunk_packs ORDER BY id LIMIT 1");
    assert_int_equal(store_fixture_int(batch.store, "SELECT chunks FROM chunk_packs ORDER BY id LIMIT 1"),
                     store_fixture_int(f->store, "SELECT chunks FROM chunk_packs ORDER BY id LIMIT 1"));
    store_fixture_close(&batch);
    if (one_by_one > at_once + at_once / 20)
        fail_msg("the first pack: %lld bytes filled commit by commit, %lld in one batch", (long long)one_by_one,
                 (long long)at_once);
    logs_free(&l);
}

static int setup(void **state)
{
    return store_fixture_setup(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_big_commit_ends_its_pack, setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_small_commits_share_a_pack, setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_failed_commit_drops_the_handed_over_pack, setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_pack_small_commits_filled_is_compressed_whole, setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
