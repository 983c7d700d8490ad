/* Times what the screens and `report` ask of a big db, in-process so only the
 * store's work is measured: a request's detail rebuilt from skeleton and
 * shared messages, pages of the request list by keyset (newest and deep in
 * history), the spend queries of the Overview, and the budgets' spend to date
 * and forecasts (every developer, key and model with a budget, a team, the org).
 * Usage: storebench DB [SAMPLES] [budgets|forecasts]   (prints one line per
 * measure; "budgets" times only those, "forecasts" them without key hygiene) */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops/budget.h"
#include "ops/keyhygiene.h"
#include "query/browse.h"
#include "query/document.h"
#include "query/requestlist.h"
#include "query/spend.h"
#include "store/store.h"
#include "base/timeutil.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* CPU time of this thread: on a machine shared with other work, what a call
 * costs apart from waiting for a core. */
static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
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
    printf("%-44s n=%-5d p50 %8.3f ms  p95 %8.3f ms  p99 %8.3f ms  max %8.3f ms\n", what, n, ms[n / 2],
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

static void bench_detail(struct tg_store *store, int samples)
{
    int64_t lo = scalar(store, "SELECT min(id) FROM requests"), hi = scalar(store, "SELECT max(id) FROM requests");
    double *raw_ms = malloc((size_t)samples * sizeof *raw_ms), *detail_ms = malloc((size_t)samples * sizeof *detail_ms);
    char err[256];
    size_t bytes = 0;
    int n = 0;
    srand(7);
    for (int i = 0; i < samples; i++) {
        int64_t id = lo + (int64_t)((double)rand() / RAND_MAX * (double)(hi - lo));
        char *raw, *log_id;
        size_t len;
        double t0 = now_ms();
        if (tg_browse_raw(store, id, &raw, &len, &log_id, err, sizeof err) != 0)
            continue;
        double t1 = now_ms();
        struct tg_doc *d;
        size_t focus;
        if (tg_browse_document(store, id, NULL, &d, &focus, err, sizeof err) != 0) {
            free(raw);
            free(log_id);
            continue;
        }
        double t2 = now_ms();
        raw_ms[n] = t1 - t0;
        detail_ms[n] = t2 - t1;
        bytes += len;
        n++;
        tg_doc_layout(d, 120, true);
        tg_doc_free(d);
        free(raw);
        free(log_id);
    }
    if (n > 0) {
        printf("random requests: %d, %.0f bytes of raw log on average\n", n, (double)bytes / n);
        print_stats("raw log rebuilt (exact bytes)", raw_ms, n);
        print_stats("detail screen built (rebuild, parse, document, layout)", detail_ms, n);
    }
    free(raw_ms);
    free(detail_ms);
}

/* A page of the Requests screen's list, newest first (its default order). */
static int list_page(struct tg_store *store, const struct tg_request_filter *filter, int64_t before_ts,
                     int64_t before_id, struct tg_request_row *rows, int limit, char *err, size_t errlen)
{
    struct tg_request_list list = {store, TG_ORDER_TIME, 0, INT64_MAX, filter, false};
    tg_request_list_plan(&list);
    return tg_request_list_page(&list, false, before_ts, before_id, rows, limit, err, errlen);
}

static void bench_paging(struct tg_store *store, int pages)
{
    struct tg_request_row rows[60];
    char err[256];
    double *ms = malloc((size_t)pages * sizeof *ms), *deep = malloc((size_t)pages * sizeof *deep);
    int64_t before_ts = INT64_MAX, before_id = INT64_MAX;
    int n = 0;
    for (int i = 0; i < pages; i++) {
        double t0 = now_ms();
        int got = list_page(store, NULL, before_ts, before_id, rows, 60, err, sizeof err);
        ms[n++] = now_ms() - t0;
        if (got <= 0)
            break;
        before_ts = rows[got - 1].ts_ms;
        before_id = rows[got - 1].row_id;
    }
    print_stats("request list page (60 rows), newest onwards", ms, n);
    int64_t lo = scalar(store, "SELECT min(ts_ms) FROM requests"), hi = scalar(store, "SELECT max(ts_ms) FROM requests");
    int m = 0;
    for (int i = 0; i < pages; i++) {
        int64_t at = lo + (int64_t)((double)rand() / RAND_MAX * (double)(hi - lo));
        double t0 = now_ms();
        list_page(store, NULL, at, INT64_MAX, rows, 60, err, sizeof err);
        deep[m++] = now_ms() - t0;
    }
    print_stats("request list page (60 rows), random depth", deep, m);
    struct tg_request_filter f;
    tg_filter_clear(&f);
    snprintf(f.developer, sizeof f.developer, "alice");
    m = 0;
    for (int i = 0; i < pages; i++) {
        double t0 = now_ms();
        list_page(store, &f, INT64_MAX, INT64_MAX, rows, 60, err, sizeof err);
        deep[m++] = now_ms() - t0;
    }
    print_stats("request list page, filtered dev:alice", deep, m);
    free(ms);
    free(deep);
}

static void bench_spend(struct tg_store *store, int runs)
{
    static const struct {
        const char *name;
        enum tg_spend_by by;
        int64_t window_ms;
    } queries[] = {
        {"spend by developer, 30 days", TG_BY_DEVELOPER, 30 * 86400000LL},
        {"spend by key, 30 days", TG_BY_KEY, 30 * 86400000LL},
        {"spend by model, 30 days", TG_BY_MODEL, 30 * 86400000LL},
        {"spend by hour, 24 hours (the chart)", TG_BY_HOUR, 86400000LL},
        {"spend by day, all time", TG_BY_DAY, 0},
        {"spend by developer, all time", TG_BY_DEVELOPER, 0},
    };
    int64_t newest = scalar(store, "SELECT max(ts_ms) FROM requests");
    double *ms = malloc((size_t)runs * sizeof *ms);
    char err[256];
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        struct tg_spend_filter f = {.since_ms = queries[q].window_ms ? newest - queries[q].window_ms + 1234567
                                                                     : TG_SPEND_OPEN,
                                    .until_ms = TG_SPEND_OPEN};
        for (int i = 0; i < runs; i++) {
            struct tg_spend_report r;
            double t0 = now_ms();
            if (tg_spend_query(store, queries[q].by, &f, 0, &r, err, sizeof err) == 0)
                tg_spend_report_free(&r);
            ms[i] = now_ms() - t0;
        }
        print_stats(queries[q].name, ms, runs);
    }
    free(ms);
}

