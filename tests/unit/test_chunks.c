/* Content-defined chunks: where the chunker cuts (bounds, cuts that survive an
 * insertion, the same bytes cut the same way after any prefix), the chunk
 * references, sharing of agent-shaped traffic (a fixed tools block, system
 * blocks with a per-request header, a growing conversation, also inside an
 * `input` string), and a db of schema 8 with bodies in the message layout:
 * read as they are, then converted by `migrate`, resumably. */
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
#include "log/chunker.h"
#include "log/logmodel.h"
#include "log/pricing.h"
#include "ops/prune.h"
#include "store/store.h"
#include "store_fixture.h"

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Words, so the text looks like text (and like JSON now and then). */
static void random_text(struct strbuf *sb, size_t n)
{
    static const char *const words[] = {"the", "file", "{\"a\":1}", "return", "value", "tool", "error", "path",
                                        "parse", "[1,2]", "commit", "branch", "and", "of", "test", "line"};
    size_t start = sb->len;
    while (sb->len - start < n) {
        strbuf_puts(sb, words[next_random() % 16]);
        strbuf_putc(sb, next_random() % 9 ? ' ' : '\n');
    }
}

/* The same as the content of a JSON string: no quotes, no newlines. */
static void random_string(struct strbuf *sb, size_t n)
{
    size_t start = sb->len;
    random_text(sb, n);
    for (size_t i = start; i < sb->len; i++)
        sb->data[i] = sb->data[i] == '"' || sb->data[i] == '\n' ? ' ' : sb->data[i];
}

static size_t cuts_of(const char *data, size_t len, size_t **ends)
{
    *ends = malloc(TG_CHUNK_COUNT_BOUND(len) * sizeof **ends);
    return tg_chunk_cuts(data, len, *ends, TG_CHUNK_COUNT_BOUND(len));
}

static void test_cuts_cover_the_bytes_within_bounds(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    random_text(&sb, 300000);
    size_t *ends;
    size_t n = cuts_of(sb.data, sb.len, &ends);
    assert_true(n > 300000 / TG_CHUNK_MAX);
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = ends[i] - from;
        assert_true(len <= TG_CHUNK_MAX);
        assert_true(len >= TG_CHUNK_ANCHOR_MIN || i + 1 == n);
        from = ends[i];
    }
    assert_int_equal(from, sb.len);
    size_t average = sb.len / n;
    assert_true(average > TG_CHUNK_AVG / 4 && average < TG_CHUNK_AVG * 3);
    /* no bytes, a few bytes */
    assert_int_equal(tg_chunk_cuts("", 0, ends, 4), 0);
    assert_int_equal(tg_chunk_cuts("abc", 3, ends, 4), 1);
    assert_int_equal(ends[0], 3);
    free(ends);
    strbuf_free(&sb);
}

/* How many chunks of b are not chunks of a (by their bytes). */
static size_t new_chunks(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t *ea, *eb;
    size_t na = cuts_of(a, alen, &ea), nb = cuts_of(b, blen, &eb), fresh = 0;
    for (size_t j = 0, bfrom = 0; j < nb; bfrom = eb[j], j++) {
        bool found = false;
        for (size_t i = 0, afrom = 0; i < na && !found; afrom = ea[i], i++)
            found = ea[i] - afrom == eb[j] - bfrom && memcmp(a + afrom, b + bfrom, eb[j] - bfrom) == 0;
        fresh += !found;
    }
    free(ea);
    free(eb);
    return fresh;
}

static void test_an_insertion_moves_only_the_cuts_beside_it(void **state)
{
    (void)state;
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    random_text(&a, 100000);
    strbuf_append(&b, a.data, 50000);
    strbuf_puts(&b, "INSERTED TEXT");
    strbuf_append(&b, a.data + 50000, a.len - 50000);
    assert_true(new_chunks(a.data, a.len, b.data, b.len) <= 3);
    /* the same block after another prefix: only its first chunks differ */
    struct strbuf c = STRBUF_INIT;
    strbuf_puts(&c, "{\"unique_id\":\"another request\",\"cost\":0.25,\"tools\":");
    strbuf_append(&c, a.data + 20000, 60000);
    assert_true(new_chunks(a.data, a.len, c.data, c.len) <= 3);
    strbuf_free(&a);
    strbuf_free(&b);
    strbuf_free(&c);
}

