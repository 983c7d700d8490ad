/* Ingest through the threaded JSON Lines path: order of rejections, exact line
 * numbers, body dictionaries, byte-for-byte round trips, duplicates, strictness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/demo.h"
#include "ingest/ingest.h"
#include "store/store.h"

#define NLOGS 6000

struct fixture {
    char dir[64], db[128], input[128];
    char *lines[NLOGS + 16]; /* what was written, line by line (1-based) */
    int nlines;
    long rejected_lines[16];
    int nrejected;
};

struct writer {
    FILE *out;
    struct fixture *f;
};

static void add_line(struct fixture *f, FILE *out, const char *text)
{
    fputs(text, out);
    fputc('\n', out);
    f->lines[++f->nlines] = strdup(text);
}

/* Demo logs, with bad lines and blank lines at known places. */
static int to_file(void *ctx, const char *json, size_t len)
{
    struct writer *w = ctx;
    (void)len;
    int next = w->f->nlines + 1;
    if (next == 2 || next == 3000 || next == 5000)
        add_line(w->f, w->out, "{\"unique_id\":\"bad\",\"timestamp\":\"2026-11-01\",\"prompt_tokens\":-1}");
    if (next == 4000)
        add_line(w->f, w->out, "   ");
    if (next == 4500)
        add_line(w->f, w->out, "{\"unique_id\":\"cut\",\"timesta");
    add_line(w->f, w->out, json);
    return 0;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/tg-ingest-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
    snprintf(f->input, sizeof f->input, "%s/in.jsonl", f->dir);
    struct writer w = {fopen(f->input, "w"), f};
    struct tg_demo_options opt = {.requests = NLOGS, .seed = 5, .end_ms = 1795478400000LL, .days = 7,
                                  .max_context_messages = 4};
    char err[256];
    if (!w.out || tg_demo_generate(&opt, to_file, &w, err, sizeof err) != 0)
        return -1;
    fclose(w.out);
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
    for (int i = 1; i <= f->nlines; i++)
        free(f->lines[i]);
    free(f);
    return 0;
}

static void on_reject(void *ctx, long where, const struct tg_log_error *error)
{
    struct fixture *f = ctx;
    (void)error;
    if (f->nrejected < 16)
        f->rejected_lines[f->nrejected] = where;
    f->nrejected++;
}

static int import_file(struct fixture *f, bool strict, struct tg_ingest_counts *counts, struct tg_store **store_out)
{
    char err[256];
    struct tg_store *store;
    assert_int_equal(tg_store_open(f->db, 0, &store, err, sizeof err), 0);
    struct tg_ingest_options opt = {.strict = strict, .batch_size = 1000};
    struct tg_ingest *ingest = tg_ingest_new(store, NULL, &opt, on_reject, f);
    FILE *in = fopen(f->input, "r");
    int rc = tg_ingest_stream(ingest, in, err, sizeof err);
    if (rc == 0)
        rc = tg_ingest_finish(ingest, err, sizeof err);
    fclose(in);
    *counts = tg_ingest_counts(ingest);
    tg_ingest_free(ingest);
    *store_out = store;
    return rc;
}

static int64_t count_rows(struct tg_store *store, const char *sql)
{
    sqlite3_stmt *st;
    sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

static void test_rejections_in_order_with_exact_lines(void **state)
{
    struct fixture *f = *state;
    struct tg_ingest_counts counts;
    struct tg_store *store;
    assert_int_equal(import_file(f, false, &counts, &store), 0);
    assert_int_equal(counts.imported, NLOGS);
    assert_int_equal(counts.rejected, 4);
    assert_int_equal(f->nrejected, 4);
    long want[] = {2, 3000, 4500, 5000}; /* where to_file put them */
    for (int i = 0; i < 4; i++) {
        if (strstr(f->lines[want[i]], "unique_id\":\"bad") == NULL && strstr(f->lines[want[i]], "\"cut\"") == NULL)
            fail_msg("line %ld is not a bad line: %.60s", want[i], f->lines[want[i]]);
        assert_int_equal(f->rejected_lines[i], want[i]);
    }
    assert_int_equal(tg_store_request_count(store), NLOGS);
    tg_store_close(store);
}

/* Every stored body decompresses to exactly the line that was imported. */
static void test_round_trip_with_trained_dictionary(void **state)
{
    struct fixture *f = *state;
    struct tg_ingest_counts counts;
    struct tg_store *store;
    assert_int_equal(import_file(f, false, &counts, &store), 0);
    assert_int_equal(count_rows(store, "SELECT count(*) FROM body_dicts"), 1);
    /* the first lines are stored before the dictionary exists; the rest use it */
    int64_t with_dict = count_rows(store, "SELECT count(*) FROM chunk_packs WHERE dict_id IS NOT NULL");
    int64_t packs = count_rows(store, "SELECT count(*) FROM chunk_packs");
    assert_true(with_dict > packs / 2 && with_dict < packs);
    int checked = 0;
    for (int i = 1; i <= f->nlines; i++) {
        const char *line = f->lines[i];
        const char *id = strstr(line, "\"unique_id\":\"");
        if (!id || strstr(line, "\"bad\"") || strstr(line, "\"cut\""))
            continue;
        char log_id[64];
        snprintf(log_id, sizeof log_id, "%.36s", id + 13);
        char *raw, err[256];
        size_t len;
        assert_int_equal(tg_store_raw_log(store, log_id, &raw, &len, err, sizeof err), 0);
        /* the stored text is the line as given, newline included */
        assert_int_equal(len, strlen(line) + 1);
        assert_memory_equal(raw, line, strlen(line));
        free(raw);
        checked++;
    }
    assert_int_equal(checked, NLOGS);
    tg_store_close(store);
}

static void test_reimport_is_all_duplicates_and_keeps_the_dictionary(void **state)
{
    struct fixture *f = *state;
    struct tg_ingest_counts counts;
    struct tg_store *store;
    assert_int_equal(import_file(f, false, &counts, &store), 0);
    tg_store_close(store);
    f->nrejected = 0;
    assert_int_equal(import_file(f, false, &counts, &store), 0);
    assert_int_equal(counts.imported, 0);
    assert_int_equal(counts.duplicates, NLOGS);
    assert_int_equal(tg_store_request_count(store), NLOGS);
    assert_int_equal(count_rows(store, "SELECT count(*) FROM body_dicts"), 1);
    assert_int_equal(count_rows(store, "SELECT sum(requests) FROM rollup_hourly"), NLOGS);
    tg_store_close(store);
}

static void test_strict_keeps_nothing(void **state)
{
    struct fixture *f = *state;
    struct tg_ingest_counts counts;
    struct tg_store *store;
    assert_int_equal(import_file(f, true, &counts, &store), -1);
    assert_int_equal(counts.imported, 0);
    assert_int_equal(tg_store_request_count(store), 0);
    assert_int_equal(count_rows(store, "SELECT count(*) FROM body_dicts"), 0);
    assert_int_equal(count_rows(store, "SELECT count(*) FROM rollup_hourly"), 0);
    tg_store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rejections_in_order_with_exact_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_with_trained_dictionary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reimport_is_all_duplicates_and_keeps_the_dictionary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strict_keeps_nothing, setup, teardown),
    };
    return cmocka_run_group_tests_name("ingest", tests, NULL, NULL);
}
