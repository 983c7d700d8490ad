/* Packs of many requests (core/store/bodies.c): the new chunks of consecutive
 * requests go into one zstd frame that stays open across commits (a collector
 * commits every request), is read back while open (from the batch that fills
 * it, and from another connection after a commit flushed it), ends where
 * another writer stored chunks meanwhile, and writers find stored chunks again
 * after a restart although no digest is stored, and a chunk two parsing
 * threads both took for new is packed once. */
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

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static void random_words(struct strbuf *sb, size_t n)
{
    test_random_words(sb, &rng_state, n, 100000);
}

/* A turn of a conversation: a fixed system prompt, the turns so far, one new. */
static char *request(const char *id, const char *system, struct strbuf *turns)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_puts(turns, ",{\"role\":\"user\",\"content\":\"");
    random_words(turns, 1500);
    strbuf_puts(turns, "\"}");
    strbuf_printf(&sb,
                  "{\"unique_id\":\"%s\",\"timestamp\":\"2026-11-01T10:00:00Z\",\"model\":\"m\",\"cost\":0.01,"
                  "\"prompt_messages\":[{\"role\":\"system\",\"content\":\"%s\"}%s]}",
                  id, system, turns->data);
    return strbuf_detach(&sb);
}


static void add(struct tg_store *store, const char *text)
{
    store_fixture_add_text(store, text);
}

/* One request in a batch of its own, as the collector stores them. */
static void add_alone(struct tg_store *store, const char *text)
{
    char err[256];
    assert_int_equal(tg_store_begin(store, err, sizeof err), 0);
    add(store, text);
    assert_int_equal(tg_store_commit(store, err, sizeof err), 0);
}

static void assert_reads(struct tg_store *store, const char *id, const char *text)
{
    char err[256], *raw;
    size_t len;
    assert_int_equal(tg_store_raw_log(store, id, &raw, &len, err, sizeof err), 0);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(raw, text, len);
    free(raw);
}

struct convo {
    char system[3000];
    struct strbuf turns;
    char *texts[40];
    char ids[40][16];
    int n;
};

static void convo_init(struct convo *c)
{
    struct strbuf sys = STRBUF_INIT;
    random_words(&sys, 2000);
    snprintf(c->system, sizeof c->system, "%s", sys.data);
    strbuf_free(&sys);
    c->turns = (struct strbuf)STRBUF_INIT;
    strbuf_puts(&c->turns, "");
    c->n = 0;
}

static const char *convo_next(struct convo *c, const char *prefix)
{
    snprintf(c->ids[c->n], sizeof c->ids[c->n], "%s-%d", prefix, c->n);
    c->texts[c->n] = request(c->ids[c->n], c->system, &c->turns);
    return c->texts[c->n++];
}

static void convo_free(struct convo *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->texts[i]);
    strbuf_free(&c->turns);
}

/* Twenty requests committed one by one share packs (one frame a request
 * before), and each reads back exactly: from this connection and from
 * another one, while the last pack is still open. */
static void test_packs_fill_across_commits_and_read_while_open(void **state)
{
    struct store_fixture *f = *state;
    struct convo c;
    convo_init(&c);
    for (int i = 0; i < 20; i++)
        add_alone(f->store, convo_next(&c, "one"));
    int64_t packs = store_fixture_int(f->store, "SELECT count(*) FROM chunk_packs");
    assert_true(packs >= 1 && packs <= 3);
    struct tg_store *reader;
    char err[256];
    assert_int_equal(tg_store_open(f->path, TG_STORE_READ_ONLY, &reader, err, sizeof err), 0);
    for (int i = 0; i < c.n; i++) {
        assert_reads(f->store, c.ids[i], c.texts[i]);
        assert_reads(reader, c.ids[i], c.texts[i]);
    }
    tg_store_close(reader);
    convo_free(&c);
}

/* Read back in the batch that stored it, before the pack is written. */
static void test_a_body_reads_back_before_its_pack_is_written(void **state)
{
    struct store_fixture *f = *state;
    struct convo c;
    convo_init(&c);
    char err[256];
    assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
    for (int i = 0; i < 5; i++) {
        add(f->store, convo_next(&c, "open"));
        assert_reads(f->store, c.ids[i], c.texts[i]);
    }
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM chunk_packs"), 0);
    assert_int_equal(tg_store_commit(f->store, err, sizeof err), 0);
    for (int i = 0; i < c.n; i++)
        assert_reads(f->store, c.ids[i], c.texts[i]);
    convo_free(&c);
}

/* Two writers taking turns (a collector and an import): each one's open pack
 * ends when the other stored chunks after it, ids never collide, every body
 * reads back exactly from either. */
