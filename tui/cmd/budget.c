#include "cmd/budget.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/budgetedit.h"
#include "base/sanitize.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "ops/alerts.h"
#include "ops/budget.h"

static const char cmd_budget_usage[] =
    "usage: tollgate budget [list] [--format table|csv|json]\n"
    "       tollgate budget set TARGET AMOUNT[/month|/week|/day] [--warn N%] [--alert N%]\n"
    "       tollgate budget unset TARGET\n"
    "       tollgate budget team NAME [DEVELOPER...]\n"
    "\n"
    "Budgets live in the [budgets] section of $XDG_CONFIG_HOME/tollgate/config\n"
    "(see assets/config.example); set, unset and team rewrite that file atomically\n"
    "(mode 0600), keeping every other line.\n"
    "TARGET: a developer (alice), org (everything), developer:NAME, key:NAME,\n"
    "model:NAME or team:NAME. AMOUNT in dollars (200, 1500.50); the period is a\n"
    "calendar month (default), an ISO week (Monday to Sunday) or a day, in UTC.\n"
    "--warn and --alert are the soft and hard thresholds in percent (default 80% and\n"
    "100%, or the section's `warn =` / `alert =`).\n"
    "team NAME DEVELOPER... sets the team's members (none: removes the team).\n"
    "list: each budget's spend so far this period (exact), percent, tier (ok, warn,\n"
    "over), the period-end forecast with its range, and the days until it runs out\n"
    "at the recent burn (see docs/budgets.md for how the forecast is made).\n";

enum format { FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON };

static int config_path(struct cli_common *common, char *buf, size_t len)
{
    char err[256];
    if (tg_budget_config_path(buf, len, err, sizeof err) != 0)
        return cli_error(common, "%s", err);
    return 0;
}

static void days_text(double days, char *buf, size_t len)
{
    if (days < 0)
        snprintf(buf, len, "-");
    else if (days == 0)
        snprintf(buf, len, "now");
    else
        snprintf(buf, len, "%.1fd", days);
}

static void print_table(const struct tg_budget_statuses *st)
{
    printf("%-28s %16s %11s %6s %5s %11s %25s %9s\n", "BUDGET", "LIMIT", "SPENT", "%", "TIER", "FORECAST",
           "RANGE", "RUNS OUT");
    for (size_t i = 0; i < st->count; i++) {
        const struct tg_budget_status *s = &st->items[i];
        char label[TG_BUDGET_NAME_MAX + 32], clean[64], amount[48], limit[64], spent[48], fc[48], lo[48], hi[48],
            range[100], days[32];
        tg_budget_label(s->budget, label, sizeof label);
        tg_sanitize(label, clean, 29);
        tg_nanos_format_human(s->budget->amount, amount, sizeof amount);
        snprintf(limit, sizeof limit, "%s/%s", amount, tg_budget_period_name(s->budget->period));
        tg_nanos_format_human(s->forecast.spent, spent, sizeof spent);
        tg_nanos_format_human(s->forecast.forecast, fc, sizeof fc);
        tg_nanos_format_human(s->forecast.low, lo, sizeof lo);
        tg_nanos_format_human(s->forecast.high, hi, sizeof hi);
        snprintf(range, sizeof range, "%s-%s", lo, hi);
        days_text(s->days_left, days, sizeof days);
        printf("%-28s %16s %11s %5.0f%% %5s %11s %25s %9s%s\n", clean, limit, spent, s->percent,
               tg_budget_tier_name(s->tier), fc, range, days, s->forecast.known ? "" : "  (not in the logs)");
    }
}

static void print_csv(const struct tg_budget_statuses *st)
{
    printf("scope,name,period,budget,spent,percent,tier,warn_pct,alert_pct,forecast,forecast_low,forecast_high,"
           "days_left\n");
    for (size_t i = 0; i < st->count; i++) {
        const struct tg_budget_status *s = &st->items[i];
        char amount[48], spent[48], fc[48], lo[48], hi[48], days[32] = "";
        tg_nanos_format_plain(s->budget->amount, amount, sizeof amount);
        tg_nanos_format_plain(s->forecast.spent, spent, sizeof spent);
        tg_nanos_format_plain(s->forecast.forecast, fc, sizeof fc);
        tg_nanos_format_plain(s->forecast.low, lo, sizeof lo);
        tg_nanos_format_plain(s->forecast.high, hi, sizeof hi);
        if (s->days_left >= 0)
            snprintf(days, sizeof days, "%.1f", s->days_left);
        printf("%s,", tg_budget_scope_name(s->budget->scope));
        cli_csv_field(s->budget->name);
        printf(",%s,%s,%s,%.1f,%s,%d,%d,%s,%s,%s,%s\n", tg_budget_period_name(s->budget->period), amount, spent,
               s->percent, tg_budget_tier_name(s->tier), s->warn_pct, s->alert_pct, fc, lo, hi, days);
    }
}

