/* Content-addressed bodies: the byte-for-byte round trip of every log in the
 * test corpus through content-defined chunks, sharing of repeated bytes,
 * migration of bodies stored whole, pruning, and search. (Chunking itself,
 * and the message layout of schema 5-8: test_chunks.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "log/body.h"
#include "query/browse.h"
#include "query/document.h"
#include "query/searchfind.h"
#include "ingest/demo.h"
#include "ingest/ingest.h"
#include "base/jsonsplit.h"
#include "log/logmodel.h"
#include "log/msgcache.h"
#include "ops/prune.h"
#include "query/search.h"
#include "query/searchfind.h"
#include "query/spend.h"
#include "store/store.h"
#include "store_fixture.h"

#define MAX_LOGS 4096
/* Messages shorter than TG_BODY_MIN_PIECE stay in the skeleton: test messages are made longer. */
#define LONG " and some more words so that the message is long enough to be stored apart from the log," \
             " as real messages of coding agents are: files, command output, explanations of a change" \
             " that run to several sentences, and a system prompt of a few kilobytes at the top."

struct fixture {
    struct store_fixture db;
    char *logs[MAX_LOGS]; /* every log stored, as its exact text */
    int nlogs;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || store_fixture_open(&f->db, "body") != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_fixture_close(&f->db);
    for (int i = 0; i < f->nlogs; i++)
        free(f->logs[i]);
    free(f);
    return 0;
}


static void keep(struct fixture *f, const char *text, size_t len)
{
    assert_true(f->nlogs < MAX_LOGS);
    f->logs[f->nlogs] = strndup(text, len);
    f->nlogs++;
}

static int keep_element(void *ctx, const char *text, size_t len, long index)
{
    (void)index;
    keep(ctx, text, len);
    return 0;
}

static int keep_demo(void *ctx, const char *json, size_t len)
{
    keep(ctx, json, len);
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    fseek(in, 0, SEEK_END);
    long n = ftell(in);
    fseek(in, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, in), (size_t)n);
    buf[n] = '\0';
    fclose(in);
    *len = (size_t)n;
    return buf;
}

/* The test corpus: every log of tests/data (lines, array elements, single
 * objects) and demo traffic, small and agent-sized, whole threads. */
static void collect_corpus(struct fixture *f)
{
    DIR *dir = opendir("tests/data");
    assert_non_null(dir);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[512];
        size_t len, at;
        snprintf(path, sizeof path, "tests/data/%s", e->d_name);
        char *text = read_file(path, &len);
        if (tg_json_split_array(text, len, keep_element, f, &at) != 0 && text[0] == '{' &&
            strstr(e->d_name, ".jsonl") == NULL) {
            keep(f, text, len);
        } else if (strstr(e->d_name, ".jsonl")) {
            for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
                keep(f, line, strlen(line));
        }
        free(text);
    }
    closedir(dir);
    char err[256];
    struct tg_demo_options small = {.requests = 1500, .seed = 3, .end_ms = 1795000000000, .days = 5};
    struct tg_demo_options large = {.requests = 400, .seed = 4, .end_ms = 1795000000000, .days = 5,
                                    .large_messages = 1};
    assert_int_equal(tg_demo_generate(&small, keep_demo, f, err, sizeof err), 0);
    assert_int_equal(tg_demo_generate(&large, keep_demo, f, err, sizeof err), 0);
}

/* Stores every log of the corpus that parses; returns how many did. */
static int store_corpus(struct fixture *f, char **ids)
{
    char err[256];
    int stored = 0;
    bool inserted;
    assert_int_equal(tg_store_begin(f->db.store, err, sizeof err), 0);
    for (int i = 0; i < f->nlogs; i++) {
        struct tg_log log;
        struct tg_log_error lerr;
        struct tg_log_parse_options opt = {.default_ts_ms = 1795000000000};
        ids[i] = NULL;
        if (tg_log_parse_text(f->logs[i], strlen(f->logs[i]), &opt, &log, &lerr) != 0)
            continue; /* the corpus holds bad logs on purpose */
        tg_pricing_price_log(NULL, &log);
        assert_int_equal(tg_store_add(f->db.store, &log, &inserted, err, sizeof err), 0);
        if (inserted) {
            ids[i] = strdup(log.log_id);
            stored++;
        }
        tg_log_free(&log);
    }
    assert_int_equal(tg_store_commit(f->db.store, err, sizeof err), 0);
    return stored;
}

