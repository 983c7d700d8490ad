#include "cmd/sync.h"

#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/sanitize.h"
#include "ops/sync.h"
#include "ops/sync_litellm.h"
#include "base/timeutil.h"

static const char cmd_sync_usage[] =
    "usage: tollgate sync [--gateway respan|litellm] [--since T] [--follow SECONDS]\n"
    "                     [--page-size N] [--max-pages N] [--cacert FILE] [--redact]\n"
    "                     [--litellm-developer FIELD] [--db PATH] [--pricing FILE]\n"
    "\n"
    "Pulls request logs from the gateway's log-list API (Respan / Keywords AI, or a\n"
    "LiteLLM proxy's /spend/logs/v2) into the db, page by page. Each page commits with the position it reached, so an\n"
    "interrupted sync resumes where it stopped; logs already stored (pushed to the\n"
    "collector or imported) count as duplicates. The next run starts 10 minutes\n"
    "before the position, so logs the gateway records late are not missed.\n"
    "\n"
    "RESPAN_API_KEY      the API key (never printed whole)\n"
    "RESPAN_BASE_URL     default https://api.respan.ai/api/\n"
    "--gateway NAME      respan (default, or the config file's gateway) or litellm, with\n"
    "                    LITELLM_BASE_URL and LITELLM_MASTER_KEY\n"
    "--since T           start here instead (24h, 7d, 2026-11-01, ...); the first\n"
    "                    sync starts 30 days back\n"
    "--follow SECONDS    keep polling every SECONDS until SIGINT / SIGTERM\n"
    "--page-size N       logs per page (default 50; most 50 on Respan, 100 on LiteLLM)\n"
    "--litellm-developer FIELD  who a LiteLLM log's developer is: user (the key's\n"
    "                    user_id, else its e-mail, else the end user; default), email,\n"
    "                    end_user or team (as for `collect`, so both agree)\n"
    "--max-pages N       pages one run may take (default 20000); past it the run stops\n"
    "                    with an error and the next one continues. A gateway paging in\n"
    "                    a loop (a page or a next link seen before in the run) stops it too\n"
    "--cacert FILE       CA bundle for a gateway behind a private CA\n"
    "--redact            mask secrets found in the logs (API keys, AWS keys, GitHub\n"
    "                    tokens, private keys, Bearer / Authorization values) before storing\n"
    "429, 5xx, timeouts and dropped connections are retried with backoff (honouring\n"
    "Retry-After); 401 / 403 stop at once. The position never passes the time the\n"
    "run began; logs dated more than 5 minutes after it are stored, and named in a\n"
    "warning.\n"
    "\n"
    "Exit status: 0 done, 1 some logs rejected, 2 failed.\n";

/* lock-free, so the signal handler may store to it */
static atomic_int stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop_requested, 1);
}

struct progress {
    bool tty;
    int64_t started_ms;
};

static void on_page(void *ctx, const struct tg_sync_stats *s)
{
    struct progress *p = ctx;
    if (!p->tty)
        return;
    double secs = (double)(tg_now_ms() - p->started_ms) / 1000.0;
    fprintf(stderr, "\r\033[Ksync: page %ld, %ld logs (%ld new), %.0f logs/s", s->pages, s->received, s->stored,
            secs > 0 ? (double)s->received / secs : 0.0);
}

static void on_reject(void *ctx, const char *log_id, const struct tg_log_error *error)
{
    (void)ctx;
    char id[128], msg[1100];
    tg_sanitize(log_id, id, sizeof id);
    tg_sanitize(error->message, msg, sizeof msg);
    fprintf(stderr, "\nsync: rejected log %s: %s\n", id, msg);
}

static void on_retry(void *ctx, int attempt, long wait_ms, const char *why)
{
    (void)ctx;
    fprintf(stderr, "sync: %s; retry %d in %.1f s\n", why, attempt, (double)wait_ms / 1000.0);
}

struct sync_args {
    int64_t since_ms;
    long follow_s;
    int page_size;
    long max_pages;
    const char *cacert;
    bool redact;
    const char *gateway;
    enum tg_litellm_developer developer;
};

static const struct option sync_options[] = {
    CLI_COMMON_OPTIONS,
    {"since", required_argument, NULL, 's'},
    {"follow", required_argument, NULL, 'f'},
    {"page-size", required_argument, NULL, 'n'},
    {"max-pages", required_argument, NULL, 'm'},
    {"cacert", required_argument, NULL, 'c'},
    {"redact", no_argument, NULL, 'r'},
    {"gateway", required_argument, NULL, 'g'},
    {"litellm-developer", required_argument, NULL, 'L'},
    {NULL, 0, NULL, 0},
};

