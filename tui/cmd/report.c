#include "cmd/report.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"
#include "ops/budget.h"
#include "query/spend.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/format.h"
#include "base/utf8.h"
#include "query/names.h"
#include "query/window.h"

static const char cmd_report_usage[] =
    "usage: tollgate report [--by developer|key|model|day|hour] [--since T] [--until T]\n"
    "                       [--developer ID] [--key NAME] [--model NAME] [--limit N]\n"
    "                       [--format table|csv|json] [--budget] [--db PATH]\n"
    "\n"
    "Spend over a time window: requests, errors, tokens (prompt, completion, cache\n"
    "read), cost, the part of the cost tollgate estimated, p50 / p95 latency.\n"
    "T is a duration back from now (90m, 24h, 7d, 2w), a date (2026-11-01), a time\n"
    "(2026-11-01T10:00, Z or +02:00 for a zone), or today, yesterday, week, last-week,\n"
    "month, last-month; dates and periods are local time unless --utc. A period as\n"
    "--since alone is the whole period; --until is exclusive. --by day and hour follow\n"
    "the local zone too (each hour labelled with its offset), or UTC with --utc.\n"
    "With --since, spend, requests and error rate are compared with the period before.\n"
    "--developer, --key and --model must name one the db has seen (exit 1 if not).\n"
    "Rows: --by developer (customer_identifier), key (name, else id), model, day, hour;\n"
    "spend first, or oldest first for day and hour. --limit keeps the first N rows;\n"
    "the total always covers every row.\n"
    "--budget (with --by developer, key or model) adds each row's budget from the\n"
    "config file, its spend this budget period (month to date, or week / day for\n"
    "such budgets, whatever the window) and the period-end forecast with its range.\n";

enum format { FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON };

struct report_args {
    enum tg_spend_by by;
    struct tg_spend_filter filter;
    struct tg_window window;
    const char *since, *until; /* as typed */
    int64_t now_ms;            /* one "now" for the window and the one before it */
    long limit;
    enum format format;
    bool budget;                          /* --budget */
    struct tg_budget_status *budget_rows; /* one per row of the report, with --budget */
    struct tg_budget_config budget_config; /* what the rows point into */
};

static void json_row(struct strbuf *out, const struct tg_spend_row *row, bool with_name)
{
    char cost[40], estimated[40];
    tg_nanos_format_plain(row->cost, cost, sizeof cost);
    tg_nanos_format_plain(row->cost_estimated, estimated, sizeof estimated);
    strbuf_putc(out, '{');
    if (with_name) {
        strbuf_puts(out, "\"name\":");
        strbuf_json_string(out, row->name);
        strbuf_putc(out, ',');
    }
    strbuf_printf(out,
                  "\"requests\":%lld,\"errors\":%lld,\"prompt_tokens\":%lld,\"completion_tokens\":%lld,"
                  "\"total_tokens\":%lld,\"cache_read_tokens\":%lld,\"cache_creation_tokens\":%lld,"
                  "\"cost\":%s,\"cost_estimated\":%s,\"unpriced_requests\":%lld,\"refused_revoked_key\":%lld,",
                  (long long)row->requests, (long long)row->errors, (long long)row->prompt_tokens,
                  (long long)row->completion_tokens, (long long)row->total_tokens,
                  (long long)row->cache_read_tokens, (long long)row->cache_creation_tokens, cost,
                  estimated, (long long)row->unpriced, (long long)row->refused_revoked);
    int64_t p50 = tg_latency_quantile_ms(&row->latency, 0.50);
    int64_t p95 = tg_latency_quantile_ms(&row->latency, 0.95);
    if (p50 < 0)
        strbuf_puts(out, "\"latency_p50_ms\":null,\"latency_p95_ms\":null}");
    else
        strbuf_printf(out, "\"latency_p50_ms\":%lld,\"latency_p95_ms\":%lld}", (long long)p50, (long long)p95);
}