static void assert_round_trips(struct fixture *f, char **ids)
{
    char err[256];
    for (int i = 0; i < f->nlogs; i++) {
        if (!ids[i])
            continue;
        char *raw;
        size_t len;
        assert_int_equal(tg_store_raw_log(f->db.store, ids[i], &raw, &len, err, sizeof err), 0);
        assert_int_equal(len, strlen(f->logs[i]));
        assert_memory_equal(raw, f->logs[i], len);
        free(raw);
    }
}

static void free_ids(char **ids, int n)
{
    for (int i = 0; i < n; i++)
        free(ids[i]);
}

static void test_every_log_of_the_corpus_round_trips(void **state)
{
    struct fixture *f = *state;
    collect_corpus(f);
    char **ids = calloc((size_t)f->nlogs, sizeof *ids);
    int stored = store_corpus(f, ids);
    assert_true(stored > 1900);
    assert_round_trips(f, ids);
    /* conversations are shared: far fewer bytes stored in chunks than logged */
    assert_int_equal(store_fixture_int(f->db.store, "SELECT count(*) FROM request_bodies WHERE chunk_refs IS NULL"), 0);
    assert_true(store_fixture_int(f->db.store, "SELECT sum(chunks) FROM chunk_packs") > 100);
    int64_t chunk_bytes = store_fixture_int(f->db.store, "SELECT sum(raw_len) FROM chunk_packs");
    int64_t log_bytes = 0;
    for (int i = 0; i < f->nlogs; i++)
        log_bytes += ids[i] ? (int64_t)strlen(f->logs[i]) : 0;
    if (chunk_bytes * 3 > log_bytes)
        fail_msg("%lld bytes of chunks for %lld of logs", (long long)chunk_bytes, (long long)log_bytes);
    free_ids(ids, f->nlogs);
    free(ids);
}

