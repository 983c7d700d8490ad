#include "cmd/index.h"

#include <getopt.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "query/search.h"

static const char cmd_index_usage[] =
    "usage: tollgate index [--db PATH]\n"
    "\n"
    "Brings the full-text search index up to date now (the screens otherwise do it\n"
    "in the background), in transactions of 2,000 requests. Safe beside a running\n"
    "collector; stop it any time and it continues where it was.\n";

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmd_index(int argc, char **argv, struct cli_common *common)
{
    struct tg_store *store;
    int rc = cli_common_options_then_open(argc, argv, common, cmd_index_usage, &store);
    if (rc >= 0)
        return rc;
    char err[512];
    long done = 0;
    double start = seconds();
    bool tty = isatty(STDERR_FILENO);
    int n;
    while ((n = tg_search_index_more(store, 2000, err, sizeof err)) > 0) {
        done += n;
        if (tty) {
            int64_t indexed, total;
            tg_search_progress(store, &indexed, &total);
            fprintf(stderr, "\r\033[Kindex: %lld%%", total ? (long long)(indexed * 100 / total) : 100LL);
        }
    }
    if (tty && done)
        fputc('\n', stderr);
    tg_store_close(store);
    if (n < 0)
        return cli_error(common, "%s", err);
    double secs = seconds() - start;
    printf("index: %ld requests indexed in %.1f s (%.0f a second); up to date\n", done, secs,
           secs > 0 ? (double)done / secs : 0.0);
    return 0;
}

const struct command_entry cmd_index_entry = {"index", cmd_index, cmd_index_usage,
                                              "Bring the full-text search index up to date",
                                              {cli_common_only_options}};
