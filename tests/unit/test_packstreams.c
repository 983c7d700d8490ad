/* Packs in two streams (body.h, core/store/bodies.c): the first chunk of each
 * request (its head) in one zstd frame, the other chunks in another. Packs
 * are written that way, read back byte for byte (whole, and a prefix while
 * open), and packs of the first layout (one frame, no trailer: every
 * schema-11 db written before) are still read. */
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

#define REQUESTS 60

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t next_random(void)
{
    return test_xorshift(&rng_state);
}

static void random_words(struct strbuf *sb, size_t n)
{
    test_random_words(sb, &rng_state, n, 5000);
}

/* Chat threads of a few turns, each log resending the thread so far. */
static char *small_log(int i, struct strbuf *thread)
{
    if (i % 4 == 0) {
        strbuf_free(thread);
        *thread = (struct strbuf)STRBUF_INIT;
        strbuf_puts(thread, "{\"role\":\"system\",\"content\":\"You help.\"}");
    }
    strbuf_puts(thread, ",{\"role\":\"user\",\"content\":\"");
    random_words(thread, 150);
    strbuf_puts(thread, "\"}");
    struct strbuf sb = STRBUF_INIT;
    strbuf_printf(&sb,
                  "{\"unique_id\":\"id-%d-%llx\",\"timestamp\":\"2026-11-01T10:%02d:00Z\",\"model\":\"m\","
                  "\"prompt_tokens\":%d,\"cost\":0.0%d,\"thread_identifier\":\"t%d\",\"prompt_messages\":[%s],"
                  "\"completion_message\":{\"role\":\"assistant\",\"content\":\"",
                  i, (unsigned long long)next_random(), i % 60, 100 + i, i % 10, i / 4, thread->data);
    random_words(&sb, 200);
    strbuf_puts(&sb, "\"}}");
    return strbuf_detach(&sb);
}

struct fixture {
    struct store_fixture db;
    char *logs[REQUESTS];
};

static void add(struct tg_store *store, const char *text)
{
    store_fixture_add_text(store, text);
}

/* REQUESTS logs, in batches of 7 (the pack stays open across commits). */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || store_fixture_open(&f->db, "packstreams") != 0)
        return -1;
    struct strbuf thread = STRBUF_INIT;
    char err[256];
    for (int i = 0; i < REQUESTS; i++) {
        f->logs[i] = small_log(i, &thread);
        if (i % 7 == 0 && tg_store_begin(f->db.store, err, sizeof err) != 0)
            return -1;
        add(f->db.store, f->logs[i]);
        if ((i % 7 == 6 || i + 1 == REQUESTS) && tg_store_commit(f->db.store, err, sizeof err) != 0)
            return -1;
    }
    strbuf_free(&thread);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < REQUESTS; i++)
        free(f->logs[i]);
    store_fixture_close(&f->db);
    free(f);
    return 0;
}

/* Every request reads back as it came, from this connection and another. */
static void check_all(struct fixture *f)
{
    char err[256];
    struct tg_store *other;
    assert_int_equal(tg_store_open(f->db.path, 0, &other, err, sizeof err), 0);
    struct tg_store *stores[2] = {f->db.store, other};
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < REQUESTS; i++) {
            char *raw;
            size_t len;
            assert_int_equal(tg_store_raw_request(stores[s], i + 1, &raw, &len, err, sizeof err), 0);
            assert_int_equal(len, strlen(f->logs[i]));
            assert_memory_equal(raw, f->logs[i], len);
            free(raw);
        }
    }
    tg_store_close(other);
}