static void test_chunk_refs_are_runs_and_damage_is_refused(void **state)
{
    (void)state;
    int64_t ids[] = {5, 6, 7, 8, 9, 100, 101, 3, 4, 1000000};
    unsigned char buf[TG_BODY_CHUNK_REFS_BOUND(10)];
    size_t n = tg_body_chunk_refs_encode(ids, 10, buf);
    assert_true(n <= 12); /* four runs, two or three bytes each */
    int64_t *back;
    assert_int_equal(tg_body_chunk_refs_decode(buf, n, 100, &back), 10);
    assert_memory_equal(back, ids, sizeof ids);
    free(back);
    assert_int_equal(tg_body_chunk_refs_decode(buf, n, 9, &back), -1); /* more than a body that size has */
    assert_null(back);
    assert_int_equal(tg_body_chunk_refs_decode(buf, n - 1, 100, &back), -1); /* cut short */
    const unsigned char zero_run[] = {2, 0}, below_one[] = {1, 1}, huge[] = {0xFE, 0xFF, 0xFF, 0xFF, 0xFF,
                                                                            0xFF, 0xFF, 0xFF, 0xFF, 0x01, 1};
    assert_int_equal(tg_body_chunk_refs_decode(zero_run, 2, 100, &back), -1);
    assert_int_equal(tg_body_chunk_refs_decode(below_one, 2, 100, &back), -1); /* id -1 */
    assert_int_equal(tg_body_chunk_refs_decode(huge, sizeof huge, 100, &back), -1);
    assert_int_equal(tg_body_chunk_refs_decode(buf, 0, 100, &back), 0);
}

/* A Claude-Code-like request: a tools block the same every time, a system
 * prompt of three blocks whose first carries a per-request hash, and the
 * conversation so far, each turn adding a tool result of a few KB. In the
 * `input` form the messages are a JSON string. */
static char *agent_request(int turn, bool input_form, const char *tools, const char *system, const char *results)
{
    struct strbuf sb = STRBUF_INIT, msgs = STRBUF_INIT;
    strbuf_printf(&msgs, "[{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":\"billing cch=%016llx;\"},"
                         "{\"type\":\"text\",\"text\":\"%s\"}]}",
                  (unsigned long long)next_random(), system);
    for (int t = 0; t < turn; t++)
        strbuf_printf(&msgs, ",{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"content\":\"%.*s\"}]}",
                      4000, results + t * 4000);
    strbuf_putc(&msgs, ']');
    strbuf_printf(&sb, "{\"unique_id\":\"req-%d-%d\",\"timestamp\":\"2026-11-01T10:%02d:00Z\",\"model\":\"m\","
                       "\"cost\":0.01,\"tools\":%s,",
                  turn, input_form, turn, tools);
    if (input_form) {
        strbuf_puts(&sb, "\"input\":\"");
        for (size_t i = 0; i < msgs.len; i++) {
            if (msgs.data[i] == '"' || msgs.data[i] == '\\')
                strbuf_putc(&sb, '\\');
            strbuf_putc(&sb, msgs.data[i]);
        }
        strbuf_puts(&sb, "\"}");
    } else {
        strbuf_printf(&sb, "\"prompt_messages\":%s}", msgs.data);
    }
    strbuf_free(&msgs);
    return strbuf_detach(&sb);
}


static void store_logs(struct tg_store *store, char **texts, int n)
{
    char err[256];
    assert_int_equal(tg_store_begin(store, err, sizeof err), 0);
    for (int i = 0; i < n; i++)
        store_fixture_add_text(store, texts[i]);
    assert_int_equal(tg_store_commit(store, err, sizeof err), 0);
}

static void assert_rebuilt(struct tg_store *store, char **texts, int n, int layout)
{
    char err[256];
    for (int i = 0; i < n; i++) {
        struct tg_log log;
        struct tg_log_error lerr;
        struct tg_log_parse_options opt = {0};
        assert_int_equal(tg_log_parse_text(texts[i], strlen(texts[i]), &opt, &log, &lerr), 0);
        char *raw;
        size_t len;
        assert_int_equal(tg_store_raw_log(store, log.log_id, &raw, &len, err, sizeof err), 0);
        assert_int_equal(len, strlen(texts[i]));
        assert_memory_equal(raw, texts[i], len);
        free(raw);
        tg_log_free(&log);
    }
    int64_t first = store_fixture_int(store, "SELECT min(request_id) FROM request_bodies");
    assert_int_equal(tg_store_body_layout(store, first), layout);
}

