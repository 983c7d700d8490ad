#include "cmd/status.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "query/browse.h"

static const char cmd_status_usage[] =
    "usage: tollgate status [--stale AGE] [--format table|json] [--db PATH]\n"
    "\n"
    "Says whether logs still flow: for each source that stored logs (collector,\n"
    "import, sync respan, sync litellm) the newest log it stored and its age, and\n"
    "its last successful commit; then the newest log of all.\n"
    "\n"
    "--stale AGE    how old the newest log may be before logs count as stopped\n"
    "               (default 1h; 30m, 6h, 2d, ...)\n"
    "--format       table (default) or json\n"
    "\n"
    "Exit status: 0 logs flow, 1 the newest log is older than --stale (or there is\n"
    "none), 2 failed.\n";

#define MAX_SOURCES 32

static void format_age(int64_t now, int64_t then, char *buf, size_t len)
{
    if (then <= 0) {
        snprintf(buf, len, "-");
        return;
    }
    long long s = (long long)((now - then) / 1000);
    if (s < 0) s = 0;
    if (s < 120) snprintf(buf, len, "%llds", s);
    else if (s < 7200) snprintf(buf, len, "%lldm", s / 60);
    else if (s < 172800) snprintf(buf, len, "%lldh", s / 3600);
    else snprintf(buf, len, "%lldd", s / 86400);
}

static void format_time(int64_t ms, char *buf, size_t len)
{
    if (ms <= 0)
        snprintf(buf, len, "-");
    else
        tg_time_format_iso(ms, buf, len);
}

static void print_table(const struct tg_store_activity *a, size_t n, int64_t newest, int64_t now, int64_t stale_ms,
                        bool stale)
{
    printf("%-16s %-26s %6s  %-26s %6s\n", "source", "newest log", "age", "last success", "age");
    for (size_t i = 0; i < n; i++) {
        char name[64], t1[40], a1[16], t2[40], a2[16];
        tg_sanitize(a[i].source, name, sizeof name);
        format_time(a[i].newest_log_ms, t1, sizeof t1);
        format_age(now, a[i].newest_log_ms, a1, sizeof a1);
        format_time(a[i].last_success_ms, t2, sizeof t2);
        format_age(now, a[i].last_success_ms, a2, sizeof a2);
        printf("%-16s %-26s %6s  %-26s %6s\n", name, t1, a1, t2, a2);
    }
    if (n == 0)
        printf("(no source has recorded a commit yet: run `tollgate collect`, `sync` or `import`)\n");
    char t[40], age[16], limit[16];
    format_time(newest, t, sizeof t);
    format_age(now, newest, age, sizeof age);
    format_age(now, now - stale_ms, limit, sizeof limit);
    if (newest <= 0)
        printf("status: STALE: no logs stored\n");
    else
        printf("status: %s: newest log %s, %s old (stale after %s)\n", stale ? "STALE" : "ok", t, age, limit);
}

static void print_json(const struct tg_store_activity *a, size_t n, int64_t newest, int64_t now, bool stale)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "{\"sources\":[");
    for (size_t i = 0; i < n; i++) {
        strbuf_puts(&sb, i ? ",{\"source\":" : "{\"source\":");
        strbuf_json_string(&sb, a[i].source);
        strbuf_printf(&sb, ",\"newest_log_ms\":%lld,\"newest_log_age_s\":%lld,\"last_success_ms\":%lld,"
                           "\"last_success_age_s\":%lld}",
                      (long long)a[i].newest_log_ms,
                      a[i].newest_log_ms > 0 ? (long long)((now - a[i].newest_log_ms) / 1000) : -1LL,
                      (long long)a[i].last_success_ms, (long long)((now - a[i].last_success_ms) / 1000));
    }
    strbuf_printf(&sb, "],\"newest_log_ms\":%lld,\"newest_log_age_s\":%lld,\"stale\":%s}\n", (long long)newest,
                  newest > 0 ? (long long)((now - newest) / 1000) : -1LL, stale ? "true" : "false");
    fputs(sb.data ? sb.data : "", stdout);
    strbuf_free(&sb);
}

static const struct option status_options[] = {
    CLI_COMMON_OPTIONS,
    {"stale", required_argument, NULL, 's'},
    {"format", required_argument, NULL, 'f'},
    {NULL, 0, NULL, 0},
};

static int cmd_status(int argc, char **argv, struct cli_common *common)
{
    int64_t now = tg_now_ms(), stale_ms = TG_HOUR_MS;
    bool json = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", status_options, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg))
            continue;
        int64_t at;
        switch (opt) {
        case 'h': fputs(cmd_status_usage, stdout); return 0;
        case 's':
            if (tg_time_parse_arg(optarg, now, &at) != 0 || at >= now || optarg[0] < '0' || optarg[0] > '9' ||
                strchr(optarg, '-'))
                return cli_error(common, "--stale wants an age such as 30m, 1h or 2d, not '%s'", optarg);
            stale_ms = now - at;
            break;
        case 'f':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0)
                return cli_error(common, "--format must be table or json, not '%s'", optarg);
            json = strcmp(optarg, "json") == 0;
            break;
        default: fputs(cmd_status_usage, stderr); return EXIT_FAILED;
        }
    }
    if (optind < argc)
        return cli_error(common, "unexpected argument '%s'", argv[optind]);
    struct tg_store *store = NULL;
    int rc = cli_open_store(common, TG_STORE_READ_ONLY, &store);
    if (rc != 0)
        return rc;
    struct tg_store_activity activity[MAX_SOURCES];
    size_t n = 0;
    char err[512];
    if (tg_store_activities(store, activity, MAX_SOURCES, &n, err, sizeof err) != 0) {
        tg_store_close(store);
        return cli_error(common, "%s", err);
    }
    /* the sources' newest logs were capped at their commit time, so a log
     * dated in the future cannot keep a stopped source looking alive; a db
     * from before sources were recorded falls back to its newest log */
    int64_t newest = -1;
    for (size_t i = 0; i < n; i++)
        if (activity[i].newest_log_ms > newest)
            newest = activity[i].newest_log_ms;
    if (n == 0) {
        newest = tg_browse_newest_ms(store);
        if (newest > now)
            newest = now;
    }
    tg_store_close(store);
    bool stale = newest <= 0 || now - newest > stale_ms;
    if (json)
        print_json(activity, n, newest, now, stale);
    else
        print_table(activity, n, newest, now, stale_ms, stale);
    return stale ? 1 : 0;
}

const struct command_entry cmd_status_entry = {"status", cmd_status, cmd_status_usage,
                                               "Do logs still flow? The newest log per source, and its age",
                                               {status_options}};