static bool starts(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

static void test_pieces_are_top_level_messages_only(void **state)
{
    (void)state;
    const char *log =
        "{ \"metadata\": {\"prompt_messages\": [{\"role\":\"user\",\"content\":\"inside metadata" LONG "\"}]},"
        " \"prompt_messages\" : [ {\"role\":\"system\",\"content\":\"a system prompt with a \\\"quote\\\" and ]}" LONG "\"} ,"
        "\"short\", {\"role\":\"user\",\"content\":\"hi\"},\n {\"role\":\"user\",\"content\":\"another message" LONG "\"} ],"
        " \"completion_message\": {\"role\":\"assistant\",\"content\":\"a reply" LONG "\"}}";
    size_t off[8], len[8];
    size_t n = tg_body_find_pieces(log, strlen(log), off, len, 8);
    assert_int_equal(n, 3);
    assert_true(starts(log + off[0], "{\"role\":\"system\""));
    assert_int_equal(log[off[0] + len[0] - 1], '}');
    assert_true(starts(log + off[1], "{\"role\":\"user\",\"content\":\"another"));
    assert_true(starts(log + off[2], "{\"role\":\"assistant\""));
    assert_int_equal(log[off[2] + len[2] - 1], '}');
    assert_int_equal(log[off[2] + len[2]], '}');
    /* not an object, or truncated: kept whole */
    assert_int_equal(tg_body_find_pieces("[1,2]", 5, off, len, 8), 0);
    const char *cut = "{\"prompt_messages\":[{\"role\":\"user\",\"content\":\"cut" LONG "\"}";
    assert_int_equal(tg_body_find_pieces(cut, strlen(cut), off, len, 8), 0);
}

static void test_refs_encode_and_reject_damage(void **state)
{
    (void)state;
    size_t at[3] = {5, 5, 900000}, at2[3];
    int64_t ids[3] = {1, 300, 1LL << 40}, ids2[3];
    unsigned char buf[TG_BODY_REFS_BOUND(3)];
    size_t n = tg_body_refs_encode(at, ids, 3, buf);
    assert_int_equal(tg_body_refs_decode(buf, n, at2, ids2, 3), 3);
    assert_memory_equal(at, at2, sizeof at);
    assert_memory_equal(ids, ids2, sizeof ids);
    assert_int_equal(tg_body_refs_decode(buf, n - 1, at2, ids2, 3), -1); /* cut short */
    assert_int_equal(tg_body_refs_decode(buf, n, at2, ids2, 2), -1);     /* more than room */
}

/* The one trainer of the store and the import: it keeps copies of the first
 * bodies until it has TG_BODY_TRAIN_SAMPLES, is ready then and not before,
 * trains once, and keeps nothing after (nor after it is stopped). */
static void test_trainer_samples_until_enough_then_trains_once(void **state)
{
    (void)state;
    struct tg_body_trainer t = {0};
    char body[512];
    for (unsigned i = 0; i < TG_BODY_TRAIN_SAMPLES + 5; i++) {
        assert_int_equal(tg_body_trainer_ready(&t), i >= TG_BODY_TRAIN_SAMPLES);
        int n = snprintf(body, sizeof body,
                         "{\"unique_id\":\"log-%u\",\"model\":\"m-%u\",\"prompt_tokens\":%u,"
                         "\"customer_identifier\":\"dev-%u\",\"status_code\":200}",
                         i, i % 7, i * 13, i % 11);
        tg_body_trainer_keep(&t, body, (size_t)n);
        body[0] = 'X'; /* the trainer kept its own copy */
    }
    assert_int_equal(t.count, TG_BODY_TRAIN_SAMPLES);
    assert_int_equal(t.bytes[0], '{');
    void *dict = NULL;
    size_t len = 0;
    assert_int_equal(tg_body_trainer_train(&t, &dict, &len), 0);
    assert_true(len > 0 && len <= TG_BODY_DICT_MAX_BYTES);
    free(dict);
    assert_false(tg_body_trainer_ready(&t));
    assert_null(t.bytes);
    tg_body_trainer_keep(&t, "{}", 2);
    assert_null(t.bytes);
    struct tg_body_trainer stopped = {0};
    tg_body_trainer_keep(&stopped, "{}", 2);
    tg_body_trainer_stop(&stopped);
    tg_body_trainer_keep(&stopped, "{}", 2);
    assert_false(tg_body_trainer_ready(&stopped));
    assert_null(stopped.bytes);
}

static void test_message_window_keeps_what_is_used(void **state)
{
    (void)state;
    struct tg_msgcache *c = tg_msgcache_new(100);
    unsigned char d[TG_DIGEST_LEN] = {0}, keep_me[TG_DIGEST_LEN] = {0xAB, 0xCD, 0xEF, 1, 2, 3, 4, 5, 6};
    tg_msgcache_put(c, keep_me, 7);
    for (int i = 1; i <= 1000; i++) {
        memcpy(d, &i, sizeof i);
        tg_msgcache_put(c, d, i + 1000);
        if (i % 50 == 0) /* used now and then: survives every retirement */
            assert_int_equal(tg_msgcache_get(c, keep_me), 7);
    }
    assert_int_equal(tg_msgcache_get(c, keep_me), 7);
    int first = 1;
    memcpy(d, &first, sizeof first);
    assert_int_equal(tg_msgcache_get(c, d), 0); /* long unused: gone */
    assert_true(tg_msgcache_count(c) <= 200);
    tg_msgcache_free(c);
}

/* A db written by tollgate with schema 4: bodies stored whole. */
static void write_version_4_db(struct fixture *f, char **texts, int n)
{
    char err[256];
    tg_store_close(f->db.store);
    f->db.store = NULL;
    struct tg_store *old;
    assert_int_equal(tg_store_open_at_version(f->db.path, 4, &old, err, sizeof err), 0);
    sqlite3 *db = tg_store_sqlite(old);
    struct tg_body_codec *codec = tg_body_codec_new();
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    for (int i = 0; i < n; i++) {
        struct tg_log log;
        struct tg_log_error lerr;
        struct tg_log_parse_options opt = {0};
        assert_int_equal(tg_log_parse_text(texts[i], strlen(texts[i]), &opt, &log, &lerr), 0);
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "INSERT INTO requests(log_id, ts_ms, status_code, is_error, prompt_tokens,"
                                            " completion_tokens, total_tokens, cache_read_tokens,"
                                            " cache_creation_tokens, cost_nanos, cost_kind)"
                                            " VALUES(?1, ?2, 200, 0, 0, 0, 0, 0, 0, 0, 0)",
                                            -1, &st, NULL),
                         SQLITE_OK);
        sqlite3_bind_text(st, 1, log.log_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, log.ts_ms);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_finalize(st);
        void *z;
        size_t z_len;
        assert_int_equal(tg_body_compress(codec, texts[i], strlen(texts[i]), &z, &z_len, err, sizeof err), 0);
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "INSERT INTO request_bodies(request_id, raw_zstd, raw_len)"
                                            " VALUES(last_insert_rowid(), ?1, ?2)",
                                            -1, &st, NULL),
                         SQLITE_OK);
        sqlite3_bind_blob(st, 1, z, (int)z_len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)strlen(texts[i]));
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_finalize(st);
        free(z);
        tg_log_free(&log);
    }
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    tg_body_codec_free(codec);
    tg_store_close(old);
}