static void test_agent_requests_store_what_is_new_once(void **state)
{
    struct store_fixture *f = *state;
    enum { TURNS = 12 };
    struct strbuf tools = STRBUF_INIT, system = STRBUF_INIT, results = STRBUF_INIT;
    strbuf_putc(&tools, '[');
    for (int i = 0; i < 20; i++) {
        strbuf_printf(&tools, "%s{\"name\":\"Tool%d\",\"description\":\"", i ? "," : "", i);
        random_string(&tools, 2000);
        strbuf_puts(&tools, "\"}");
    }
    strbuf_putc(&tools, ']');
    random_string(&system, 20000);
    random_string(&results, 4000 * TURNS + 10);
    for (int form = 0; form < 2; form++) {
        char *texts[TURNS];
        size_t raw = 0;
        for (int t = 0; t < TURNS; t++) {
            texts[t] = agent_request(t, form, tools.data, system.data, results.data);
            raw += strlen(texts[t]);
        }
        int64_t before = store_fixture_int(f->store, "SELECT coalesce(sum(raw_len), 0) FROM chunk_packs");
        store_logs(f->store, texts, TURNS);
        assert_rebuilt(f->store, texts, TURNS, TG_BODY_CHUNKS);
        int64_t stored = store_fixture_int(f->store, "SELECT sum(raw_len) FROM chunk_packs") - before;
        /* new: the tools and system once (the first form only), each tool result once, and per request a
         * few chunks around what changes (id, header hash, the end of the conversation) */
        int64_t inherent = (form == 0 ? (int64_t)(tools.len + system.len) : 0) + 4000 * (TURNS - 1);
        if (stored > inherent + TURNS * 3 * TG_CHUNK_AVG)
            fail_msg("form %d: %zu bytes of logs stored %lld new bytes; %lld are new", form, raw, (long long)stored,
                     (long long)inherent);
        for (int t = 0; t < TURNS; t++)
            free(texts[t]);
    }
    strbuf_free(&tools);
    strbuf_free(&system);
    strbuf_free(&results);
}

/* A body as tollgate of schema 5-8 stored it: the skeleton compressed, each
 * message of at least TG_BODY_MIN_PIECE bytes a row of `messages`. */
static void store_in_message_layout(sqlite3 *db, struct tg_body_codec *codec, const char *text, int64_t ts)
{
    char err[256];
    size_t len = strlen(text), off[TG_BODY_MAX_PIECES], lens[TG_BODY_MAX_PIECES], at[TG_BODY_MAX_PIECES];
    int64_t ids[TG_BODY_MAX_PIECES];
    size_t n = tg_body_find_pieces(text, len, off, lens, TG_BODY_MAX_PIECES);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO requests(id, log_id, ts_ms, status_code, is_error, prompt_tokens,"
                                        " completion_tokens, total_tokens, cache_read_tokens,"
                                        " cache_creation_tokens, cost_nanos, cost_kind)"
                                        " VALUES((SELECT coalesce(max(id), 0) + 1 FROM requests), ?1, ?2,"
                                        " 200, 0, 0, 0, 0, 0, 0, 0, 0)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    struct tg_log log;
    struct tg_log_error lerr;
    struct tg_log_parse_options opt = {0};
    assert_int_equal(tg_log_parse_text(text, len, &opt, &log, &lerr), 0);
    sqlite3_bind_text(st, 1, log.log_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, ts);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    tg_log_free(&log);
    int64_t request_id = sqlite3_last_insert_rowid(db);
    struct strbuf skeleton = STRBUF_INIT;
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        strbuf_append(&skeleton, text + from, off[i] - from);
        at[i] = skeleton.len;
        from = off[i] + lens[i];
        void *z;
        size_t z_len;
        assert_int_equal(tg_body_compress(codec, text + off[i], lens[i], &z, &z_len, err, sizeof err), 0);
        unsigned char digest[TG_DIGEST_LEN];
        tg_body_digest(text + off[i], lens[i], digest);
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "INSERT INTO messages(digest, raw_len, first_request_id, zstd)"
                                            " VALUES(?1, ?2, ?3, ?4)",
                                            -1, &st, NULL),
                         SQLITE_OK);
        sqlite3_bind_blob(st, 1, digest, TG_DIGEST_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)lens[i]);
        sqlite3_bind_int64(st, 3, request_id);
        sqlite3_bind_blob(st, 4, z, (int)z_len, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_finalize(st);
        free(z);
        ids[i] = sqlite3_last_insert_rowid(db);
    }
    strbuf_append(&skeleton, text + from, len - from);
    unsigned char refs[TG_BODY_REFS_BOUND(TG_BODY_MAX_PIECES)];
    size_t refs_len = tg_body_refs_encode(at, ids, n, refs);
    void *z;
    size_t z_len;
    assert_int_equal(tg_body_compress(codec, skeleton.data ? skeleton.data : "", skeleton.len, &z, &z_len, err,
                                      sizeof err),
                     0);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO request_bodies(request_id, raw_zstd, raw_len, msg_refs)"
                                        " VALUES(?1, ?2, ?3, ?4)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(st, 1, request_id);
    sqlite3_bind_blob(st, 2, z, (int)z_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)skeleton.len);
    sqlite3_bind_blob(st, 4, refs, (int)refs_len, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    free(z);
    strbuf_free(&skeleton);
}