/* Every developer, key and model of the db gets a monthly budget, plus a team
 * of the first half of the developers and the org: what `check`, the Budgets
 * screen and `budget list` compute, timed at the newest log. */
static void names_of(struct tg_store *store, const char *sql, char ***out, size_t *n)
{
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        *out = realloc(*out, (*n + 1) * sizeof **out);
        (*out)[(*n)++] = strdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
}

static void bench_budgets(struct tg_store *store, int runs, bool hygiene)
{
    char **devs, **keys, **models;
    size_t ndevs, nkeys, nmodels;
    names_of(store, "SELECT ident FROM developers", &devs, &ndevs);
    names_of(store, "SELECT coalesce(name, key_id, ident) FROM keys", &keys, &nkeys);
    names_of(store, "SELECT name FROM models", &models, &nmodels);
    struct tg_budget_config config = {.warn_pct = 80, .alert_pct = 100};
    size_t cap = ndevs + nkeys + nmodels + 2;
    config.budgets = calloc(cap, sizeof *config.budgets);
    config.budgets[config.count++] = (struct tg_budget){.scope = TG_BUDGET_ORG, .period = TG_BUDGET_PER_MONTH,
                                                        .amount = 5000 * TG_NANOS_PER_DOLLAR};
    struct tg_team team = {.name = (char *)"half", .members = devs, .count = ndevs / 2};
    config.teams = &team;
    config.nteams = 1;
    config.budgets[config.count++] = (struct tg_budget){.scope = TG_BUDGET_TEAM, .name = (char *)"half",
                                                        .period = TG_BUDGET_PER_MONTH, .amount = 2000 * TG_NANOS_PER_DOLLAR};
    struct { char **names; size_t n; enum tg_budget_scope scope; } sets[] = {
        {devs, ndevs, TG_BUDGET_DEVELOPER}, {keys, nkeys, TG_BUDGET_KEY}, {models, nmodels, TG_BUDGET_MODEL}};
    for (size_t s = 0; s < 3; s++) {
        for (size_t i = 0; i < sets[s].n; i++)
            config.budgets[config.count++] = (struct tg_budget){.scope = sets[s].scope, .name = sets[s].names[i],
                                                                .period = TG_BUDGET_PER_MONTH,
                                                                .amount = 200 * TG_NANOS_PER_DOLLAR};
    }
    int64_t now = scalar(store, "SELECT max(ts_ms) FROM requests");
    double *ms = malloc((size_t)runs * sizeof *ms), *cpu = malloc((size_t)runs * sizeof *cpu);
    char err[256], what[96];
    for (int i = 0; i < runs; i++) {
        struct tg_budget_statuses st;
        double t0 = now_ms(), c0 = cpu_ms();
        if (tg_budget_evaluate(store, &config, now, &st, err, sizeof err) == 0)
            tg_budget_statuses_free(&st);
        else
            fprintf(stderr, "storebench: %s\n", err);
        ms[i] = now_ms() - t0;
        cpu[i] = cpu_ms() - c0;
    }
    snprintf(what, sizeof what, "budgets + forecasts, %zu budgets", config.count);
    print_stats(what, ms, runs);
    snprintf(what, sizeof what, "  the same, CPU time");
    print_stats(what, cpu, runs);
    struct tg_budget_status *rows = calloc(ndevs ? ndevs : 1, sizeof *rows);
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms(), c0 = cpu_ms();
        tg_budget_rows(store, &config, TG_BUDGET_DEVELOPER, (const char *const *)devs, ndevs, now, rows, err,
                       sizeof err);
        ms[i] = now_ms() - t0;
        cpu[i] = cpu_ms() - c0;
    }
    snprintf(what, sizeof what, "report --budget rows, %zu developers", ndevs);
    print_stats(what, ms, runs);
    snprintf(what, sizeof what, "  the same, CPU time");
    print_stats(what, cpu, runs);
    for (int i = 0; hygiene && i < runs; i++) {
        struct tg_key_findings kf;
        double t0 = now_ms(), c0 = cpu_ms();
        if (tg_key_hygiene(store, now, TG_KEY_DORMANT_DAYS, &kf, err, sizeof err) == 0)
            tg_key_findings_free(&kf);
        ms[i] = now_ms() - t0;
        cpu[i] = cpu_ms() - c0;
    }
    snprintf(what, sizeof what, "key hygiene (check's keys), %zu keys", nkeys);
    if (hygiene) {
        print_stats(what, ms, runs);
        print_stats("  the same, CPU time", cpu, runs);
    }
    free(rows);
    free(ms);
    free(cpu);
    free(config.budgets);
    for (size_t i = 0; i < ndevs; i++) free(devs[i]);
    for (size_t i = 0; i < nkeys; i++) free(keys[i]);
    for (size_t i = 0; i < nmodels; i++) free(models[i]);
    free(devs), free(keys), free(models);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: storebench DB [SAMPLES]\n");
        return 2;
    }
    int samples = argc > 2 ? atoi(argv[2]) : 1000;
    struct tg_store *store;
    char err[512];
    if (tg_store_open(argv[1], TG_STORE_READ_ONLY | TG_STORE_SMALL_CACHE, &store, err, sizeof err) != 0) {
        fprintf(stderr, "storebench: %s\n", err);
        return 2;
    }
    printf("db %s: %lld requests\n", argv[1], (long long)tg_store_request_count(store));
    if (argc > 3 && (strcmp(argv[3], "budgets") == 0 || strcmp(argv[3], "forecasts") == 0)) {
        bench_budgets(store, 21, strcmp(argv[3], "budgets") == 0);
        tg_store_close(store);
        return 0;
    }
    bench_detail(store, samples);
    bench_paging(store, 50);
    bench_spend(store, 21);
    bench_budgets(store, 21, true);
    tg_store_close(store);
    return 0;
}