static void test_migrates_whole_bodies_in_place(void **state)
{
    struct fixture *f = *state;
    char err[256];
    struct tg_demo_options large = {.requests = 300, .seed = 8, .end_ms = 1795000000000, .days = 3,
                                    .large_messages = 1};
    assert_int_equal(tg_demo_generate(&large, keep_demo, f, err, sizeof err), 0);
    write_version_4_db(f, f->logs, f->nlogs);
    assert_int_equal(tg_store_open(f->db.path, 0, &f->db.store, err, sizeof err), 0);
    assert_int_equal(tg_store_schema_version(f->db.store), TG_STORE_SCHEMA_VERSION);
    assert_int_equal(tg_prune_whole_bodies(f->db.store), 300);
    char **ids = calloc((size_t)f->nlogs, sizeof *ids);
    for (int i = 0; i < f->nlogs; i++) {
        struct tg_log log;
        struct tg_log_error lerr;
        struct tg_log_parse_options opt = {0};
        assert_int_equal(tg_log_parse_text(f->logs[i], strlen(f->logs[i]), &opt, &log, &lerr), 0);
        ids[i] = strdup(log.log_id);
        tg_log_free(&log);
    }
    assert_round_trips(f, ids); /* readable before the conversion */
    int64_t before = store_fixture_int(f->db.store, "SELECT sum(length(raw_zstd)) FROM request_bodies");
    int64_t converted;
    assert_int_equal(tg_prune_migrate_bodies(f->db.store, NULL, NULL, &converted, err, sizeof err), 0);
    assert_int_equal(converted, 300);
    assert_int_equal(tg_prune_whole_bodies(f->db.store), 0);
    assert_round_trips(f, ids);
    int64_t after = store_fixture_int(f->db.store, "SELECT sum(length(raw_zstd)) FROM request_bodies") +
                    store_fixture_int(f->db.store, "SELECT sum(length(zstd)) FROM chunk_packs");
    if (after * 2 >= before)
        fail_msg("converted bodies take %lld bytes, whole ones took %lld", (long long)after, (long long)before);
    /* a second run finds nothing to do */
    assert_int_equal(tg_prune_migrate_bodies(f->db.store, NULL, NULL, &converted, err, sizeof err), 0);
    assert_int_equal(converted, 0);
    free_ids(ids, f->nlogs);
    free(ids);
}

static tg_nanos total_spend(struct tg_store *store)
{
    struct tg_spend_filter all = {.since_ms = TG_SPEND_OPEN, .until_ms = TG_SPEND_OPEN};
    struct tg_spend_report r;
    char err[256];
    assert_int_equal(tg_spend_query(store, TG_BY_DEVELOPER, &all, 0, &r, err, sizeof err), 0);
    tg_nanos total = r.total.cost;
    tg_spend_report_free(&r);
    return total;
}

