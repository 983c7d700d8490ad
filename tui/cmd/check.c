#include "cmd/check.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/budgetconf.h"
#include "base/paths.h"
#include "base/sanitize.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "ops/alerts.h"
#include "ops/budget.h"
#include "ops/keyhygiene.h"
#include "ops/keys.h"

static const char cmd_check_usage[] =
    "usage: tollgate check [--format text|json] [--dormant-days N] [--refresh-keys]\n"
    "                      [--notify CMD] [--webhook URL [--webhook-token-file FILE] [--cacert FILE]]\n"
    "                      [--state FILE] [--gateway respan|litellm]\n"
    "\n"
    "For cron and CI: prints what needs a look. Budgets (the [budgets] section of\n"
    "$XDG_CONFIG_HOME/tollgate/config) over their hard threshold, past their soft\n"
    "one, or forecast to pass the hard one by the period's end; keys dormant (no\n"
    "request in N days, default 30), shared (used by more than one developer in\n"
    "those days), never used (the gateway lists them, no log names them: the\n"
    "gateway's list is the one `tollgate keys` last fetched, or --refresh-keys asks\n"
    "it now), and used after their revocation.\n"
    "--notify CMD runs CMD (with /bin/sh) once for each NEW finding, the finding's\n"
    "JSON on its standard input; --webhook URL POSTs the same JSON (https, TLS\n"
    "verified; a bearer token from --webhook-token-file, a file only you may read).\n"
    "A finding is new until it has been sent; it is sent again only when it changes\n"
    "(a budget going from warn to over, a new month, another developer on a shared\n"
    "key). What was sent is kept in --state FILE (default: the db's path + .check-state).\n"
    "Exit status: 0 all is well, 1 something needs a look, 2 an error (a failed\n"
    "--notify command or webhook included; it is tried again on the next run).\n";

enum format { FORMAT_TEXT, FORMAT_JSON };

struct check_args {
    enum format format;
    int dormant_days;
    bool refresh_keys;
    const char *notify, *state, *gateway;
    struct tg_webhook webhook;
};

static const struct option check_options[] = {
    CLI_COMMON_OPTIONS,
    {"format", required_argument, NULL, 'f'},
    {"dormant-days", required_argument, NULL, 'd'},
    {"refresh-keys", no_argument, NULL, 'r'},
    {"notify", required_argument, NULL, 'n'},
    {"webhook", required_argument, NULL, 'w'},
    {"webhook-token-file", required_argument, NULL, 't'},
    {"cacert", required_argument, NULL, 'c'},
    {"state", required_argument, NULL, 's'},
    {"gateway", required_argument, NULL, 'g'},
    {NULL, 0, NULL, 0},
};

static int parse_args(int argc, char **argv, struct cli_common *common, struct check_args *a)
{
    int opt;
    long days;
    while ((opt = getopt_long(argc, argv, "h", check_options, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg))
            continue;
        switch (opt) {
        case 'h': fputs(cmd_check_usage, stdout); return -1;
        case 'f':
            if (strcmp(optarg, "text") == 0 || strcmp(optarg, "table") == 0) a->format = FORMAT_TEXT;
            else if (strcmp(optarg, "json") == 0) a->format = FORMAT_JSON;
            else return cli_error(common, "--format must be text or json, not '%s'", optarg);
            break;
        case 'd':
            if ((days = cli_parse_count(optarg)) < 1 || days > 3650)
                return cli_error(common, "--dormant-days must be a number of days from 1 to 3650, not '%s'", optarg);
            a->dormant_days = (int)days;
            break;
        case 'r': a->refresh_keys = true; break;
        case 'n': a->notify = optarg; break;
        case 'w': a->webhook.url = optarg; break;
        case 't': a->webhook.token_file = optarg; break;
        case 'c': a->webhook.cacert = optarg; break;
        case 's': a->state = optarg; break;
        case 'g': a->gateway = optarg; break;
        default: fputs(cmd_check_usage, stderr); return EXIT_FAILED;
        }
    }
    if (optind < argc)
        return cli_error(common, "unexpected argument '%s'", argv[optind]);
    if (a->webhook.token_file && !a->webhook.url)
        return cli_error(common, "--webhook-token-file goes with --webhook URL");
    char err[512];
    if (a->webhook.url && tg_alerts_check_webhook(&a->webhook, err, sizeof err) != 0)
        return cli_error(common, "%s", err);
    return 0;
}

/* Asks the gateway for its keys, for the never-used section. */
static int refresh_keys(struct cli_common *common, const struct check_args *a, struct tg_store *store)
{
    struct cli_gateway_options options = {.name = a->gateway};
    struct cli_gateway gw;
    if (cli_open_gateway(common, &options, &gw) != 0)
        return EXIT_FAILED;
    char err[512];
    int rc = tg_keys_refresh(store, &gw.gw, tg_now_ms(), err, sizeof err);
    cli_close_gateway(&gw);
    if (rc != 0) {
        char clean[600];
        tg_sanitize(err, clean, sizeof clean);
        return cli_error(common, "asking the gateway for its keys: %s", clean);
    }
    return 0;
}

