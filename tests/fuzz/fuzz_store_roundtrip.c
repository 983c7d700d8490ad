/* libFuzzer target: the exact round trip through the store, across requests.
 * The input, split at 0xFF bytes into up to eight parts, becomes a thread of
 * logs resent turn by turn as agents do: log k carries parts 0..k as its
 * messages (each part repeated 1-8 times, by the first byte, so chunks of a
 * few KB recur within a log too). The logs are imported (tg_ingest_stream,
 * as `tollgate import`) into one store that lives for many inputs, so their
 * chunks are shared with each other, with earlier inputs' and, once enough
 * logs are in, compressed against the trained dictionary; then each log is
 * read back by id and must be its line's exact bytes. abort() on a difference
 * or a log that is not there is a finding. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "ingest/ingest.h"
#include "log/pricing.h"
#include "store/store.h"

#define RESET_EVERY 2048
#define MAX_PARTS 8

static char dir[64], db_path[128];
static struct tg_pricing *pricing;
static struct tg_store *store;
static unsigned inputs;
static unsigned long serial;

static void remove_db(void)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-writers"};
    char path[160];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(path, sizeof path, "%s%s", db_path, suffix[i]);
        unlink(path);
    }
}

static void fresh_store(void)
{
    char err[256];
    tg_store_close(store);
    remove_db();
    if (tg_store_open(db_path, 0, &store, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_store_roundtrip: cannot open %s: %s\n", db_path, err);
        abort();
    }
}

static void clean_up(void)
{
    tg_store_close(store);
    store = NULL;
    remove_db();
    rmdir(dir);
    tg_pricing_free(pricing);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256];
    snprintf(dir, sizeof dir, "%s", access("/dev/shm", W_OK) == 0 ? "/dev/shm/tg-fuzzrt-XXXXXX" : "/tmp/tg-fuzzrt-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(db_path, sizeof db_path, "%s/rt.db", dir);
    pricing = tg_pricing_new();
    if (!pricing || tg_pricing_merge_builtin(pricing, err, sizeof err) != 0)
        abort();
    fresh_store();
    atexit(clean_up);
    return 0;
}

/* Any bytes as the text of a JSON string: what is not printable ASCII, or is
 * a quote or backslash, escaped; NUL as \u0001 (a log with \u0000 in a string
 * is refused, on purpose). */
static void put_string(struct strbuf *b, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i] ? p[i] : 1;
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            strbuf_append(b, (const char *)&c, 1);
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            strbuf_append(b, esc, sizeof esc);
        }
    }
}

static void on_reject(void *ctx, long where, const struct tg_log_error *error)
{
    (void)ctx;
    fprintf(stderr, "fuzz_store_roundtrip: line %ld refused: %s\n", where, error->message);
    abort(); /* every line here is a well-formed log with a fresh id */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (++inputs % RESET_EVERY == 0)
        fresh_store();
    unsigned repeat = 1 + (data[0] & 7);
    const uint8_t *part[MAX_PARTS];
    size_t part_len[MAX_PARTS], parts = 0, at = 1;
    while (parts < MAX_PARTS && at <= size) {
        const uint8_t *end = memchr(data + at, 0xFF, size - at);
        size_t n = end ? (size_t)(end - (data + at)) : size - at;
        part[parts] = data + at;
        part_len[parts++] = n;
        at += n + 1;
    }
    struct strbuf lines = STRBUF_INIT;
    size_t line_start[MAX_PARTS + 1];
    char ids[MAX_PARTS][48];
    for (size_t k = 0; k < parts; k++) {
        snprintf(ids[k], sizeof ids[k], "rt-%lu-%zu", serial, k);
        line_start[k] = lines.len;
        strbuf_printf(&lines,
                          "{\"unique_id\":\"%s\",\"timestamp\":\"2026-11-20T10:%02zu:00Z\",\"model\":\"gpt-4o\","
                          "\"customer_identifier\":\"dev\",\"cost\":0.001,\"prompt_messages\":[",
                          ids[k], k);
        for (size_t m = 0; m <= k; m++) {
            strbuf_printf(&lines, "%s{\"role\":\"%s\",\"content\":\"", m ? "," : "", m % 2 ? "assistant" : "user");
            for (unsigned r = 0; r < repeat; r++)
                put_string(&lines, part[m], part_len[m]);
            strbuf_append(&lines, "\"}", 2);
        }
        strbuf_append(&lines, "]}\n", 3);
    }
    line_start[parts] = lines.len;
    serial++;
    if (lines.failed)
        abort();
    FILE *in = fmemopen(lines.data, lines.len, "r");
    if (!in)
        abort();
    struct tg_ingest_options options = {0};
    struct tg_ingest *ingest = tg_ingest_new(store, pricing, &options, on_reject, NULL);
    char err[512] = "";
    if (!ingest || tg_ingest_stream(ingest, in, err, sizeof err) != 0 || tg_ingest_finish(ingest, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_store_roundtrip: import failed: %s\n", err);
        abort();
    }
    tg_ingest_free(ingest);
    fclose(in);
    for (size_t k = 0; k < parts; k++) {
        char *raw;
        size_t len, want = line_start[k + 1] - line_start[k];
        if (tg_store_raw_log(store, ids[k], &raw, &len, err, sizeof err) != 0) {
            fprintf(stderr, "fuzz_store_roundtrip: %s not read back: %s\n", ids[k], err);
            abort();
        }
        if (len != want || memcmp(raw, lines.data + line_start[k], len) != 0) {
            fprintf(stderr, "fuzz_store_roundtrip: %s came back as %zu bytes, not its %zu\n", ids[k], len, want);
            abort();
        }
        free(raw);
    }
    strbuf_free(&lines);
    return 0;
}