static void test_prune_keeps_rows_spend_and_what_is_still_used(void **state)
{
    struct fixture *f = *state;
    char err[256];
    struct tg_demo_options large = {.requests = 600, .seed = 5, .end_ms = 1795000000000, .days = 10,
                                    .large_messages = 1};
    assert_int_equal(tg_demo_generate(&large, keep_demo, f, err, sizeof err), 0);
    char **ids = calloc((size_t)f->nlogs, sizeof *ids);
    assert_int_equal(store_corpus(f, ids), 600);
    tg_nanos spend = total_spend(f->db.store);
    int64_t chunks = store_fixture_int(f->db.store, "SELECT sum(chunks) FROM chunk_packs");
    int64_t chunk_bytes = store_fixture_int(f->db.store, "SELECT sum(raw_len) FROM chunk_packs");
    int64_t cut = 1795000000000 - 5 * 86400000LL;
    int64_t old_rows = store_fixture_int(f->db.store, "SELECT count(*) FROM requests WHERE ts_ms < 1795000000000 - 5 * 86400000");
    assert_true(old_rows > 100 && old_rows < 500);

    struct tg_prune_options o = {.bodies_before_ms = cut, .dry_run = true};
    struct tg_prune_counts counts;
    assert_int_equal(tg_prune_run(f->db.store, &o, NULL, NULL, &counts, err, sizeof err), 0);
    assert_int_equal(counts.bodies, old_rows);
    assert_int_equal(store_fixture_int(f->db.store, "SELECT count(*) FROM request_bodies"), 600); /* dry run */

    o.dry_run = false;
    assert_int_equal(tg_prune_run(f->db.store, &o, NULL, NULL, &counts, err, sizeof err), 0);
    assert_int_equal(counts.bodies, old_rows);
    assert_true(counts.chunks > 0 && counts.chunks < chunks);
    /* packs hold many requests' chunks: the ones still used stay, the rest
     * of their bytes go (ids of dropped chunks stay, empty) */
    assert_true(store_fixture_int(f->db.store, "SELECT sum(raw_len) FROM chunk_packs") < chunk_bytes);
    assert_int_equal(store_fixture_int(f->db.store, "SELECT count(*) FROM requests"), 600);
    assert_int_equal(total_spend(f->db.store), spend);
    /* every body left still rebuilds exactly; pruned ones say so */
    for (int i = 0; i < f->nlogs; i++) {
        char *raw;
        size_t len;
        int rc = tg_store_raw_log(f->db.store, ids[i], &raw, &len, err, sizeof err);
        assert_true(rc == 0 || rc == 2);
        if (rc == 0) {
            assert_memory_equal(raw, f->logs[i], len);
            free(raw);
        } else {
            assert_string_equal(err, "body pruned");
        }
    }
    int64_t row = store_fixture_int(f->db.store, "SELECT min(id) FROM requests");
    struct tg_doc *d;
    size_t focus;
    assert_int_equal(tg_browse_document(f->db.store, row, NULL, &d, &focus, err, sizeof err), 0);
    struct strbuf shown = STRBUF_INIT;
    tg_doc_copy_all(d, &shown);
    assert_non_null(strstr(shown.data, "body pruned"));
    strbuf_free(&shown);
    tg_doc_free(d);

    /* whole requests: rows go, spend of whole hours stays in the rollups */
    struct tg_prune_options whole = {.requests_before_ms = cut};
    assert_int_equal(tg_prune_run(f->db.store, &whole, NULL, NULL, &counts, err, sizeof err), 0);
    assert_int_equal(counts.requests, old_rows);
    assert_int_equal(store_fixture_int(f->db.store, "SELECT count(*) FROM requests"), 600 - old_rows);
    assert_int_equal(store_fixture_int(f->db.store, "SELECT sum(cost_nanos) FROM rollup_hourly"), spend);
    free_ids(ids, f->nlogs);
    free(ids);
}

/* A second writer (the collector, say) remembers chunk ids; after a prune
 * elsewhere it must not refer to a chunk that is gone. */