static int gather(struct cli_common *common, const struct check_args *a, int64_t now, struct tg_findings *out)
{
    char path[4200], err[512];
    if (tg_budget_config_path(path, sizeof path, err, sizeof err) != 0)
        return cli_error(common, "%s", err);
    struct tg_budget_config config;
    if (tg_budget_config_load(path, &config, err, sizeof err) != 0)
        return cli_error(common, "%s", err);
    struct tg_store *store;
    int rc = cli_open_store(common, a->refresh_keys ? 0 : TG_STORE_READ_ONLY, &store);
    if (rc != 0) {
        tg_budget_config_free(&config);
        return rc;
    }
    if (a->refresh_keys)
        rc = refresh_keys(common, a, store);
    struct tg_budget_statuses budgets = {0};
    struct tg_key_findings keys = {0};
    if (rc == 0 && (tg_budget_evaluate(store, &config, now, &budgets, err, sizeof err) != 0 ||
                    tg_key_hygiene(store, now, a->dormant_days, &keys, err, sizeof err) != 0 ||
                    tg_findings_build(&budgets, &keys, a->dormant_days, now, out, err, sizeof err) != 0))
        rc = cli_error(common, "%s", err);
    tg_key_findings_free(&keys);
    tg_budget_statuses_free(&budgets);
    tg_store_close(store);
    tg_budget_config_free(&config);
    return rc;
}

/* Sends each new finding every way asked; marks those all ways took. */
static int send_new(struct cli_common *common, const struct check_args *a, struct tg_findings *findings)
{
    int rc = 0;
    char err[600], clean[700];
    for (size_t i = 0; i < findings->count; i++) {
        struct tg_finding *f = &findings->items[i];
        if (!f->is_new)
            continue;
        bool ok = true;
        if (a->notify && tg_alerts_run_command(a->notify, f->json, err, sizeof err) != 0) {
            tg_sanitize(err, clean, sizeof clean);
            fprintf(stderr, "%s: %s\n", common->prog, clean);
            ok = false;
        }
        if (a->webhook.url && tg_alerts_post(&a->webhook, f->json, err, sizeof err) != 0) {
            tg_sanitize(err, clean, sizeof clean);
            fprintf(stderr, "%s: %s\n", common->prog, clean);
            ok = false;
        }
        f->sent = ok;
        if (!ok)
            rc = EXIT_FAILED;
    }
    return rc;
}

static void print_text(const struct tg_findings *findings, bool tracking)
{
    if (findings->count == 0) {
        printf("All well: no budget near its limit, no dormant, shared or never-used key.\n");
        return;
    }
    for (size_t i = 0; i < findings->count; i++) {
        const struct tg_finding *f = &findings->items[i];
        char clean[1024];
        tg_sanitize(f->text, clean, sizeof clean);
        printf("%-26s %s%s\n", f->kind, clean, tracking && f->is_new ? "  (new)" : "");
    }
    printf("\n%zu finding%s.\n", findings->count, findings->count == 1 ? "" : "s");
}

static void print_json(const struct tg_findings *findings, bool tracking, int64_t now)
{
    struct strbuf out = STRBUF_INIT;
    char iso[40];
    tg_time_format_iso(now, iso, sizeof iso);
    strbuf_printf(&out, "{\"now\":\"%s\",\"findings\":[", iso);
    for (size_t i = 0; i < findings->count; i++) {
        const struct tg_finding *f = &findings->items[i];
        if (i)
            strbuf_putc(&out, ',');
        if (tracking) { /* the object with "new" added before its closing brace */
            strbuf_append(&out, f->json, strlen(f->json) - 1);
            strbuf_printf(&out, ",\"new\":%s}", f->is_new ? "true" : "false");
        } else {
            strbuf_puts(&out, f->json);
        }
    }
    strbuf_puts(&out, "]}\n");
    fputs(out.data ? out.data : "", stdout);
    strbuf_free(&out);
}

static int default_state(struct cli_common *common, char *buf, size_t len)
{
    char db[4096], err[256];
    if (common->db_path)
        snprintf(db, sizeof db, "%s", common->db_path);
    else if (tg_paths_default_db(db, sizeof db, err, sizeof err) != 0)
        return cli_error(common, "%s", err);
    snprintf(buf, len, "%s.check-state", db);
    return 0;
}

static int cmd_check(int argc, char **argv, struct cli_common *common)
{
    struct check_args a = {.dormant_days = TG_KEY_DORMANT_DAYS};
    int rc = parse_args(argc, argv, common, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    bool tracking = a.notify || a.webhook.url;
    char state[4300], err[512];
    if (tracking && !a.state) {
        if (default_state(common, state, sizeof state) != 0)
            return EXIT_FAILED;
        a.state = state;
    }
    int64_t now = tg_now_ms();
    struct tg_findings findings;
    if ((rc = gather(common, &a, now, &findings)) != 0)
        return rc;
    if (tracking && tg_alerts_mark_new(a.state, &findings, err, sizeof err) != 0) {
        tg_findings_free(&findings);
        return cli_error(common, "%s", err);
    }
    if (a.format == FORMAT_JSON)
        print_json(&findings, tracking, now);
    else
        print_text(&findings, tracking);
    fflush(stdout);
    if (tracking) {
        rc = send_new(common, &a, &findings);
        if (tg_alerts_save_state(a.state, &findings, err, sizeof err) != 0)
            rc = cli_error(common, "%s", err);
    }
    if (rc == 0 && findings.count)
        rc = 1;
    tg_findings_free(&findings);
    return rc;
}

const struct command_entry cmd_check_entry = {"check", cmd_check, cmd_check_usage,
                                              "For cron / CI: budgets near or over, dormant / shared keys; alerts",
                                               {check_options}};