static void test_two_writers_taking_turns(void **state)
{
    struct store_fixture *f = *state;
    struct tg_store *other;
    char err[256];
    assert_int_equal(tg_store_open(f->path, 0, &other, err, sizeof err), 0);
    struct convo a, b;
    convo_init(&a);
    convo_init(&b);
    for (int i = 0; i < 8; i++) {
        add_alone(f->store, convo_next(&a, "a"));
        add_alone(f->store, convo_next(&a, "a"));
        add_alone(other, convo_next(&b, "b"));
    }
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM chunk_packs"),
                     16); /* each turn of one writer ends the other's pack */
    for (int i = 0; i < a.n; i++) {
        assert_reads(f->store, a.ids[i], a.texts[i]);
        assert_reads(other, a.ids[i], a.texts[i]);
    }
    for (int i = 0; i < b.n; i++) {
        assert_reads(f->store, b.ids[i], b.texts[i]);
        assert_reads(other, b.ids[i], b.texts[i]);
    }
    tg_store_close(other);
    convo_free(&a);
    convo_free(&b);
}

/* No digest is stored: a writer that starts digests the newest packs again,
 * so the next turn of a conversation stored before a restart stores only
 * what is new in it. */
static void test_a_restarted_writer_finds_stored_chunks(void **state)
{
    struct store_fixture *f = *state;
    struct convo c;
    convo_init(&c);
    for (int i = 0; i < 6; i++)
        add_alone(f->store, convo_next(&c, "r"));
    tg_store_close(f->store);
    char err[256];
    assert_int_equal(tg_store_open(f->path, 0, &f->store, err, sizeof err), 0);
    int64_t before = store_fixture_int(f->store, "SELECT sum(raw_len) FROM chunk_packs");
    const char *next = convo_next(&c, "r");
    add_alone(f->store, next);
    int64_t grew = store_fixture_int(f->store, "SELECT sum(raw_len) FROM chunk_packs") - before;
    if (grew > 1500 + 2 * 8192) /* the new turn, and the chunks around the id and the end */
        fail_msg("a %zu-byte request after a restart stored %lld new bytes", strlen(next), (long long)grew);
    for (int i = 0; i < c.n; i++)
        assert_reads(f->store, c.ids[i], c.texts[i]);
    convo_free(&c);
}

/* Two parsing threads each take the same chunks for new (each remembers only
 * what it handed over itself): the store packs them once. */
static void test_chunks_two_threads_both_bring_are_packed_once(void **state)
{
    struct store_fixture *f = *state;
    struct convo c;
    convo_init(&c);
    const char *first = convo_next(&c, "t"), *second = convo_next(&c, "t");
    struct tg_msgcache *thread_a = tg_msgcache_new(1024), *thread_b = tg_msgcache_new(1024);
    const char *texts[2] = {first, second};
    struct tg_msgcache *threads[2] = {thread_a, thread_b};
    char err[256];
    bool inserted;
    assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
    for (int i = 0; i < 2; i++) {
        struct tg_log log;
        struct tg_log_error lerr;
        struct tg_log_parse_options opt = {0};
        assert_int_equal(tg_log_parse_text(texts[i], strlen(texts[i]), &opt, &log, &lerr), 0);
        assert_int_equal(tg_body_prepare(NULL, threads[i], true, texts[i], strlen(texts[i]), &log.body, err,
                                         sizeof err),
                         0);
        assert_int_equal(log.body->pack_len, strlen(texts[i])); /* each thread takes every chunk for new */
        assert_int_equal(tg_store_add(f->store, &log, &inserted, err, sizeof err), 0);
        tg_log_free(&log);
    }
    assert_int_equal(tg_store_commit(f->store, err, sizeof err), 0);
    int64_t stored = store_fixture_int(f->store, "SELECT sum(raw_len) FROM chunk_packs");
    /* the second request's chunks around its id (into the system prompt),
     * its new turn and its end; not the first turn (1.5 KB) again */
    if (stored > (int64_t)(strlen(first) + strlen(second)) - 1000)
        fail_msg("%zu + %zu bytes of requests stored %lld chunk bytes", strlen(first), strlen(second),
                 (long long)stored);
    for (int i = 0; i < c.n; i++)
        assert_reads(f->store, c.ids[i], c.texts[i]);
    tg_msgcache_free(thread_a);
    tg_msgcache_free(thread_b);
    convo_free(&c);
}

static int setup(void **state)
{
    return store_fixture_setup(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_packs_fill_across_commits_and_read_while_open, setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_body_reads_back_before_its_pack_is_written, setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_two_writers_taking_turns, setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_restarted_writer_finds_stored_chunks, setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_chunks_two_threads_both_bring_are_packed_once, setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests_name("packs", tests, NULL, NULL);
}