/* --budget: the row's object reopened for its budget fields. */
static void json_budget(struct strbuf *out, const struct tg_budget_status *b)
{
    char v[48];
    out->data[--out->len] = '\0'; /* the closing brace json_row wrote */
    strbuf_puts(out, ",\"budget\":");
    if (b->budget) {
        tg_nanos_format_plain(b->budget->amount, v, sizeof v);
        strbuf_printf(out, "%s,\"budget_period\":\"%s\"", v, tg_budget_period_name(b->budget->period));
    } else {
        strbuf_puts(out, "null,\"budget_period\":\"month\"");
    }
    tg_nanos_format_plain(b->forecast.spent, v, sizeof v);
    strbuf_printf(out, ",\"period_to_date\":%s", v);
    if (b->budget)
        strbuf_printf(out, ",\"budget_percent\":%.1f,\"budget_tier\":\"%s\"", b->percent,
                      tg_budget_tier_name(b->tier));
    else
        strbuf_puts(out, ",\"budget_percent\":null,\"budget_tier\":null");
    tg_nanos_format_plain(b->forecast.forecast, v, sizeof v);
    strbuf_printf(out, ",\"forecast\":%s", v);
    tg_nanos_format_plain(b->forecast.low, v, sizeof v);
    strbuf_printf(out, ",\"forecast_low\":%s", v);
    tg_nanos_format_plain(b->forecast.high, v, sizeof v);
    strbuf_printf(out, ",\"forecast_high\":%s}", v);
}

static void json_time(struct strbuf *out, const char *key, int64_t ms)
{
    char iso[40];
    strbuf_printf(out, "\"%s\":", key);
    if (ms == TG_SPEND_OPEN) {
        strbuf_puts(out, "null");
        return;
    }
    tg_time_format_iso(ms, iso, sizeof iso);
    strbuf_json_string(out, iso);
}

struct previous;
static void json_previous(struct strbuf *out, const struct previous *prev);

static void print_json(const struct report_args *args, const struct tg_spend_report *report,
                       const struct previous *prev)
{
    struct strbuf out = STRBUF_INIT;
    strbuf_printf(&out, "{\"by\":\"%s\",", tg_spend_by_name(args->by));
    json_time(&out, "since", args->filter.since_ms);
    strbuf_putc(&out, ',');
    json_time(&out, "until", args->filter.until_ms);
    strbuf_puts(&out, ",\"rows\":[");
    for (size_t i = 0; i < report->count; i++) {
        if (i)
            strbuf_putc(&out, ',');
        json_row(&out, &report->rows[i], true);
        if (args->budget_rows)
            json_budget(&out, &args->budget_rows[i]);
    }
    strbuf_puts(&out, "],\"total\":");
    json_row(&out, &report->total, false);
    json_previous(&out, prev);
    strbuf_puts(&out, "}\n");
    fputs(out.data, stdout);
    strbuf_free(&out);
}

static void csv_budget(const struct tg_budget_status *b)
{
    char budget[48] = "", spent[48], fc[48], lo[48], hi[48], pct[32] = "";
    if (b->budget) {
        tg_nanos_format_plain(b->budget->amount, budget, sizeof budget);
        snprintf(pct, sizeof pct, "%.1f", b->percent);
    }
    tg_nanos_format_plain(b->forecast.spent, spent, sizeof spent);
    tg_nanos_format_plain(b->forecast.forecast, fc, sizeof fc);
    tg_nanos_format_plain(b->forecast.low, lo, sizeof lo);
    tg_nanos_format_plain(b->forecast.high, hi, sizeof hi);
    printf(",%s,%s,%s,%s,%s,%s,%s,%s", budget, tg_budget_period_name(b->budget ? b->budget->period : TG_BUDGET_PER_MONTH),
           spent, pct, b->budget ? tg_budget_tier_name(b->tier) : "", fc, lo, hi);
}