static void write_schema_8_bodies(const char *path, char **texts, int from, int to)
{
    char err[256];
    struct tg_store *old;
    assert_int_equal(tg_store_open_at_version(path, 8, &old, err, sizeof err), 0);
    sqlite3 *db = tg_store_sqlite(old);
    struct tg_body_codec *codec = tg_body_codec_new();
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    for (int i = from; i < to; i++)
        store_in_message_layout(db, codec, texts[i], 1793000000000 + i * 1000);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    tg_body_codec_free(codec);
    tg_store_close(old);
}

static void test_message_layout_is_read_then_migrated_resumably(void **state)
{
    struct store_fixture *f = *state;
    char err[256];
    tg_store_close(f->store);
    f->store = NULL;
    store_fixture_remove(f);
    assert_non_null(mkdtemp(strcpy(f->dir, "/tmp/tg-chunks-XXXXXX")));
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    enum { N = 16 };
    char *texts[N];
    struct strbuf results = STRBUF_INIT, tools = STRBUF_INIT, system = STRBUF_INIT;
    random_string(&results, 4000 * N + 10);
    random_string(&system, 3000);
    strbuf_puts(&tools, "[{\"name\":\"Read\"}]");
    for (int i = 0; i < N; i++)
        texts[i] = agent_request(i, false, tools.data, system.data, results.data);
    write_schema_8_bodies(f->path, texts, 0, N / 2);
    assert_int_equal(tg_store_open(f->path, 0, &f->store, err, sizeof err), 0); /* schema 8 -> 9 */
    assert_rebuilt(f->store, texts, N / 2, TG_BODY_MESSAGES);
    assert_int_equal(tg_prune_whole_bodies(f->store), N / 2);
    int64_t converted;
    assert_int_equal(tg_prune_migrate_bodies(f->store, NULL, NULL, &converted, err, sizeof err), 0);
    assert_int_equal(converted, N / 2);
    assert_rebuilt(f->store, texts, N / 2, TG_BODY_CHUNKS);
    assert_int_equal(store_fixture_int(f->store, "SELECT count(*) FROM messages"), 0); /* no body uses them now */
    /* stopped there: an older tollgate wrote more meanwhile; the next run
     * converts only those, and the first half stays as it was */
    int64_t packs = store_fixture_int(f->store, "SELECT count(*) FROM chunk_packs");
    tg_store_close(f->store);
    f->store = NULL;
    struct tg_store *old;
    assert_int_equal(tg_store_open_at_version(f->path, 10, &old, err, sizeof err), 0);
    tg_store_close(old);
    {
        struct tg_body_codec *codec = tg_body_codec_new();
        sqlite3 *db;
        assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
        for (int i = N / 2; i < N; i++)
            store_in_message_layout(db, codec, texts[i], 1793000000000 + i * 1000);
        assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        tg_body_codec_free(codec);
    }
    assert_int_equal(tg_store_open(f->path, 0, &f->store, err, sizeof err), 0);
    assert_int_equal(tg_prune_whole_bodies(f->store), N / 2);
    assert_int_equal(tg_prune_migrate_bodies(f->store, NULL, NULL, &converted, err, sizeof err), 0);
    assert_int_equal(converted, N / 2);
    assert_true(store_fixture_int(f->store, "SELECT count(*) FROM chunk_packs") > packs);
    assert_rebuilt(f->store, texts, N, TG_BODY_CHUNKS);
    for (int i = 0; i < N; i++)
        free(texts[i]);
    strbuf_free(&results);
    strbuf_free(&tools);
    strbuf_free(&system);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cuts_cover_the_bytes_within_bounds),
        cmocka_unit_test(test_an_insertion_moves_only_the_cuts_beside_it),
        cmocka_unit_test(test_chunk_refs_are_runs_and_damage_is_refused),
        cmocka_unit_test_setup_teardown(test_agent_requests_store_what_is_new_once, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_message_layout_is_read_then_migrated_resumably, store_fixture_setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests_name("chunks", tests, NULL, NULL);
}