static void print_json(const struct tg_budget_statuses *st, int64_t now)
{
    struct strbuf out = STRBUF_INIT;
    char iso[40];
    tg_time_format_iso(now, iso, sizeof iso);
    strbuf_printf(&out, "{\"now\":\"%s\",\"budgets\":[", iso);
    for (size_t i = 0; i < st->count; i++) {
        if (i)
            strbuf_putc(&out, ',');
        tg_budget_status_json(&out, &st->items[i], NULL);
    }
    strbuf_puts(&out, "]}\n");
    fputs(out.data ? out.data : "", stdout);
    strbuf_free(&out);
}

static int parse_format(struct cli_common *common, const char *text, enum format *format)
{
    if (strcmp(text, "table") == 0) *format = FORMAT_TABLE;
    else if (strcmp(text, "csv") == 0) *format = FORMAT_CSV;
    else if (strcmp(text, "json") == 0) *format = FORMAT_JSON;
    else return cli_error(common, "--format must be table, csv or json, not '%s'", text);
    return 0;
}

static int list(struct cli_common *common, enum format format)
{
    char path[4200], err[512];
    if (config_path(common, path, sizeof path) != 0)
        return EXIT_FAILED;
    struct tg_budget_config config;
    if (tg_budget_config_load(path, &config, err, sizeof err) != 0)
        return cli_error(common, "%s", err);
    if (config.count == 0 && format == FORMAT_TABLE) {
        printf("No budgets. Set one with `tollgate budget set alice 200/month` (or in %s).\n", path);
        tg_budget_config_free(&config);
        return 0;
    }
    struct tg_store *store;
    int rc = cli_open_store(common, TG_STORE_READ_ONLY, &store);
    if (rc != 0) {
        tg_budget_config_free(&config);
        return rc;
    }
    int64_t now = tg_now_ms();
    struct tg_budget_statuses st;
    if (tg_budget_evaluate(store, &config, now, &st, err, sizeof err) != 0) {
        rc = cli_error(common, "%s", err);
    } else {
        if (format == FORMAT_JSON)
            print_json(&st, now);
        else if (format == FORMAT_CSV)
            print_csv(&st);
        else
            print_table(&st);
        tg_budget_statuses_free(&st);
    }
    tg_store_close(store);
    tg_budget_config_free(&config);
    return rc;
}

static int set(struct cli_common *common, int argc, char **argv, const char *warn, const char *alert)
{
    if (argc != 3)
        return cli_error(common, "usage: tollgate budget set TARGET AMOUNT[/month|/week|/day] [--warn N%%] [--alert N%%]");
    char err[512], path[4200];
    struct tg_budget b = {0};
    if (tg_budget_parse_target(argv[1], &b.scope, &b.name, err, sizeof err) != 0 ||
        tg_budget_parse_amount(argv[2], &b.amount, &b.period, err, sizeof err) != 0 ||
        (warn && tg_budget_parse_pct(warn, &b.warn_pct, err, sizeof err) != 0) ||
        (alert && tg_budget_parse_pct(alert, &b.alert_pct, err, sizeof err) != 0)) {
        free(b.name);
        char clean[600];
        tg_sanitize(err, clean, sizeof clean);
        return cli_error(common, "%s", clean);
    }
    int rc = config_path(common, path, sizeof path);
    if (rc == 0 && tg_budget_config_set(path, &b, err, sizeof err) != 0)
        rc = cli_error(common, "%s", err);
    if (rc == 0) {
        char label[TG_BUDGET_NAME_MAX + 32], clean[300], amount[48];
        tg_budget_label(&b, label, sizeof label);
        tg_sanitize(label, clean, sizeof clean);
        tg_nanos_format_human(b.amount, amount, sizeof amount);
        printf("budget %s: %s a %s", clean, amount, tg_budget_period_name(b.period));
        if (b.warn_pct || b.alert_pct)
            printf(" (warn %d%%, alert %d%%)", b.warn_pct ? b.warn_pct : TG_BUDGET_DEFAULT_WARN,
                   b.alert_pct ? b.alert_pct : TG_BUDGET_DEFAULT_ALERT);
        printf(", in %s\n", path);
    }
    free(b.name);
    return rc;
}

