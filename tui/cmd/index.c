#include "cmd/index.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/sanitize.h"
#include "base/timeutil.h"
#include "query/requestlist.h"
#include "query/search.h"

static const char cmd_index_usage[] =
    "usage: tollgate index [--search TEXT [--limit N]] [--db PATH]\n"
    "\n"
    "Brings the full-text search index up to date now (the screens otherwise do it\n"
    "in the background), in transactions of 2,000 requests. Safe beside a running\n"
    "collector; stop it any time and it continues where it was.\n"
    "--search TEXT  then lists the requests whose prompt or response holds TEXT\n"
    "               (3 characters or more, any case), newest first, every one that\n"
    "               resends it, and marks the first request that held it.\n"
    "--limit N      lists at most N of them (default 50).\n";

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const struct option index_options[] = {CLI_COMMON_OPTIONS,
                                              {"search", required_argument, NULL, 's'},
                                              {"limit", required_argument, NULL, 'l'},
                                              {NULL, 0, NULL, 0}};

static int bring_up_to_date(struct tg_store *store, bool quiet, char *err, size_t errlen)
{
    long done = 0;
    double start = seconds();
    bool tty = !quiet && isatty(STDERR_FILENO);
    int n;
    while ((n = tg_search_index_more(store, 2000, err, errlen)) > 0) {
        done += n;
        if (tty) {
            int64_t indexed, total;
            tg_search_progress(store, &indexed, &total);
            fprintf(stderr, "\r\033[Kindex: %lld%%", total ? (long long)(indexed * 100 / total) : 100LL);
        }
    }
    if (tty && done)
        fputc('\n', stderr);
    if (n < 0)
        return -1;
    /* most of the index new and in many segments: into one (it rewrites all of it) */
    int64_t indexed, total;
    tg_search_progress(store, &indexed, &total);
    if (done > 0 && done * 2 >= total && tg_search_segments(store) > TG_SEARCH_SEGMENTS_OK &&
        tg_search_merge(store, err, errlen) != 0)
        return -1;
    double secs = seconds() - start;
    fprintf(quiet ? stderr : stdout, "index: %ld requests indexed in %.1f s (%.0f a second); up to date\n", done,
            secs, secs > 0 ? (double)done / secs : 0.0);
    return 0;
}

/* The requests found, newest first, through the Requests screen's own list. */
static int print_found(struct tg_store *store, const char *text, int limit, char *err, size_t errlen)
{
    static struct tg_request_filter f; /* large: kept off the stack */
    tg_filter_clear(&f);
    snprintf(f.text, sizeof f.text, "%s", text);
    char query[600];
    if (tg_search_query(text, query, sizeof query) != 0) {
        if (strlen(text) < 3)
            snprintf(err, errlen, "--search needs 3 characters or more");
        else /* its index form is too short: what the index leaves out, said, not a bare "too short" */
            snprintf(err, errlen, "--search: nothing in that text is indexed (fewer than 3 characters once spaces"
                                  " and JSON punctuation are dropped, or a base64 blob of 64+ characters, which"
                                  " the index leaves out)");
        return -1;
    }
    struct tg_request_list list = {store, TG_ORDER_TIME, 0, INT64_MAX, &f, false};
    tg_request_list_plan(&list);
    int64_t first = tg_request_list_first_found(&list);
    struct tg_request_row rows[100];
    int64_t value = INT64_MAX, row_id = INT64_MAX;
    int shown = 0;
    char shown_text[300];
    tg_sanitize(text, shown_text, sizeof shown_text);
    printf("requests holding \"%s\", newest first:\n", shown_text);
    while (shown < limit) {
        int want = limit - shown < 100 ? limit - shown : 100;
        int n = tg_request_list_page(&list, false, value, row_id, rows, want, err, errlen);
        if (n < 0)
            return -1;
        for (int i = 0; i < n; i++) {
            char when[40];
            tg_time_format_iso(rows[i].ts_ms, when, sizeof when);
            printf("%s  %s  %s  %s%s\n", when, rows[i].log_id, rows[i].developer, rows[i].model,
                   rows[i].row_id == first ? "  [first]" : "");
        }
        shown += n;
        if (n < want)
            break;
        value = rows[n - 1].ts_ms;
        row_id = rows[n - 1].row_id;
    }
    printf("%d shown\n", shown);
    return 0;
}

static int cmd_index(int argc, char **argv, struct cli_common *common)
{
    const char *search = NULL;
    int limit = 50, opt;
    while ((opt = getopt_long(argc, argv, "h", index_options, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg))
            continue;
        switch (opt) {
        case 'h': fputs(cmd_index_usage, stdout); return 0;
        case 's': search = optarg; break;
        case 'l':
            limit = atoi(optarg);
            if (limit <= 0)
                return cli_error(common, "--limit wants a number above 0, not '%s'", optarg);
            break;
        default: fputs(cmd_index_usage, stderr); return EXIT_FAILED;
        }
    }
    if (optind < argc) {
        fputs(cmd_index_usage, stderr);
        return EXIT_FAILED;
    }
    struct tg_store *store;
    int rc = cli_open_store(common, 0, &store);
    if (rc != 0)
        return rc;
    char err[512];
    rc = bring_up_to_date(store, search != NULL, err, sizeof err);
    if (rc == 0 && search)
        rc = print_found(store, search, limit, err, sizeof err);
    tg_store_close(store);
    return rc == 0 ? 0 : cli_error(common, "%s", err);
}

const struct command_entry cmd_index_entry = {"index", cmd_index, cmd_index_usage,
                                              "Bring the full-text search index up to date",
                                              {index_options}};