static void print_csv(const struct report_args *args, const struct tg_spend_report *report)
{
    printf("name,requests,errors,prompt_tokens,completion_tokens,total_tokens,cache_read_tokens,"
           "cache_creation_tokens,cost,cost_estimated,unpriced_requests,latency_p50_ms,latency_p95_ms%s\n",
           args->budget_rows ? ",budget,budget_period,period_to_date,budget_percent,budget_tier,forecast,"
                               "forecast_low,forecast_high" : "");
    for (size_t i = 0; i < report->count; i++) {
        const struct tg_spend_row *r = &report->rows[i];
        char cost[40], estimated[40], p50[24] = "", p95[24] = "";
        tg_nanos_format_plain(r->cost, cost, sizeof cost);
        tg_nanos_format_plain(r->cost_estimated, estimated, sizeof estimated);
        int64_t q50 = tg_latency_quantile_ms(&r->latency, 0.5), q95 = tg_latency_quantile_ms(&r->latency, 0.95);
        if (q50 >= 0) {
            snprintf(p50, sizeof p50, "%lld", (long long)q50);
            snprintf(p95, sizeof p95, "%lld", (long long)q95);
        }
        cli_csv_field(r->name);
        printf(",%lld,%lld,%lld,%lld,%lld,%lld,%lld,%s,%s,%lld,%s,%s", (long long)r->requests,
               (long long)r->errors, (long long)r->prompt_tokens, (long long)r->completion_tokens,
               (long long)r->total_tokens, (long long)r->cache_read_tokens,
               (long long)r->cache_creation_tokens, cost, estimated, (long long)r->unpriced, p50, p95);
        if (args->budget_rows)
            csv_budget(&args->budget_rows[i]);
        putchar('\n');
    }
}

enum { COL_NAME, COL_REQ, COL_ERR, COL_IN, COL_OUT, COL_CACHE, COL_COST, COL_EST, COL_P50, COL_P95,
       COL_BUDGET, COL_MTD, COL_FORECAST, NCOLS }; /* the last three with --budget only */
static const char *const col_titles[NCOLS] = {"", "REQUESTS", "ERRORS", "IN", "OUT", "CACHE", "COST", "EST.", "P50", "P95",
                                              "BUDGET", "MTD", "FORECAST"};

struct table_line {
    char *name; /* sanitised, whole: cut only to fit a terminal */
    char cell[NCOLS][48];
};

static const char *cell_text(const struct table_line *line, int c)
{
    return c == COL_NAME ? (line->name ? line->name : "") : line->cell[c];
}

static void fill_line(struct table_line *line, const struct tg_spend_row *r, const char *name)
{
    line->name = tg_sanitize_dup(name);
    tg_format_count(r->requests, line->cell[COL_REQ], 48);
    tg_format_count(r->errors, line->cell[COL_ERR], 48);
    tg_format_tokens(r->prompt_tokens, line->cell[COL_IN], 48);
    tg_format_tokens(r->completion_tokens, line->cell[COL_OUT], 48);
    tg_format_tokens(r->cache_read_tokens, line->cell[COL_CACHE], 48);
    tg_nanos_format_human(r->cost, line->cell[COL_COST], 48);
    if (r->cost_estimated)
        tg_nanos_format_human(r->cost_estimated, line->cell[COL_EST], 48);
    else
        snprintf(line->cell[COL_EST], 48, "-");
    tg_format_ms(tg_latency_quantile_ms(&r->latency, 0.5), line->cell[COL_P50], 48);
    tg_format_ms(tg_latency_quantile_ms(&r->latency, 0.95), line->cell[COL_P95], 48);
}

/* --budget: "$200/mo" (or "-"), the spend this budget period with its
 * percent, the forecast with its range. */
static void budget_cells(struct table_line *line, const struct tg_budget_status *b)
{
    static const char *const per[] = {"/d", "/wk", "/mo"};
    char v[40], lo[40], hi[40];
    if (b->budget) {
        tg_nanos_format_human(b->budget->amount, v, sizeof v);
        snprintf(line->cell[COL_BUDGET], 48, "%s%s", v, per[b->budget->period]);
    } else {
        snprintf(line->cell[COL_BUDGET], 48, "-");
    }
    tg_nanos_format_human(b->forecast.spent, v, sizeof v);
    if (b->budget)
        snprintf(line->cell[COL_MTD], 48, "%s %.0f%%", v, b->percent > 9999 ? 9999.0 : b->percent);
    else
        snprintf(line->cell[COL_MTD], 48, "%s", v);
    tg_nanos_format_human(b->forecast.forecast, v, sizeof v);
    tg_nanos_format_human(b->forecast.low, lo, sizeof lo);
    tg_nanos_format_human(b->forecast.high, hi, sizeof hi);
    if (b->forecast.low == b->forecast.high)
        snprintf(line->cell[COL_FORECAST], 48, "%s", v);
    else
        snprintf(line->cell[COL_FORECAST], 48, "%.14s (%.12s-%.12s)", v, lo, hi);
}

