/* The import pipeline on agent-sized logs: the body dictionary is trained on
 * the first 4 MB of lines (not 16 MB) while the other parser goes on, and
 * every body, compressed before or after the dictionary was published, reads
 * back byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/ingest.h"
#include "store/store.h"

#define NLOGS 320
#define TEXT_BYTES 24000 /* ~24 KB a log: 7.7 MB in all, below the store's 16 MB */

struct fixture {
    char dir[64], db[128], input[128];
    char *lines[NLOGS];
};

static const char *const words[] = {"alpha", "beta",  "gamma", "delta", "return", "static", "int",
                                    "const", "while", "for",   "if",    "struct", "void",   "char",
                                    "size",  "len",   "buf",   "next",  "err",    "ctx"};

/* Code-like text: varied enough that each log brings new chunks. */
static void fill_text(char *out, size_t len, unsigned *seed)
{
    size_t n = 0;
    while (n + 8 < len) {
        *seed = *seed * 1103515245u + 12345u;
        const char *w = words[(*seed >> 16) % (sizeof words / sizeof words[0])];
        size_t wl = strlen(w);
        if (n + wl + 2 >= len)
            break;
        memcpy(out + n, w, wl);
        n += wl;
        out[n++] = (*seed >> 8) % 7 == 0 ? ';' : ' ';
    }
    out[n] = '\0';
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/tg-pipeline-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
    snprintf(f->input, sizeof f->input, "%s/in.jsonl", f->dir);
    FILE *out = fopen(f->input, "w");
    char *text = malloc(TEXT_BYTES);
    if (!out || !text)
        return -1;
    unsigned seed = 7;
    for (int i = 0; i < NLOGS; i++) {
        fill_text(text, TEXT_BYTES, &seed);
        size_t cap = TEXT_BYTES + 512;
        f->lines[i] = malloc(cap);
        snprintf(f->lines[i], cap,
                 "{\"unique_id\":\"pipe-%05d\",\"timestamp\":\"2026-11-01T%02d:%02d:00Z\",\"model\":\"gpt-4o\","
                 "\"customer_identifier\":\"dev%d\",\"prompt_tokens\":%d,\"completion_tokens\":5,\"cost\":0.001,"
                 "\"prompt_messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
                 i, (i / 60) % 24, i % 60, i % 3, 100 + i, text);
        fputs(f->lines[i], out);
        fputc('\n', out);
    }
    free(text);
    fclose(out);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        return -1;
    for (int i = 0; i < NLOGS; i++)
        free(f->lines[i]);
    free(f);
    return 0;
}

static int64_t count_rows(struct tg_store *store, const char *sql)
{
    sqlite3_stmt *st;
    sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

static void import_all(struct fixture *f, struct tg_store **store_out, struct tg_ingest_counts *counts)
{
    char err[256];
    struct tg_store *store;
    assert_int_equal(tg_store_open(f->db, TG_STORE_BULK, &store, err, sizeof err), 0);
    struct tg_ingest *ingest = tg_ingest_new(store, NULL, NULL, NULL, NULL);
    FILE *in = fopen(f->input, "r");
    assert_non_null(in);
    assert_int_equal(tg_ingest_stream(ingest, in, err, sizeof err), 0);
    assert_int_equal(tg_ingest_finish(ingest, err, sizeof err), 0);
    fclose(in);
    *counts = tg_ingest_counts(ingest);
    tg_ingest_free(ingest);
    *store_out = store;
}

static void test_big_logs_train_early_and_round_trip(void **state)
{
    struct fixture *f = *state;
    struct tg_store *store;
    struct tg_ingest_counts counts;
    import_all(f, &store, &counts);
    assert_int_equal(counts.imported, NLOGS);
    assert_int_equal(counts.rejected, 0);
    /* 7.7 MB of lines: trained on the first 4 MB (the store's 16 MB would
     * never have been reached) */
    assert_int_equal(count_rows(store, "SELECT count(*) FROM body_dicts"), 1);
    assert_true(count_rows(store, "SELECT count(*) FROM chunk_packs WHERE dict_id IS NOT NULL") > 0);
    assert_true(count_rows(store, "SELECT count(*) FROM chunk_packs WHERE dict_id IS NULL") > 0);
    for (int i = 0; i < NLOGS; i++) {
        char log_id[32], *raw, err[256];
        size_t len;
        snprintf(log_id, sizeof log_id, "pipe-%05d", i);
        assert_int_equal(tg_store_raw_log(store, log_id, &raw, &len, err, sizeof err), 0);
        assert_int_equal(len, strlen(f->lines[i]) + 1);
        assert_memory_equal(raw, f->lines[i], strlen(f->lines[i]));
        free(raw);
    }
    tg_store_close(store);
}

static void test_second_import_counts_duplicates_only(void **state)
{
    struct fixture *f = *state;
    struct tg_store *store;
    struct tg_ingest_counts counts;
    import_all(f, &store, &counts);
    tg_store_close(store);
    import_all(f, &store, &counts);
    assert_int_equal(counts.imported, 0);
    assert_int_equal(counts.duplicates, NLOGS);
    assert_int_equal(tg_store_request_count(store), NLOGS);
    assert_int_equal(count_rows(store, "SELECT count(*) FROM body_dicts"), 1);
    tg_store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_big_logs_train_early_and_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_import_counts_duplicates_only, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
