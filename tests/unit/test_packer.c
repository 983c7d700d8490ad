/* Packs compressed on the packer's thread (core/store/packer.c, packs.c):
 * a batch that fills several packs reads every body back before it commits
 * (its full packs may still be compressing, or done and not yet written),
 * stores all of them at its commit, and leaves nothing when it rolls back
 * or the store closes with the batch open, packs still in flight; and a
 * dictionary saved after another writer ended a flushed pack is taken. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "log/body.h"
#include "log/logmodel.h"
#include "store/store.h"
#include "store_fixture.h"
#include "test_words.h"

#define LOGS 48 /* of ~24 KB of new words each: 4 packs of 256 KB and some */

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static char *new_log(const char *prefix, int i)
{
    struct strbuf sb = STRBUF_INIT, words = STRBUF_INIT;
    test_random_words(&words, &rng_state, 24000, 100000);
    strbuf_printf(&sb,
                  "{\"unique_id\":\"%s-%d\",\"timestamp\":\"2026-11-01T10:00:00Z\",\"model\":\"m\",\"cost\":0.01,"
                  "\"prompt_messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
                  prefix, i, words.data);
    strbuf_free(&words);
    return strbuf_detach(&sb);
}

static void add_all(struct tg_store *store, char **texts)
{
    for (int i = 0; i < LOGS; i++)
        store_fixture_add_text(store, texts[i]);
}

static void assert_all_read(struct tg_store *store, const char *prefix, char **texts)
{
    for (int i = 0; i < LOGS; i++) {
        char id[64], err[256], *raw = NULL;
        size_t len;
        snprintf(id, sizeof id, "%s-%d", prefix, i);
        if (tg_store_raw_log(store, id, &raw, &len, err, sizeof err) != 0)
            fail_msg("reading %s: %s", id, err);
        assert_int_equal(len, strlen(texts[i]));
        assert_memory_equal(raw, texts[i], len);
        free(raw);
    }
}


static char **make_logs(const char *prefix)
{
    char **texts = calloc(LOGS, sizeof *texts);
    assert_non_null(texts);
    for (int i = 0; i < LOGS; i++)
        texts[i] = new_log(prefix, i);
    return texts;
}

static void free_logs(char **texts)
{
    for (int i = 0; i < LOGS; i++)
        free(texts[i]);
    free(texts);
}

static void test_batch_reads_its_packs_before_and_after_commit(void **state)
{
    struct store_fixture *f = *state;
    char err[256];
    char **texts = make_logs("a");
    assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
    add_all(f->store, texts);
    assert_all_read(f->store, "a", texts); /* full packs in flight or done, not yet written */
    assert_int_equal(tg_store_commit(f->store, err, sizeof err), 0);
    assert_true(store_fixture_int(f->store, "SELECT count(*) FROM chunk_packs") >= 4);
    assert_all_read(f->store, "a", texts);
    /* and from a connection of its own: every pack row was written */
    tg_store_close(f->store);
    assert_int_equal(tg_store_open(f->path, 0, &f->store, err, sizeof err), 0);
    assert_all_read(f->store, "a", texts);
    free_logs(texts);
}

static void test_rollback_and_close_leave_nothing(void **state)
{
    struct store_fixture *f = *state;
    char err[256];
    char **texts = make_logs("b");
    assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
    add_all(f->store, texts);
    tg_store_rollback(f->store);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM chunk_packs"), 0);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM requests"), 0);
    assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
    add_all(f->store, texts);
    tg_store_close(f->store); /* the batch open, packs in flight */
    assert_int_equal(tg_store_open(f->path, 0, &f->store, err, sizeof err), 0);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM chunk_packs"), 0);
    /* the same logs again: stored whole this time */
    assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
    add_all(f->store, texts);
    assert_int_equal(tg_store_commit(f->store, err, sizeof err), 0);
    assert_all_read(f->store, "b", texts);
    free_logs(texts);
}

/* One log of its own in a batch of its own (a collector's commit). */
static void add_one(struct tg_store *store, const char *text)
{
    char err[256];
    bool inserted;
    struct tg_log log;
    struct tg_log_error lerr;
    struct tg_log_parse_options opt = {0};
    assert_int_equal(tg_store_begin(store, err, sizeof err), 0);
    assert_int_equal(tg_log_parse_text(text, strlen(text), &opt, &log, &lerr), 0);
    assert_int_equal(tg_store_add(store, &log, &inserted, err, sizeof err), 0);
    tg_log_free(&log);
    assert_int_equal(tg_store_commit(store, err, sizeof err), 0);
}

/* A commit flushes the open pack and leaves its zstd frame open; another
 * writer's chunks then end that pack. The frames after it went to the
 * packer, so the writer's own stream stayed open, and zstd refuses a new
 * dictionary mid-frame: saving one failed ("out of memory loading a body
 * dictionary", found by abuse_test's import beside a collector). */
static void test_dictionary_after_another_writer_ended_a_flushed_pack(void **state)
{
    struct store_fixture *f = *state;
    char err[256];
    struct tg_store *other;
    assert_int_equal(tg_store_open(f->path, 0, &other, err, sizeof err), 0);
    char **texts = make_logs("c");
    add_one(f->store, texts[0]);          /* its pack flushed, the frame open */
    add_one(other, texts[1]);             /* chunks after it: that pack ends */
    assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
    for (int i = 2; i < LOGS; i++) {      /* full packs: to the packer */
        bool inserted;
        struct tg_log log;
        struct tg_log_error lerr;
        struct tg_log_parse_options opt = {0};
        assert_int_equal(tg_log_parse_text(texts[i], strlen(texts[i]), &opt, &log, &lerr), 0);
        assert_int_equal(tg_store_add(f->store, &log, &inserted, err, sizeof err), 0);
        tg_log_free(&log);
    }
    struct tg_body_trainer trainer = {0};
    for (int i = 0; i < LOGS; i++)
        tg_body_trainer_keep(&trainer, texts[i], strlen(texts[i]));
    void *dict;
    size_t len;
    int64_t id;
    assert_int_equal(tg_body_trainer_train(&trainer, &dict, &len), 0);
    if (tg_store_save_body_dict(f->store, dict, len, &id, err, sizeof err) != 0)
        fail_msg("saving the dictionary: %s", err);
    free(dict);
    assert_int_equal(tg_store_commit(f->store, err, sizeof err), 0);
    tg_store_close(other);
    for (int i = 0; i < LOGS; i++) {
        char lid[32], *raw = NULL;
        size_t n;
        snprintf(lid, sizeof lid, "c-%d", i);
        if (tg_store_raw_log(f->store, lid, &raw, &n, err, sizeof err) != 0)
            fail_msg("reading %s: %s", lid, err);
        assert_int_equal(n, strlen(texts[i]));
        assert_memory_equal(raw, texts[i], n);
        free(raw);
    }
    free_logs(texts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_batch_reads_its_packs_before_and_after_commit, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_rollback_and_close_leave_nothing, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_dictionary_after_another_writer_ended_a_flushed_pack,
                                        store_fixture_setup, store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
