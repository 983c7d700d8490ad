#include "cmd/prune.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ops/prune.h"
#include "base/timeutil.h"
#include "base/format.h"

static const char cmd_prune_usage[] =
    "usage: tollgate prune [--bodies-older-than AGE] [--older-than AGE] [--dry-run] [--vacuum] [--db PATH]\n"
    "\n"
    "Drops what a retention policy no longer keeps. AGE is a duration (30d, 12w,\n"
    "1y) or a date (2026-01-01).\n"
    "--bodies-older-than AGE  drops the prompts and responses of older requests;\n"
    "                         their rows stay, so spend, counts and lists are\n"
    "                         unchanged and the screens show \"body pruned\".\n"
    "--older-than AGE         drops older requests whole. Their spend stays in the\n"
    "                         hourly rollups, so reports of whole hours still add up.\n"
    "Then it drops the shared chunks no remaining body uses. It commits in\n"
    "batches: stop it any time and run it again. --dry-run only counts.\n"
    "SQLite reuses the freed pages for new logs; the file itself shrinks only with\n"
    "--vacuum (which rewrites the db: it needs as much free disk as the db takes\n"
    "and blocks other writers while it runs).\n";

static int parse_age(const struct cli_common *common, const char *flag, const char *text, int64_t *ms)
{
    if (tg_time_parse_arg(text, tg_now_ms(), ms) != 0 || *ms <= 0)
        return cli_error(common, "%s: '%s' is not an age (30d, 12w, 1y) or a date (2026-01-01)", flag, text);
    return 0;
}

static void print_counts(const struct tg_prune_counts *c, bool dry_run)
{
    char bodies[32], requests[32], chunks[32];
    tg_format_count(c->bodies, bodies, sizeof bodies);
    tg_format_count(c->requests, requests, sizeof requests);
    tg_format_count(c->chunks + c->messages, chunks, sizeof chunks); /* messages: the older layout's chunks */
    if (dry_run)
        printf("prune (dry run): would drop %s bodies and %s requests, then the chunks only they used\n", bodies,
               requests);
    else
        printf("prune: dropped %s bodies, %s requests and %s chunks no body used any more\n", bodies, requests,
               chunks);
}

static const struct option prune_options[] = {CLI_COMMON_OPTIONS,
                                              {"bodies-older-than", required_argument, NULL, 'b'},
                                              {"older-than", required_argument, NULL, 'o'},
                                              {"dry-run", no_argument, NULL, 'n'},
                                              {"vacuum", no_argument, NULL, 'V'},
                                              {NULL, 0, NULL, 0}};

static int cmd_prune(int argc, char **argv, struct cli_common *common)
{
    struct tg_prune_options o = {0};
    bool do_vacuum = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", prune_options, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg))
            continue;
        switch (opt) {
        case 'h': fputs(cmd_prune_usage, stdout); return 0;
        case 'b': if (parse_age(common, "--bodies-older-than", optarg, &o.bodies_before_ms)) return EXIT_FAILED; break;
        case 'o': if (parse_age(common, "--older-than", optarg, &o.requests_before_ms)) return EXIT_FAILED; break;
        case 'n': o.dry_run = true; break;
        case 'V': do_vacuum = true; break;
        default: fputs(cmd_prune_usage, stderr); return EXIT_FAILED;
        }
    }
    if (optind < argc || (!o.bodies_before_ms && !o.requests_before_ms && !do_vacuum)) {
        fputs(cmd_prune_usage, stderr);
        return EXIT_FAILED;
    }
    struct tg_store *store;
    int rc = cli_open_store(common, 0, &store);
    if (rc != 0)
        return rc;
    struct cli_progress progress = {.tty = isatty(STDERR_FILENO)};
    struct tg_prune_counts counts = {0};
    char err[512];
    if ((o.bodies_before_ms || o.requests_before_ms) &&
        tg_prune_run(store, &o, cli_show_progress, &progress, &counts, err, sizeof err) != 0) {
        if (progress.tty)
            fputc('\n', stderr);
        tg_store_close(store);
        return cli_error(common, "%s (what was committed before stays pruned; run it again to go on)", err);
    }
    if (progress.tty)
        fputs("\r\033[K", stderr);
    if (o.bodies_before_ms || o.requests_before_ms)
        print_counts(&counts, o.dry_run);
    if (do_vacuum && !o.dry_run && tg_prune_vacuum(store, err, sizeof err) != 0) {
        tg_store_close(store);
        return cli_error(common, "%s", err);
    }
    struct tg_db_size size;
    if (tg_prune_db_size(store, &size, err, sizeof err) == 0)
        printf("db: %.1f MB, of which %.1f MB free for reuse%s\n", (double)size.file_bytes / 1e6,
               (double)size.free_bytes / 1e6,
               size.free_bytes > 0 && !do_vacuum ? " (--vacuum gives it back to the disk)" : "");
    tg_store_close(store);
    return 0;
}

const struct command_entry cmd_prune_entry = {"prune", cmd_prune, cmd_prune_usage,
                                              "Drop bodies or requests past a retention age",
                                              {prune_options}};
