#include "cmd/prune.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ops/prune.h"
#include "base/timeutil.h"
#include "base/format.h"

const char cmd_prune_usage[] =
    "usage: tollgate prune [--bodies-older-than AGE] [--older-than AGE] [--dry-run] [--vacuum] [--db PATH]\n"
    "\n"
    "Drops what a retention policy no longer keeps. AGE is a duration (30d, 12w,\n"
    "1y) or a date (2026-01-01).\n"
    "--bodies-older-than AGE  drops the prompts and responses of older requests;\n"
    "                         their rows stay, so spend, counts and lists are\n"
    "                         unchanged and the screens show \"body pruned\".\n"
    "--older-than AGE         drops older requests whole. Their spend stays in the\n"
    "                         hourly rollups, so reports of whole hours still add up.\n"
    "Then it drops the shared messages no remaining body uses. It commits in\n"
    "batches: stop it any time and run it again. --dry-run only counts.\n"
    "SQLite reuses the freed pages for new logs; the file itself shrinks only with\n"
    "--vacuum (which rewrites the db: it needs as much free disk as the db takes\n"
    "and blocks other writers while it runs).\n";

const char cmd_migrate_usage[] =
    "usage: tollgate migrate [--db PATH]\n"
    "\n"
    "Converts the bodies an older tollgate stored whole into the current layout:\n"
    "each log's skeleton plus its messages, each distinct message stored once.\n"
    "In transactions of 1,000 bodies, safe beside a running collector; stop it any\n"
    "time and it continues where it was. The db is usable throughout.\n";

struct progress_state {
    bool tty;
};

static void show_progress(void *ctx, const char *what, int64_t done, int64_t total)
{
    struct progress_state *p = ctx;
    if (!p->tty)
        return;
    if (total > 0)
        fprintf(stderr, "\r\033[K%s: %lld of %lld (%lld%%)", what, (long long)done, (long long)total,
                (long long)(done * 100 / total));
    else
        fprintf(stderr, "\r\033[K%s: %lld", what, (long long)done);
}

static int parse_age(const struct cli_common *common, const char *flag, const char *text, int64_t *ms)
{
    if (tg_time_parse_arg(text, tg_now_ms(), ms) != 0 || *ms <= 0)
        return cli_error(common, "%s: '%s' is not an age (30d, 12w, 1y) or a date (2026-01-01)", flag, text);
    return 0;
}

static int db_bytes(struct tg_store *store, int64_t *file, int64_t *free_bytes)
{
    sqlite3_stmt *st;
    *file = *free_bytes = 0;
    if (sqlite3_prepare_v2(tg_store_sqlite(store),
                           "SELECT page_count * page_size, freelist_count * page_size"
                           " FROM pragma_page_count, pragma_freelist_count, pragma_page_size",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *file = sqlite3_column_int64(st, 0);
        *free_bytes = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return 0;
}

static void print_counts(const struct tg_prune_counts *c, bool dry_run)
{
    char bodies[32], requests[32], messages[32];
    tg_format_count(c->bodies, bodies, sizeof bodies);
    tg_format_count(c->requests, requests, sizeof requests);
    tg_format_count(c->messages, messages, sizeof messages);
    if (dry_run)
        printf("prune (dry run): would drop %s bodies and %s requests, then the messages only they used\n", bodies,
               requests);
    else
        printf("prune: dropped %s bodies, %s requests and %s messages no body used any more\n", bodies, requests,
               messages);
}

static int vacuum(struct tg_store *store, const struct cli_common *common)
{
    if (sqlite3_exec(tg_store_sqlite(store), "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
        return cli_error(common, "vacuum: %s", sqlite3_errmsg(tg_store_sqlite(store)));
    return 0;
}

int cmd_prune(int argc, char **argv, struct cli_common *common)
{
    static const struct option options[] = {CLI_COMMON_OPTIONS,
                                            {"bodies-older-than", required_argument, NULL, 'b'},
                                            {"older-than", required_argument, NULL, 'o'},
                                            {"dry-run", no_argument, NULL, 'n'},
                                            {"vacuum", no_argument, NULL, 'V'},
                                            {NULL, 0, NULL, 0}};
    struct tg_prune_options o = {0};
    bool do_vacuum = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
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
    struct progress_state progress = {.tty = isatty(STDERR_FILENO)};
    struct tg_prune_counts counts = {0};
    char err[512];
    if ((o.bodies_before_ms || o.requests_before_ms) &&
        tg_retention_prune(store, &o, show_progress, &progress, &counts, err, sizeof err) != 0) {
        if (progress.tty)
            fputc('\n', stderr);
        tg_store_close(store);
        return cli_error(common, "%s (what was committed before stays pruned; run it again to go on)", err);
    }
    if (progress.tty)
        fputs("\r\033[K", stderr);
    if (o.bodies_before_ms || o.requests_before_ms)
        print_counts(&counts, o.dry_run);
    if (do_vacuum && !o.dry_run && (rc = vacuum(store, common)) != 0) {
        tg_store_close(store);
        return rc;
    }
    int64_t file, free_bytes;
    if (db_bytes(store, &file, &free_bytes) == 0)
        printf("db: %.1f MB, of which %.1f MB free for reuse%s\n", (double)file / 1e6, (double)free_bytes / 1e6,
               free_bytes > 0 && !do_vacuum ? " (--vacuum gives it back to the disk)" : "");
    tg_store_close(store);
    return 0;
}

int cmd_migrate(int argc, char **argv, struct cli_common *common)
{
    int parsed = cli_common_options_only(argc, argv, common, cmd_migrate_usage);
    if (parsed >= 0)
        return parsed;
    struct tg_store *store;
    int rc = cli_open_store(common, 0, &store);
    if (rc != 0)
        return rc;
    struct progress_state progress = {.tty = isatty(STDERR_FILENO)};
    int64_t converted = 0;
    char err[512];
    rc = tg_retention_migrate_bodies(store, show_progress, &progress, &converted, err, sizeof err);
    if (progress.tty && converted)
        fputc('\n', stderr);
    int64_t file, free_bytes;
    if (rc == 0 && db_bytes(store, &file, &free_bytes) != 0)
        file = free_bytes = 0;
    tg_store_close(store);
    if (rc != 0)
        return cli_error(common, "%s (%lld bodies converted before that stay converted; run it again to go on)", err,
                         (long long)converted);
    char n[32];
    tg_format_count(converted, n, sizeof n);
    printf("migrate: %s bodies converted; every body is in the current layout\n", n);
    printf("db: %.1f MB, of which %.1f MB free for reuse%s\n", (double)file / 1e6, (double)free_bytes / 1e6,
           free_bytes > 0 ? " (`tollgate prune --vacuum` gives it back to the disk)" : "");
    return 0;
}