static int unset(struct cli_common *common, int argc, char **argv)
{
    if (argc != 2)
        return cli_error(common, "usage: tollgate budget unset TARGET");
    char err[512], path[4200], clean[300];
    enum tg_budget_scope scope;
    char *name;
    if (tg_budget_parse_target(argv[1], &scope, &name, err, sizeof err) != 0) {
        tg_sanitize(err, clean, sizeof clean);
        return cli_error(common, "%s", clean);
    }
    int rc = config_path(common, path, sizeof path);
    int found = rc == 0 ? tg_budget_config_unset(path, scope, name, err, sizeof err) : -1;
    tg_sanitize(argv[1], clean, sizeof clean);
    if (rc == 0 && found < 0)
        rc = cli_error(common, "%s", err);
    else if (rc == 0 && found == 1)
        rc = cli_error(common, "no budget for '%s' in %s (see `tollgate budget list`)", clean, path);
    else if (rc == 0)
        printf("budget for %s removed from %s\n", clean, path);
    free(name);
    return rc;
}

static int team(struct cli_common *common, int argc, char **argv)
{
    if (argc < 2)
        return cli_error(common, "usage: tollgate budget team NAME [DEVELOPER...]");
    char err[512], path[4200], clean[300];
    int rc = config_path(common, path, sizeof path);
    if (rc == 0 && tg_budget_config_set_team(path, argv[1], (const char *const *)argv + 2, (size_t)argc - 2, err,
                                             sizeof err) != 0) {
        tg_sanitize(err, clean, sizeof clean);
        return cli_error(common, "%s", clean);
    }
    if (rc == 0) {
        tg_sanitize(argv[1], clean, sizeof clean);
        if (argc == 2)
            printf("team %s removed from %s\n", clean, path);
        else
            printf("team %s: %d member%s, in %s\n", clean, argc - 2, argc == 3 ? "" : "s", path);
    }
    return rc;
}

static const struct option budget_options[] = {
    CLI_COMMON_OPTIONS,
    {"format", required_argument, NULL, 'f'},
    {"warn", required_argument, NULL, 'w'},
    {"alert", required_argument, NULL, 'a'},
    {NULL, 0, NULL, 0},
};

static int cmd_budget(int argc, char **argv, struct cli_common *common)
{
    enum format format = FORMAT_TABLE;
    const char *warn = NULL, *alert = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", budget_options, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg))
            continue;
        switch (opt) {
        case 'h': fputs(cmd_budget_usage, stdout); return 0;
        case 'f': if (parse_format(common, optarg, &format)) return EXIT_FAILED; break;
        case 'w': warn = optarg; break;
        case 'a': alert = optarg; break;
        default: fputs(cmd_budget_usage, stderr); return EXIT_FAILED;
        }
    }
    int rest = argc - optind;
    char **args = argv + optind;
    const char *verb = rest > 0 ? args[0] : "list";
    if (strcmp(verb, "list") == 0 && rest <= 1)
        return list(common, format);
    if ((warn || alert) && strcmp(verb, "set") != 0)
        return cli_error(common, "--warn and --alert go with `budget set`");
    if (strcmp(verb, "set") == 0)
        return set(common, rest, args, warn, alert);
    if (strcmp(verb, "unset") == 0)
        return unset(common, rest, args);
    if (strcmp(verb, "team") == 0)
        return team(common, rest, args);
    char clean[100];
    tg_sanitize(verb, clean, sizeof clean);
    return cli_error(common, "'%s' is not a budget command: list, set, unset or team", clean);
}

const struct command_entry cmd_budget_entry = {"budget", cmd_budget, cmd_budget_usage,
                                               "Budgets per developer, key, model, team, org: set, list, forecast",
                                               {budget_options}};