static void test_packs_are_written_in_two_streams_and_read_back(void **state)
{
    struct fixture *f = *state;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(tg_store_sqlite(f->db.store), "SELECT chunks, lens FROM chunk_packs", -1, &st,
                                        NULL),
                     SQLITE_OK);
    int packs = 0, heads = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        size_t count = (size_t)sqlite3_column_int64(st, 0);
        size_t *lens = malloc(count * sizeof *lens);
        struct tg_body_pack_split split;
        assert_int_equal(tg_body_pack_lens_decode(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
                                                  lens, count, &split),
                         0);
        assert_true(split.two);
        assert_true(split.head_z > 0);
        for (size_t i = 0; i < count; i++)
            heads += (split.heads[i / 8] >> (i % 8)) & 1;
        packs++;
        free(lens);
    }
    sqlite3_finalize(st);
    assert_true(packs >= 1);
    assert_int_equal(heads, REQUESTS); /* each log's head is new: its id differs */
    check_all(f);
}

/* Rewrites every pack in the first layout: its chunks in id order, one frame
 * without a dictionary, lengths without a trailer (what schema 11 wrote). */
static void to_first_layout(struct tg_store *store)
{
    sqlite3 *db = tg_store_sqlite(store);
    sqlite3_stmt *st, *up;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, chunks, raw_len, lens, zstd, dict_id FROM chunk_packs", -1,
                                        &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "UPDATE chunk_packs SET lens = ?2, zstd = ?3, dict_id = NULL WHERE id = ?1",
                                        -1, &up, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    struct tg_body_decoder *decoder = tg_body_decoder_new();
    struct tg_body_codec *codec = tg_body_codec_new();
    char err[256];
    while (sqlite3_step(st) == SQLITE_ROW) {
        assert_int_equal(sqlite3_column_type(st, 5), SQLITE_NULL); /* too few logs to train a dictionary */
        size_t count = (size_t)sqlite3_column_int64(st, 1), raw_len = (size_t)sqlite3_column_int64(st, 2);
        const unsigned char *lens_blob = sqlite3_column_blob(st, 3);
        size_t *lens = malloc(count * sizeof *lens);
        struct tg_body_pack_split split;
        assert_int_equal(tg_body_pack_lens_decode(lens_blob, (size_t)sqlite3_column_bytes(st, 3), lens, count, &split),
                         0);
        assert_true(split.two);
        char *raw;
        assert_int_equal(tg_body_decode_split(decoder, sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4),
                                              lens, count, &split, raw_len, raw_len, 0, &raw),
                         0);
        unsigned char *plain = malloc(count * 10 + 1);
        size_t plain_len = tg_body_varints_encode(lens, count, plain);
        void *z;
        size_t z_len;
        assert_int_equal(tg_body_compress(codec, raw, raw_len, &z, &z_len, err, sizeof err), 0);
        sqlite3_bind_int64(up, 1, sqlite3_column_int64(st, 0));
        sqlite3_bind_blob(up, 2, plain, (int)plain_len, SQLITE_TRANSIENT);
        sqlite3_bind_blob(up, 3, z, (int)z_len, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(up), SQLITE_DONE);
        sqlite3_reset(up);
        free(z);
        free(plain);
        free(raw);
        free(lens);
    }
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_finalize(st);
    sqlite3_finalize(up);
    tg_body_decoder_free(decoder);
    tg_body_codec_free(codec);
}

static void test_packs_of_the_first_layout_still_read(void **state)
{
    struct fixture *f = *state;
    to_first_layout(f->db.store);
    char err[256];
    tg_store_close(f->db.store); /* nothing cached from before */
    assert_int_equal(tg_store_open(f->db.path, 0, &f->db.store, err, sizeof err), 0);
    check_all(f);
    /* and a writer goes on after them: its window is filled from them */
    int64_t packed = store_fixture_int(f->db.store, "SELECT sum(raw_len) FROM chunk_packs");
    assert_int_equal(tg_store_begin(f->db.store, err, sizeof err), 0);
    add(f->db.store, "{\"unique_id\":\"later\",\"timestamp\":\"2026-11-01T11:00:00Z\",\"model\":\"m\",\"cost\":0}");
    assert_int_equal(tg_store_commit(f->db.store, err, sizeof err), 0);
    assert_true(store_fixture_int(f->db.store, "SELECT sum(raw_len) FROM chunk_packs") > packed);
    check_all(f);
}