static int parse_args(int argc, char **argv, struct cli_common *common, struct sync_args *a)
{
    int opt;
    while ((opt = getopt_long(argc, argv, "h", sync_options, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg))
            continue;
        switch (opt) {
        case 'h': fputs(cmd_sync_usage, stdout); return -1;
        case 's':
            if (tg_time_parse_arg(optarg, tg_now_ms(), &a->since_ms) != 0)
                return cli_error(common, "--since: '%s' is not a time (try 24h, 7d or 2026-11-01)", optarg);
            break;
        case 'f':
            if ((a->follow_s = cli_parse_count(optarg)) < 0)
                return cli_error(common, "--follow wants a number of seconds, not '%s'", optarg);
            break;
        case 'n': {
            long n = cli_parse_count(optarg);
            if (n < 1 || n > 100)
                return cli_error(common, "--page-size must be 1 to 50 (100 on LiteLLM), not '%s'", optarg);
            a->page_size = (int)n;
            break;
        }
        case 'm':
            if ((a->max_pages = cli_parse_count(optarg)) < 1 || a->max_pages > 100000000)
                return cli_error(common, "--max-pages must be 1 to 100000000, not '%s'", optarg);
            break;
        case 'c': a->cacert = optarg; break;
        case 'r': a->redact = true; break;
        case 'g':
            if (strcmp(optarg, "respan") != 0 && strcmp(optarg, "litellm") != 0)
                return cli_error(common, "--gateway must be respan or litellm, not '%s'", optarg);
            a->gateway = optarg;
            break;
        case 'L':
            if (tg_litellm_developer_parse(optarg, &a->developer) != 0)
                return cli_error(common, "--litellm-developer: '%s' is not user, email, end_user or team", optarg);
            break;
        default: fputs(cmd_sync_usage, stderr); return EXIT_FAILED;
        }
    }
    if (optind < argc)
        return cli_error(common, "unexpected argument '%s'", argv[optind]);
    return 0;
}

struct round_printer {
    const struct cli_common *common;
    struct progress progress;
};

static void on_round(void *ctx, const struct tg_sync_stats *round, const struct tg_gateway_error *gerr)
{
    struct round_printer *p = ctx;
    if (p->progress.tty && round->pages)
        fputc('\n', stderr);
    if (gerr) {
        char msg[600];
        tg_sanitize(gerr->message, msg, sizeof msg);
        cli_error(p->common, "%s", msg);
    }
}

static int run(struct cli_common *common, const struct sync_args *a, struct tg_gateway *gw, struct tg_store *store,
               struct tg_pricing *pricing)
{
    bool litellm = strcmp(gw->ops->name, "litellm") == 0;
    char source[600];
    if (litellm)
        tg_sync_litellm_source(gw, source, sizeof source);
    else
        tg_sync_source(gw, source, sizeof source);
    tg_store_set_activity_source(store, litellm ? TG_ACTIVITY_SYNC_LITELLM : TG_ACTIVITY_SYNC_RESPAN);
    struct round_printer printer = {common, {isatty(STDERR_FILENO), tg_now_ms()}};
    struct tg_sync_options opt = {source,   a->since_ms,       a->page_size, TG_SYNC_OVERLAP_MS, &stop_requested,
                                  on_page,  on_reject,         &printer.progress, a->redact,    a->max_pages};
    struct tg_sync_stats total = {0};
    int rc;
    if (litellm) {
        struct tg_litellm_sync_options lo = {.sync = opt, .developer = a->developer};
        rc = tg_sync_litellm_follow(store, pricing, gw, &lo, a->follow_s, on_round, &printer, &total);
    } else {
        if (a->page_size > 50)
            return cli_error(common, "--page-size must be 1 to 50 on Respan");
        rc = tg_sync_follow(store, pricing, gw, &opt, a->follow_s, on_round, &printer, &total);
    }
    if (total.discarded[0]) {
        char shown[80];
        tg_sanitize(total.discarded, shown, sizeof shown);
        fprintf(stderr,
                "sync: warning: the saved position %s was in the future: synced the last 30 days again instead\n",
                shown);
    }
    if (total.future) {
        char furthest[40];
        tg_time_format_iso(total.furthest_ms, furthest, sizeof furthest);
        fprintf(stderr,
                "sync: warning: %ld log%s dated in the future (the furthest %s): stored as sent; the position"
                " stays at the time the sync ran\n",
                total.future, total.future == 1 ? "" : "s", furthest);
    }
    printf("sync: %ld pages, %ld logs: %ld new, %ld duplicates, %ld rejected; position %s\n", total.pages,
           total.received, total.stored, total.duplicates, total.rejected,
           total.position[0] ? total.position : "(none)");
    return rc != 0 ? EXIT_FAILED : total.rejected ? EXIT_REJECTED : 0;
}

static int cmd_sync(int argc, char **argv, struct cli_common *common)
{
    struct sync_args a = {.page_size = 50};
    int rc = parse_args(argc, argv, common, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct cli_gateway_options gopt = {a.gateway, a.cacert, &stop_requested, on_retry};
    struct cli_gateway gateway;
    if ((rc = cli_open_gateway(common, &gopt, &gateway)) != 0)
        return rc;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct tg_pricing *pricing = NULL;
    struct tg_store *store = NULL;
    rc = cli_load_pricing(common, &pricing);
    if (rc == 0)
        rc = cli_open_store(common, 0, &store);
    if (rc == 0)
        rc = run(common, &a, &gateway.gw, store, pricing);
    tg_store_close(store);
    tg_pricing_free(pricing);
    cli_close_gateway(&gateway);
    return rc;
}

const struct command_entry cmd_sync_entry = {"sync", cmd_sync, cmd_sync_usage,
                                             "Pull logs from the gateway's log API, resumably",
                                             {sync_options}};