static void print_cell(const char *s, int width, bool left)
{
    size_t len = strlen(s ? s : "") + (size_t)(width > 0 ? width : 0) + 8;
    char *cell = malloc(len);
    if (!cell)
        return;
    fputs(tg_format_cell(s ? s : "", width, left ? TG_ALIGN_LEFT : TG_ALIGN_RIGHT, cell, len), stdout);
    free(cell);
}

/* Names must stay readable: when the terminal is narrow, columns go in this
 * order (the detail is still in --format csv / json) before names are cut. */
static const int drop_order[] = {COL_P50, COL_CACHE, COL_OUT, COL_IN, COL_P95};
#define MIN_NAME_WIDTH 24

static int fit_columns(const int *width, bool *shown, bool with_budget)
{
    int room = cli_table_width();
    int used = 0;
    for (int c = 1; c < NCOLS; c++) {
        shown[c] = c < COL_BUDGET || with_budget;
        if (!shown[c])
            continue;
        used += width[c] + 2;
    }
    if (room == 0) /* not a terminal: every column, whole names */
        return width[COL_NAME];
    int want = width[COL_NAME] < MIN_NAME_WIDTH ? width[COL_NAME] : MIN_NAME_WIDTH;
    for (size_t i = 0; i < sizeof drop_order / sizeof drop_order[0] && room - used < want; i++) {
        shown[drop_order[i]] = false;
        used -= width[drop_order[i]] + 2;
    }
    int name_width = room - used;
    if (name_width > width[COL_NAME])
        name_width = width[COL_NAME];
    return name_width < 8 ? 8 : name_width;
}

static void print_table(const struct report_args *args, const struct tg_spend_report *report)
{
    size_t n = report->count + 1;
    struct table_line *lines = calloc(n, sizeof *lines);
    if (!lines)
        return;
    for (size_t i = 0; i < report->count; i++) {
        fill_line(&lines[i], &report->rows[i], report->rows[i].name);
        if (args->budget_rows)
            budget_cells(&lines[i], &args->budget_rows[i]);
    }
    fill_line(&lines[n - 1], &report->total, "TOTAL");
    int width[NCOLS] = {0};
    for (int c = 0; c < NCOLS; c++) {
        width[c] = tg_utf8_width(col_titles[c]);
        for (size_t i = 0; i < n; i++) {
            int w = tg_utf8_width(cell_text(&lines[i], c));
            if (w > width[c])
                width[c] = w;
        }
    }
    const char *by = tg_spend_by_name(args->by);
    if (width[COL_NAME] < (int)strlen(by))
        width[COL_NAME] = (int)strlen(by);
    bool shown[NCOLS];
    int name_width = fit_columns(width, shown, args->budget_rows != NULL);
    print_cell(by, name_width, true);
    for (int c = 1; c < NCOLS; c++) {
        if (!shown[c])
            continue;
        fputs("  ", stdout);
        print_cell(col_titles[c], width[c], false);
    }
    putchar('\n');
    for (size_t i = 0; i < n; i++) {
        if (i == n - 1) {
            int total = name_width;
            for (int c = 1; c < NCOLS; c++)
                total += shown[c] ? width[c] + 2 : 0;
            for (int k = 0; k < total; k++)
                putchar('-');
            putchar('\n');
        }
        print_cell(lines[i].name, name_width, true);
        for (int c = 1; c < NCOLS; c++) {
            if (!shown[c])
                continue;
            fputs("  ", stdout);
            print_cell(lines[i].cell[c], width[c], false);
        }
        putchar('\n');
    }
    for (size_t i = 0; i < n; i++)
        free(lines[i].name);
    free(lines);
}

static void print_window(const struct report_args *args, const struct tg_spend_report *report)
{
    char since[40] = "the first log", until[40] = "now";
    if (args->filter.since_ms != TG_SPEND_OPEN)
        tg_window_format_time(args->filter.since_ms, args->window.utc, since, sizeof since);
    if (args->filter.until_ms != TG_SPEND_OPEN)
        tg_window_format_time(args->filter.until_ms, args->window.utc, until, sizeof until);
    printf("Spend by %s, %s to %s", tg_spend_by_name(args->by), since, until);
    if (report->count < report->total_groups)
        printf(" (top %zu of %zu)", report->count, report->total_groups);
    printf("\n\n");
}