static void test_other_writer_forgets_pruned_messages(void **state)
{
    struct fixture *f = *state;
    char err[256];
    struct tg_demo_options large = {.requests = 200, .seed = 6, .end_ms = 1795000000000, .days = 2,
                                    .large_messages = 1};
    assert_int_equal(tg_demo_generate(&large, keep_demo, f, err, sizeof err), 0);
    char **ids = calloc((size_t)f->nlogs, sizeof *ids);
    assert_int_equal(store_corpus(f, ids), 200);
    struct tg_store *other;
    assert_int_equal(tg_store_open(f->db.path, 0, &other, err, sizeof err), 0);
    assert_int_equal(tg_store_begin(other, err, sizeof err), 0); /* fills its window */
    tg_store_rollback(other);
    assert_int_equal(tg_store_begin(other, err, sizeof err), 0);
    tg_store_rollback(other);
    struct tg_prune_options o = {.bodies_before_ms = 1795000000000 + 1};
    struct tg_prune_counts counts;
    assert_int_equal(tg_prune_run(f->db.store, &o, NULL, NULL, &counts, err, sizeof err), 0);
    assert_int_equal(store_fixture_int(f->db.store, "SELECT count(*) FROM chunk_packs"), 0);
    /* the same conversation again, through the other writer, with new ids */
    char *again = strdup(f->logs[f->nlogs - 1]);
    char *id = strstr(again, "\"unique_id\":\"");
    assert_non_null(id);
    id[13] = id[13] == 'f' ? 'e' : 'f';
    struct tg_log log;
    struct tg_log_error lerr;
    struct tg_log_parse_options opt = {0};
    assert_int_equal(tg_log_parse_text(again, strlen(again), &opt, &log, &lerr), 0);
    tg_pricing_price_log(NULL, &log);
    bool inserted;
    assert_int_equal(tg_store_begin(other, err, sizeof err), 0);
    assert_int_equal(tg_store_add(other, &log, &inserted, err, sizeof err), 0);
    assert_int_equal(tg_store_commit(other, err, sizeof err), 0);
    char *raw;
    size_t len;
    assert_int_equal(tg_store_raw_log(f->db.store, log.log_id, &raw, &len, err, sizeof err), 0);
    assert_memory_equal(raw, again, len);
    free(raw);
    tg_log_free(&log);
    free(again);
    tg_store_close(other);
    free_ids(ids, f->nlogs);
    free(ids);
}

/* How many requests a search finds (every one that holds the words). */
static int64_t match_count(struct tg_store *store, const char *words)
{
    int64_t ids[16], first;
    char err[256];
    long n = tg_search_newest(store, words, ids, 16, &first, err, sizeof err);
    assert_true(n >= 0);
    return n;
}

/* A conversation is indexed where each chunk of it first appeared, found in
 * every request that holds it, and prune takes out exactly what was indexed. */
static void test_search_indexes_each_message_once_and_prune_forgets_it(void **state)
{
    struct fixture *f = *state;
    const char *sys = "{\"role\":\"system\",\"content\":\"You are a careful coding agent" LONG "\"}";
    const char *ask = "{\"role\":\"user\",\"content\":\"Please look at zebraquartz in the parser" LONG "\"}";
    const char *reply = "{\"role\":\"assistant\",\"content\":\"Found it: alphaomega was reused" LONG "\"}";
    const char *ask2 = "{\"role\":\"user\",\"content\":\"Now add a test named newtonwalrus" LONG "\"}";
    char a[4096], b[4096];
    snprintf(a, sizeof a,
             "{\"unique_id\":\"turn-1\",\"timestamp\":\"2026-10-01T10:00:00Z\",\"model\":\"m\",\"cost\":0.1,"
             "\"prompt_messages\":[%s,%s],\"completion_message\":%s}", sys, ask, reply);
    snprintf(b, sizeof b,
             "{\"unique_id\":\"turn-2\",\"timestamp\":\"2026-11-01T10:00:00Z\",\"model\":\"m\",\"cost\":0.1,"
             "\"prompt_messages\":[%s,%s,%s,%s],\"completion_message\":{\"role\":\"assistant\",\"content\":\"ok\"}}",
             sys, ask, reply, ask2);
    keep(f, a, strlen(a));
    keep(f, b, strlen(b));
    char *ids[2];
    assert_int_equal(store_corpus(f, ids), 2);
    char err[256];
    assert_int_equal(tg_search_index_more(f->db.store, 100, err, sizeof err), 2);
    assert_int_equal(match_count(f->db.store, "zebraquartz"), 2); /* indexed once, found in both */
    assert_int_equal(match_count(f->db.store, "alphaomega"), 2);
    assert_int_equal(match_count(f->db.store, "newtonwalrus"), 1);
    struct tg_prune_options o = {.bodies_before_ms = 1793000000000}; /* 2026-10-26: turn 1 goes */
    struct tg_prune_counts counts;
    assert_int_equal(tg_prune_run(f->db.store, &o, NULL, NULL, &counts, err, sizeof err), 0);
    assert_int_equal(counts.bodies, 1);
    /* turn 2 uses nearly all of them: not turn 1's head (its id) and ending,
     * which share a pack with the rest and are dropped from it */
    assert_true(counts.chunks > 0 && counts.chunks <= 3);
    assert_int_equal(match_count(f->db.store, "zebraquartz"), 1); /* turn 2 resent it */
    assert_int_equal(match_count(f->db.store, "alphaomega"), 1);
    assert_int_equal(match_count(f->db.store, "newtonwalrus"), 1);
    assert_int_equal(sqlite3_exec(tg_store_sqlite(f->db.store),
                                  "INSERT INTO search_text(search_text) VALUES('integrity-check')", NULL, NULL, NULL),
                     SQLITE_OK);
    char *raw;
    size_t len;
    assert_int_equal(tg_store_raw_log(f->db.store, "turn-2", &raw, &len, err, sizeof err), 0);
    assert_memory_equal(raw, b, len);
    free(raw);
    free_ids(ids, 2);
}