/* A prefix of a pack (a read stops at the last chunk it needs) comes from
 * both frames, each as far as needed. */
static void test_a_prefix_of_a_two_stream_pack(void **state)
{
    (void)state;
    struct tg_body_codec *body = tg_body_codec_new(), *head = tg_body_codec_new_at(9, 9);
    const char *chunks[] = {"HEAD-one", "text one ", "more text", "HEAD-two", "text two", "HEAD-3"};
    const bool is_head[] = {true, false, false, true, false, true};
    size_t lens[6], n = 6, raw_len = 0;
    unsigned char heads[1] = {0};
    unsigned char *z = NULL, *hz = NULL;
    size_t z_len = 0, z_cap = 0, hz_len = 0, hz_cap = 0;
    char err[256], all[128] = "";
    tg_body_stream_begin(body);
    tg_body_stream_begin(head);
    for (size_t i = 0; i < n; i++) {
        lens[i] = strlen(chunks[i]);
        raw_len += lens[i];
        strcat(all, chunks[i]);
        if (is_head[i])
            heads[0] |= (unsigned char)(1u << i);
        assert_int_equal(is_head[i] ? tg_body_stream_feed(head, chunks[i], lens[i], TG_BODY_CONTINUE, &hz, &hz_len,
                                                          &hz_cap, err, sizeof err)
                                    : tg_body_stream_feed(body, chunks[i], lens[i], TG_BODY_CONTINUE, &z, &z_len,
                                                          &z_cap, err, sizeof err),
                         0);
    }
    /* flushed, not ended: a pack still open */
    assert_int_equal(tg_body_stream_feed(head, NULL, 0, TG_BODY_FLUSH, &hz, &hz_len, &hz_cap, err, sizeof err), 0);
    assert_int_equal(tg_body_stream_feed(body, NULL, 0, TG_BODY_FLUSH, &z, &z_len, &z_cap, err, sizeof err), 0);
    unsigned char *blob = malloc(hz_len + z_len), lens_blob[64];
    memcpy(blob, hz, hz_len);
    memcpy(blob + hz_len, z, z_len);
    size_t lens_len = tg_body_varints_encode(lens, n, lens_blob);
    lens_len += tg_body_pack_trailer_encode(hz_len, heads, n, lens_blob + lens_len);
    size_t got[6];
    struct tg_body_pack_split split;
    assert_int_equal(tg_body_pack_lens_decode(lens_blob, lens_len, got, n, &split), 0);
    assert_true(split.two);
    assert_int_equal(split.head_z, hz_len);
    struct tg_body_decoder *decoder = tg_body_decoder_new();
    size_t need = 0;
    for (size_t k = 0; k <= n; k++) {
        char *out;
        assert_int_equal(tg_body_decode_split(decoder, blob, hz_len + z_len, got, n, &split, raw_len, need, 0, &out),
                         0);
        assert_memory_equal(out, all, need);
        free(out);
        if (k < n)
            need += lens[k];
    }
    /* not at a chunk edge, or a trailer that does not fit: refused */
    char *out;
    assert_int_equal(tg_body_decode_split(decoder, blob, hz_len + z_len, got, n, &split, raw_len, 3, 0, &out), -1);
    assert_int_equal(tg_body_pack_lens_decode(lens_blob, lens_len - 1, got, n, &split), -1);
    tg_body_decoder_free(decoder);
    tg_body_codec_free(body);
    tg_body_codec_free(head);
    free(blob);
    free(z);
    free(hz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_packs_are_written_in_two_streams_and_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_packs_of_the_first_layout_still_read, setup, teardown),
        cmocka_unit_test(test_a_prefix_of_a_two_stream_pack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