/* The window before this one, to compare with; prev->total.requests < 0 when
 * there is none (all time has nothing before it). */
struct previous {
    struct tg_window window;
    char label[64];
    struct tg_spend_row total;
    bool shown;
};

/* " (+12% vs previous 7 days: $76.07)", or " (none in previous 7 days)". */
static void print_change(double now, double before, const char *before_text, const struct previous *prev)
{
    if (before == 0) {
        printf(" (none in %s)\n", prev->label);
        return;
    }
    double percent = round((now - before) * 100.0 / before);
    printf(" (%+.0f%% vs %s: %s)\n", percent == 0 ? 0.0 : percent, prev->label, before_text); /* never "-0%" */
}

static double error_rate(const struct tg_spend_row *r)
{
    return r->requests ? (double)r->errors * 100.0 / (double)r->requests : 0;
}

/* spend, requests and error rate, each beside the previous period's figure and the change. */
static void print_summary(const struct tg_spend_report *report, const struct previous *prev)
{
    const struct tg_spend_row *now = &report->total, *before = &prev->total;
    char text[48], before_text[48];
    tg_nanos_format_human(now->cost, text, sizeof text);
    tg_nanos_format_human(before->cost, before_text, sizeof before_text);
    printf("spend %s", text);
    print_change((double)now->cost, (double)before->cost, before_text, prev);
    tg_format_count(now->requests, text, sizeof text);
    tg_format_count(before->requests, before_text, sizeof before_text);
    printf("requests %s", text);
    print_change((double)now->requests, (double)before->requests, before_text, prev);
    double rate = error_rate(now), rate_before = error_rate(before);
    printf("error rate %.1f%%", rate);
    if (before->requests == 0)
        printf(" (no requests in %s)\n\n", prev->label);
    else
        printf(" (%+.1f points vs %s: %.1f%%)\n\n", rate - rate_before, prev->label, rate_before);
}

static void print_notes(const struct tg_spend_report *report)
{
    if (report->total.requests == 0) {
        printf("\nNo requests in this window.\n");
        return;
    }
    if (report->total.cost_estimated) {
        char est[48];
        tg_nanos_format_human(report->total.cost_estimated, est, sizeof est);
        printf("\nEST. is the part of COST priced by tollgate from its pricing table (%s):\n"
               "those logs came without the gateway's cost.\n", est);
    }
    if (report->total.refused_revoked) {
        char n[32];
        tg_format_count(report->total.refused_revoked, n, sizeof n);
        printf("\nrefused: revoked key: %s request%s on keys already revoked, refused by the gateway:\n"
               "not counted in REQUESTS or ERRORS (see `tollgate keys`).\n",
               n, report->total.refused_revoked == 1 ? "" : "s");
    }
    if (report->total.unpriced) {
        char n[32];
        tg_format_count(report->total.unpriced, n, sizeof n);
        printf("%s%s request%s had no cost and a model missing from the pricing table:\n"
               "counted as $0. Add the model with --pricing FILE to price them.\n",
               report->total.cost_estimated ? "" : "\n", n, report->total.unpriced == 1 ? "" : "s");
    }
}

static const struct option report_options[] = {
    CLI_COMMON_OPTIONS,
    {"by", required_argument, NULL, 'b'},
    {"since", required_argument, NULL, 's'},
    {"until", required_argument, NULL, 'u'},
    {"developer", required_argument, NULL, 'd'},
    {"key", required_argument, NULL, 'k'},
    {"model", required_argument, NULL, 'm'},
    {"limit", required_argument, NULL, 'l'},
    {"format", required_argument, NULL, 'f'},
    {"budget", no_argument, NULL, 'B'},
    {NULL, 0, NULL, 0},
};

