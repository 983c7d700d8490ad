/* Times the Threads view's list (query/threadlist.h) on an existing db, both
 * ways, alternating: grouping the window's requests (what every window did
 * before the per-thread rollup) and the rollup's walk, for windows ending at
 * the db's newest request. Checks that both give the same rows.
 *   build/bench/threadsbench DB [ROUNDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "query/threadlist.h"
#include "store/store.h"

#define LIMIT 500

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static struct tg_thread_row grouped[LIMIT], walked[LIMIT];

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: threadsbench DB [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    char err[512];
    struct tg_store *store;
    if (tg_store_open(argv[1], TG_STORE_READ_ONLY, &store, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    sqlite3_stmt *st;
    sqlite3_prepare_v2(tg_store_sqlite(store), "SELECT max(ts_ms) + 1 FROM requests", -1, &st, NULL);
    sqlite3_step(st);
    int64_t until = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    static const struct { const char *name; int64_t hours; } windows[] = {
        {"1h", 1}, {"24h", 24}, {"7d", 168}, {"30d", 720}, {"all", -1}};
    printf("%-5s %14s %14s %6s\n", "window", "grouped ms", "rollup ms", "path");
    for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
        int64_t since = windows[w].hours < 0 ? 0 : until - windows[w].hours * 3600000LL;
        double g[16], r[16];
        char path = '?';
        int ng = 0, nr = 0;
        for (int i = 0; i < rounds && i < 16; i++) {
            tg_threads_set_group_below(INT32_MAX);
            double t0 = now_ms();
            ng = tg_threads_by_cost(store, since, until, grouped, LIMIT, err, sizeof err);
            g[i] = now_ms() - t0;
            tg_threads_set_group_below(-1);
            t0 = now_ms();
            nr = tg_threads_by_cost(store, since, until, walked, LIMIT, err, sizeof err);
            r[i] = now_ms() - t0;
            path = tg_threads_last_path();
        }
        if (ng != nr || ng < 0 || memcmp(grouped, walked, sizeof grouped[0] * (size_t)(ng < 0 ? 0 : ng)) != 0) {
            fprintf(stderr, "%s: the two ways differ (%d rows, %d rows)\n", windows[w].name, ng, nr);
            return 1;
        }
        qsort(g, (size_t)rounds, sizeof g[0], cmp_double);
        qsort(r, (size_t)rounds, sizeof r[0], cmp_double);
        printf("%-5s %14.1f %14.1f %6c   (%d threads; medians of %d)\n", windows[w].name, g[rounds / 2],
               r[rounds / 2], path, ng, rounds);
    }
    tg_store_close(store);
    return 0;
}
