/* Times a request's raw log rebuilt from its chunks (tg_store_raw_request,
 * what the detail view and `tollgate` detail path start from) over random
 * requests of a db, in-process, with the wall time and this thread's CPU time
 * apart (on a shared machine the gap is waiting for a core); or writes every
 * body out, in request order, one a line, to compare with the imported file.
 * Usage: bodycheck DB [SAMPLES] [--min-bytes N]    time random requests
 *        bodycheck DB --dump                        every body, to stdout */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"

static double clock_ms(clockid_t which)
{
    struct timespec t;
    clock_gettime(which, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void print_stats(const char *what, double *ms, int n)
{
    qsort(ms, (size_t)n, sizeof *ms, cmp_double);
    printf("%-26s n=%-5d p50 %7.3f ms  p95 %7.3f ms  p99 %7.3f ms  max %7.3f ms\n", what, n, ms[n / 2],
           ms[n * 95 / 100], ms[n * 99 / 100], ms[n - 1]);
}

static int64_t scalar(struct tg_store *store, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int dump(struct tg_store *store)
{
    int64_t hi = scalar(store, "SELECT max(id) FROM requests");
    char err[256];
    for (int64_t id = 1; id <= hi; id++) {
        char *raw;
        size_t len;
        int rc = tg_store_raw_request(store, id, &raw, &len, err, sizeof err);
        if (rc == 1)
            continue;
        if (rc != 0) {
            fprintf(stderr, "request %lld: %s\n", (long long)id, err);
            return 1;
        }
        fwrite(raw, 1, len, stdout);
        if (len == 0 || raw[len - 1] != '\n')
            putchar('\n');
        free(raw);
    }
    return 0;
}

static int timed(struct tg_store *store, int samples, size_t min_bytes)
{
    int64_t lo = scalar(store, "SELECT min(id) FROM requests"), hi = scalar(store, "SELECT max(id) FROM requests");
    double *wall = malloc((size_t)samples * sizeof *wall), *cpu = malloc((size_t)samples * sizeof *cpu);
    if (!wall || !cpu || hi < lo)
        return 1;
    char err[256];
    size_t bytes = 0;
    int n = 0, tries = 0;
    srand(7);
    while (n < samples && tries++ < samples * 100) {
        int64_t id = lo + (int64_t)((double)rand() / RAND_MAX * (double)(hi - lo));
        char *raw;
        size_t len;
        double w0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
        if (tg_store_raw_request(store, id, &raw, &len, err, sizeof err) != 0)
            continue;
        double c1 = clock_ms(CLOCK_THREAD_CPUTIME_ID), w1 = clock_ms(CLOCK_MONOTONIC);
        free(raw);
        if (len < min_bytes)
            continue;
        wall[n] = w1 - w0;
        cpu[n] = c1 - c0;
        bytes += len;
        n++;
    }
    if (n == 0)
        return 1;
    printf("random requests: %d of %lld, %.0f bytes of raw log on average\n", n, (long long)(hi - lo + 1),
           (double)bytes / n);
    print_stats("raw log rebuilt (wall)", wall, n);
    print_stats("raw log rebuilt (cpu)", cpu, n);
    free(wall);
    free(cpu);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bodycheck DB [SAMPLES] [--min-bytes N] | DB --dump\n");
        return 2;
    }
    bool dumping = argc > 2 && strcmp(argv[2], "--dump") == 0;
    int samples = argc > 2 && !dumping ? atoi(argv[2]) : 1000;
    size_t min_bytes = argc > 4 && strcmp(argv[3], "--min-bytes") == 0 ? (size_t)atol(argv[4]) : 0;
    struct tg_store *store;
    char err[256];
    if (tg_store_open(argv[1], TG_STORE_READ_ONLY | TG_STORE_SMALL_CACHE, &store, err, sizeof err) != 0) {
        fprintf(stderr, "bodycheck: %s\n", err);
        return 1;
    }
    int rc = dumping ? dump(store) : timed(store, samples > 0 ? samples : 1000, min_bytes);
    tg_store_close(store);
    return rc;
}