static int parse_args(int argc, char **argv, struct cli_common *common, struct report_args *args)
{
    int opt;
    while ((opt = getopt_long(argc, argv, "h", report_options, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg))
            continue;
        switch (opt) {
        case 'h': fputs(cmd_report_usage, stdout); return -1;
        case 'B': args->budget = true; break;
        case 'b':
            if (tg_spend_by_parse(optarg, &args->by) != 0)
                return cli_error(common, "--by must be developer, key, model, day or hour, not '%s'", optarg);
            break;
        case 's': args->since = optarg; break;
        case 'u': args->until = optarg; break;
        case 'd': args->filter.developer = optarg; break;
        case 'k': args->filter.key = optarg; break;
        case 'm': args->filter.model = optarg; break;
        case 'l':
            if ((args->limit = cli_parse_count(optarg)) < 0)
                return cli_error(common, "--limit must be a positive number, not '%s'", optarg);
            break;
        case 'f':
            if (strcmp(optarg, "table") == 0) args->format = FORMAT_TABLE;
            else if (strcmp(optarg, "csv") == 0) args->format = FORMAT_CSV;
            else if (strcmp(optarg, "json") == 0) args->format = FORMAT_JSON;
            else return cli_error(common, "--format must be table, csv or json, not '%s'", optarg);
            break;
        default: fputs(cmd_report_usage, stderr); return EXIT_FAILED;
        }
    }
    if (optind < argc)
        return cli_error(common, "unexpected argument '%s'", argv[optind]);
    char err[512];
    args->now_ms = tg_now_ms();
    if (tg_window_parse(args->since, args->until, args->now_ms, common->utc, &args->window, err, sizeof err) != 0)
        return cli_error(common, "%s", err);
    args->filter.since_ms = args->window.since_ms;
    args->filter.until_ms = args->window.until_ms;
    args->filter.utc = common->utc;
    if (args->budget && args->by != TG_BY_DEVELOPER && args->by != TG_BY_KEY && args->by != TG_BY_MODEL)
        return cli_error(common, "--budget goes with --by developer, key or model");
    return 0;
}

/* A filter naming a developer, key or model the db has never seen is a typo
 * far more often than a question: say so, with the closest names. */
static int check_filter_names(struct cli_common *common, struct tg_store *store, const struct tg_spend_filter *f)
{
    const struct {
        enum tg_name_kind kind;
        const char *name;
    } asked[] = {{TG_NAME_DEVELOPER, f->developer}, {TG_NAME_KEY, f->key}, {TG_NAME_MODEL, f->model}};
    for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
        if (!asked[i].name)
            continue;
        struct tg_name_check check;
        char err[512];
        if (tg_names_check(store, asked[i].kind, asked[i].name, &check, err, sizeof err) != 0)
            return cli_error(common, "%s", err);
        if (check.known)
            continue;
        const char *kind = tg_name_kind_label(asked[i].kind);
        char typed[256], closest[800] = "";
        tg_sanitize(asked[i].name, typed, sizeof typed);
        for (size_t k = 0; k < check.count; k++) {
            char one[200];
            tg_sanitize(check.closest[k], one, sizeof one);
            size_t used = strlen(closest);
            snprintf(closest + used, sizeof closest - used, "%s'%s'",
                     k == 0 ? "" : k + 1 == check.count ? " or " : ", ", one);
        }
        if (check.count)
            cli_error(common, "--%s: no %s '%s' in the db; did you mean %s?", kind, kind, typed, closest);
        else
            cli_error(common, "--%s: no %s '%s' in the db, nor one close to it (%lld known: `tollgate report --by %s`)",
                      kind, kind, typed, (long long)check.known_total, kind);
        tg_name_check_free(&check);
        return EXIT_REJECTED;
    }
    return 0;
}

/* The totals of the window before, when there is one. */
static int query_previous(struct tg_store *store, const struct report_args *args, struct previous *prev, char *err,
                          size_t errlen)
{
    prev->shown = false;
    if (tg_window_previous(&args->window, args->now_ms, &prev->window, prev->label, sizeof prev->label) != 0)
        return 0;
    struct tg_spend_filter filter = args->filter;
    filter.since_ms = prev->window.since_ms;
    filter.until_ms = prev->window.until_ms;
    struct tg_spend_report before;
    if (tg_spend_query(store, args->by, &filter, 1, &before, err, errlen) != 0)
        return -1;
    prev->total = before.total;
    prev->total.name = NULL;
    tg_spend_report_free(&before);
    prev->shown = true;
    return 0;
}