/* A parsing thread skips compressing chunks it sent before; when the store
 * does not have them after all (that batch was rejected, say), it compresses
 * them itself and the log still rebuilds exactly. */
static void test_store_compresses_what_a_thread_thought_it_had_sent(void **state)
{
    struct fixture *f = *state;
    char err[256];
    struct tg_demo_options large = {.requests = 60, .seed = 12, .end_ms = 1795000000000, .days = 1,
                                    .large_messages = 1};
    assert_int_equal(tg_demo_generate(&large, keep_demo, f, err, sizeof err), 0);
    struct tg_body_codec *codec = tg_body_codec_new();
    struct tg_msgcache *sent = tg_msgcache_new(1024);
    size_t skipped = 0;
    for (int round = 0; round < 2; round++) {
        assert_int_equal(tg_store_begin(f->db.store, err, sizeof err), 0);
        for (int i = 0; i < f->nlogs; i++) {
            struct tg_log log;
            struct tg_log_error lerr;
            struct tg_log_parse_options opt = {0};
            assert_int_equal(tg_log_parse_text(f->logs[i], strlen(f->logs[i]), &opt, &log, &lerr), 0);
            tg_pricing_price_log(NULL, &log);
            assert_int_equal(tg_body_prepare(codec, sent, true, log.raw, log.raw_len, &log.body, err, sizeof err), 0);
            for (size_t k = 0; k < log.body->count; k++)
                skipped += !log.body->chunks[k].in_pack;
            bool inserted;
            assert_int_equal(tg_store_add(f->db.store, &log, &inserted, err, sizeof err), 0);
            tg_log_free(&log);
        }
        if (round == 0)
            tg_store_rollback(f->db.store); /* the first time, nothing is kept */
        else
            assert_int_equal(tg_store_commit(f->db.store, err, sizeof err), 0);
    }
    assert_true(skipped > 100);
    for (int i = 0; i < f->nlogs; i++) {
        struct tg_log log;
        struct tg_log_error lerr;
        struct tg_log_parse_options opt = {0};
        assert_int_equal(tg_log_parse_text(f->logs[i], strlen(f->logs[i]), &opt, &log, &lerr), 0);
        char *raw;
        size_t len;
        assert_int_equal(tg_store_raw_log(f->db.store, log.log_id, &raw, &len, err, sizeof err), 0);
        assert_int_equal(len, strlen(f->logs[i]));
        assert_memory_equal(raw, f->logs[i], len);
        free(raw);
        tg_log_free(&log);
    }
    tg_msgcache_free(sent);
    tg_body_codec_free(codec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_log_of_the_corpus_round_trips, setup, teardown),
        cmocka_unit_test(test_pieces_are_top_level_messages_only),
        cmocka_unit_test(test_refs_encode_and_reject_damage),
        cmocka_unit_test(test_message_window_keeps_what_is_used),
        cmocka_unit_test(test_trainer_samples_until_enough_then_trains_once),
        cmocka_unit_test_setup_teardown(test_migrates_whole_bodies_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_keeps_rows_spend_and_what_is_still_used, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_writer_forgets_pruned_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_indexes_each_message_once_and_prune_forgets_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_compresses_what_a_thread_thought_it_had_sent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