static void json_previous(struct strbuf *out, const struct previous *prev)
{
    strbuf_puts(out, ",\"previous\":");
    if (!prev->shown) {
        strbuf_puts(out, "null");
        return;
    }
    strbuf_putc(out, '{');
    json_time(out, "since", prev->window.since_ms);
    strbuf_putc(out, ',');
    json_time(out, "until", prev->window.until_ms);
    strbuf_puts(out, ",\"label\":");
    strbuf_json_string(out, prev->label);
    strbuf_puts(out, ",\"total\":");
    json_row(out, &prev->total, false);
    strbuf_putc(out, '}');
}

/* --budget: each row's budget, spend this period and forecast (ops/budget). */
static int load_budget_rows(struct cli_common *common, struct tg_store *store, struct report_args *args,
                            const struct tg_spend_report *report)
{
    char path[4200], err[512];
    struct tg_budget_config *config = &args->budget_config;
    if (tg_budget_config_path(path, sizeof path, err, sizeof err) != 0 ||
        tg_budget_config_load(path, config, err, sizeof err) != 0)
        return cli_error(common, "%s", err);
    const char **names = calloc(report->count + 1, sizeof *names);
    args->budget_rows = calloc(report->count + 1, sizeof *args->budget_rows);
    int rc = 0;
    for (size_t i = 0; names && i < report->count; i++)
        names[i] = report->rows[i].name;
    enum tg_budget_scope scope = args->by == TG_BY_KEY     ? TG_BUDGET_KEY
                                 : args->by == TG_BY_MODEL ? TG_BUDGET_MODEL
                                                           : TG_BUDGET_DEVELOPER;
    if (!names || !args->budget_rows)
        rc = cli_error(common, "out of memory");
    else if (tg_budget_rows(store, config, scope, names, report->count, tg_now_ms(), args->budget_rows, err,
                            sizeof err) != 0)
        rc = cli_error(common, "%s", err);
    free(names);
    return rc;
}

static int cmd_report(int argc, char **argv, struct cli_common *common)
{
    struct report_args args = {.by = TG_BY_DEVELOPER, .filter = {TG_SPEND_OPEN, TG_SPEND_OPEN, NULL, NULL, NULL}};
    int rc = parse_args(argc, argv, common, &args);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct tg_store *store;
    if ((rc = cli_open_store(common, TG_STORE_READ_ONLY, &store)) != 0)
        return rc;
    if ((rc = check_filter_names(common, store, &args.filter)) != 0) {
        tg_store_close(store);
        return rc;
    }
    struct tg_spend_report report;
    struct previous prev;
    char err[512];
    if (tg_spend_query(store, args.by, &args.filter, (size_t)(args.limit > 0 ? args.limit : 0), &report, err,
                       sizeof err) != 0) {
        tg_store_close(store);
        char shown[1100]; /* a sum that does not fit names its row, whose name came from a log */
        tg_sanitize(err, shown, sizeof shown);
        return cli_error(common, "%s", shown);
    }
    if (args.format != FORMAT_CSV && query_previous(store, &args, &prev, err, sizeof err) != 0) {
        tg_spend_report_free(&report);
        tg_store_close(store);
        return cli_error(common, "%s", err);
    }
    if (args.budget && load_budget_rows(common, store, &args, &report) != 0) {
        tg_spend_report_free(&report);
        free(args.budget_rows);
        tg_budget_config_free(&args.budget_config);
        tg_store_close(store);
        return EXIT_FAILED;
    }
    if (args.format == FORMAT_JSON) {
        print_json(&args, &report, &prev);
    } else if (args.format == FORMAT_CSV) {
        print_csv(&args, &report);
    } else {
        print_window(&args, &report);
        if (prev.shown)
            print_summary(&report, &prev);
        print_table(&args, &report);
        print_notes(&report);
    }
    tg_spend_report_free(&report);
    free(args.budget_rows);
    tg_budget_config_free(&args.budget_config);
    tg_store_close(store);
    return 0;
}

const struct command_entry cmd_report_entry = {"report", cmd_report, cmd_report_usage,
                                               "Spend by developer, key, model, day or hour",
                                               {report_options}};
