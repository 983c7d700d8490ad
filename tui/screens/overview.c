#define _XOPEN_SOURCE_EXTENDED 1
#include "screens/overview.h"

#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/format.h"
#include "base/sanitize.h"
#include "base/timeutil.h"
#include "query/browse.h"
#include "query/spend.h"
#include "screens/budgets.h"
#include "query/timeline.h"

#define TOTALS_ROW 2
#define BUDGET_ROW 4            /* the org budget and the closest to their limits */
#define CHART_ROW 5
#define CHART_ROWS 5
#define CHART_MIN_LINES 20    /* shorter terminals skip the chart */
#define TOPS_ROW 5            /* without the chart */
#define TOPS_ROW_WITH_CHART 12
#define TOP_LIMIT 20
#define TOP_MIN_COLS 20       /* a narrower top column is left out */
#define TOP_BAR_COLS 4
#define TOP_SPEND_COLS 9
#define CHART_MAX_SLOT_COLS 4
#define RAW_TIMELINE_MAX_MS (3 * TG_HOUR_MS) /* shorter windows chart minutes from raw rows */
#define AXIS_LABEL_COLS 5

enum top { TOP_KEYS, TOP_MODELS, NTOPS };

static struct {
    struct tg_spend_report developers; /* the totals and the top developers */
    bool developers_loaded;
    struct tg_spend_report timeline;   /* spend per hour or day */
    bool timeline_loaded;
    struct tg_spend_report tops[NTOPS];
    bool tops_loaded;
    bool tops_pending; /* loaded right after the totals are painted */
    struct tg_spend_report previous;   /* the period before the window, for the changes */
    bool previous_loaded;
    bool empty_db;                     /* no log at all yet: say how to get some in */
} ov;

static void free_report(struct tg_spend_report *r, bool *loaded)
{
    if (*loaded)
        tg_spend_report_free(r);
    *loaded = false;
}

static void free_tops(void)
{
    if (!ov.tops_loaded)
        return;
    for (int i = 0; i < NTOPS; i++)
        tg_spend_report_free(&ov.tops[i]);
    ov.tops_loaded = false;
}

void overview_free(void)
{
    free_report(&ov.developers, &ov.developers_loaded);
    free_report(&ov.timeline, &ov.timeline_loaded);
    free_report(&ov.previous, &ov.previous_loaded);
    free_tops();
}

/* The chart's bucket: minutes for a few hours (from raw rows), hours for up
 * to two days, days beyond. */
static int64_t timeline_unit(const struct ui *ui)
{
    int64_t since = ui_window_since(ui), until = ui_window_until(ui);
    int64_t span = until == INT64_MAX ? tg_now_ms() - since : until - since;
    return span <= RAW_TIMELINE_MAX_MS ? 60000 : span <= 2 * TG_DAY_MS ? TG_HOUR_MS : TG_DAY_MS;
}

static int load_timeline(struct ui *ui, const struct tg_spend_filter *f, char *err, size_t errlen)
{
    int64_t unit = timeline_unit(ui);
    if (unit < TG_HOUR_MS) {
        int64_t until = ui_window_until(ui) == INT64_MAX ? tg_now_ms() + 1 : ui_window_until(ui);
        return tg_timeline_raw(ui->store, ui_window_since(ui), until, unit, &ov.timeline, err, errlen);
    }
    return tg_spend_query(ui->store, unit == TG_HOUR_MS ? TG_BY_HOUR : TG_BY_DAY, f, 0, &ov.timeline, err, errlen);
}

static void load(struct ui *ui)
{
    ov.tops_pending = true; /* the totals first; the chart and the tops a moment later */
    free_report(&ov.developers, &ov.developers_loaded);
    ov.empty_db = tg_browse_newest_ms(ui->store) < 0;
    struct tg_spend_filter f = ui_spend_filter(ui);
    char err[256];
    if (tg_spend_query(ui->store, TG_BY_DEVELOPER, &f, 0, &ov.developers, err, sizeof err) == 0)
        ov.developers_loaded = true;
    else
        ui_status(ui, "%s", err);
}

static bool load_more(struct ui *ui)
{
    if (!ov.tops_pending)
        return false;
    ov.tops_pending = false;
    struct tg_spend_filter f = ui_spend_filter(ui);
    char err[200];
    free_report(&ov.timeline, &ov.timeline_loaded);
    ov.timeline_loaded = load_timeline(ui, &f, err, sizeof err) == 0;
    free_report(&ov.previous, &ov.previous_loaded);
    struct tg_spend_filter before;
    if (ui_window_previous(ui, &before))
        ov.previous_loaded = tg_spend_query(ui->store, TG_BY_DAY, &before, 1, &ov.previous, err, sizeof err) == 0;
    free_tops();
    static const enum tg_spend_by by[NTOPS] = {[TOP_KEYS] = TG_BY_KEY, [TOP_MODELS] = TG_BY_MODEL};
    for (int i = 0; i < NTOPS; i++) {
        if (tg_spend_query(ui->store, by[i], &f, TOP_LIMIT, &ov.tops[i], err, sizeof err) != 0) {
            for (int j = 0; j < i; j++)
                tg_spend_report_free(&ov.tops[j]);
            return true;
        }
    }
    ov.tops_loaded = true;
    budgets_overview_load(ui);
    return true;
}

/* Under the chart: the time at the start of a slot every few slots. */
/* The chart follows the spend query: days are local dates unless --utc (or
 * the zone is UTC), and hours and minutes read in local time. */
static bool chart_local(const struct ui *ui)
{
    struct tg_spend_filter f = ui_spend_filter(ui);
    return tg_spend_local_days(TG_BY_DAY, &f);
}

/* The slot a time falls in: the same numbers the timeline's rows carry. */
static int64_t slot_of(bool local, int64_t ms, int64_t unit)
{
    if (local && unit == TG_DAY_MS)
        return tg_spend_local_day_ms(ms);
    return ms / unit;
}

/* "11-24" for a day slot (a local day's number is its date's), "10:00" for
 * an hour or minute, in local time when local. */
static void axis_label(bool local, int64_t slot, int64_t unit, char *label, size_t len)
{
    time_t at = (time_t)(slot * (unit / 1000));
    struct tm tm;
    if (local && unit != TG_DAY_MS && localtime_r(&at, &tm)) {
        snprintf(label, len, "%02d:%02d", tm.tm_hour, tm.tm_min);
        return;
    }
    char iso[40];
    tg_time_format_iso(slot * unit, iso, sizeof iso);
    snprintf(label, len, "%.5s", unit == TG_DAY_MS ? iso + 5 : iso + 11);
}

static void draw_axis(int y, int64_t first_slot, int slots, int per, int64_t unit, bool local)
{
    int step = (AXIS_LABEL_COLS + 1 + per - 1) / per; /* slots between labels */
    if (unit == 60000 && step < 15)
        step = step <= 5 ? 5 : step <= 10 ? 10 : 15; /* on round minutes */
    for (int s = 0; s < slots; s++) {
        int64_t slot = first_slot + s;
        if (slot % step != 0 || s * per + AXIS_LABEL_COLS > COLS - 1)
            continue;
        char label[16];
        axis_label(local, slot, unit, label, sizeof label);
        draw_text(y, s * per, "|", 1);
        draw_text(y, s * per + 1, label, AXIS_LABEL_COLS);
    }
}

/* The org budget's share of one slot as a row of the chart: the row whose
 * height holds budget / max x height rows, 0 the top; -1 above the chart. */
static int budget_row(tg_nanos budget, tg_nanos max, int height)
{
    if (budget > max)
        return -1;
    double level = (double)budget / (double)max * height; /* rows from the bottom, (0, height] */
    int rows_up = (int)level + ((double)(int)level < level);
    return height - (rows_up < 1 ? 1 : rows_up);
}

/* The budget line across the slots drawn; the bars are drawn over it. */
static void draw_budget_line(int y, int width)
{
    const char *dash = MB_CUR_MAX > 1 ? "┈" : "-";
    for (int x = 0; x < width && x < COLS; x++)
        draw_text(y, x, dash, 1);
}

/* Under the chart: what a slot is, its highest, and the budget line's figure. */
static void draw_chart_label(int y, int64_t unit, bool local, tg_nanos max, bool has_budget, tg_nanos budget,
                             bool above)
{
    const char *name = unit == TG_DAY_MS ? "day" : unit == TG_HOUR_MS ? "hour" : "minute";
    char peak[32], per[32], label[240], tail[80];
    tg_nanos_format_human(max, peak, sizeof peak);
    int n = snprintf(label, sizeof label, "spend per %s (%s), the highest %s", name, local ? "local time" : "UTC",
                     peak);
    if (has_budget) {
        tg_nanos_format_human(budget, per, sizeof per);
        n += snprintf(label + n, sizeof label - (size_t)n, above ? "; budget/%s %s, above the chart" : "; %s budget/%s %s",
                      above ? name : MB_CUR_MAX > 1 ? "┈┈" : "--", above ? per : name, above ? "" : per);
    }
    snprintf(tail, sizeof tail, "; gaps are quiet %ss", name);
    if (n + (int)strlen(tail) <= COLS) /* the budget first: it matters more than the gaps */
        snprintf(label + n, sizeof label - (size_t)n, "%s", tail);
    draw_text(y, 0, label, COLS);
}

/* Spend over time as vertical bars, eighth-block resolution, scaled to the
 * busiest slot of the window, with a time axis under them and the org
 * budget's share of a slot as a line across them. */
static void draw_timeline(const struct ui *ui, int y0, int height)
{
    static const char *const blocks[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    const struct tg_spend_report *t = &ov.timeline;
    if (t->count == 0)
        return;
    /* one slot per minute, hour or day of the window, so quiet ones show as gaps */
    int64_t unit = timeline_unit(ui);
    bool local = chart_local(ui);
    int64_t until = ui_window_until(ui), since = ui_window_since(ui);
    int64_t last_slot = slot_of(local, until == INT64_MAX ? tg_now_ms() : until - 1, unit);
    int64_t first_slot = since > 0 ? slot_of(local, since, unit) : t->rows[0].group_id;
    if (t->rows[t->count - 1].group_id > last_slot)
        last_slot = t->rows[t->count - 1].group_id;
    int usable = COLS - 2;
    if (last_slot - first_slot + 1 > usable) /* the newest that fit */
        first_slot = last_slot - usable + 1;
    int slots = (int)(last_slot - first_slot + 1);
    int per = usable / slots > 0 ? usable / slots : 1;
    if (per > CHART_MAX_SLOT_COLS)
        per = CHART_MAX_SLOT_COLS;
    tg_nanos max = 1;
    for (size_t i = 0; i < t->count; i++) {
        if (t->rows[i].group_id >= first_slot && t->rows[i].cost > max)
            max = t->rows[i].cost;
    }
    tg_nanos budget = 0;
    bool has_budget = budgets_org_per(unit, &budget);
    int line = has_budget ? budget_row(budget, max, height) : -1;
    if (line >= 0)
        draw_budget_line(y0 + line, slots * per);
    for (size_t i = 0; i < t->count; i++) {
        if (t->rows[i].group_id < first_slot || t->rows[i].group_id > last_slot)
            continue;
        int eighths = (int)((double)t->rows[i].cost / (double)max * height * 8 + 0.5);
        int x = (int)(t->rows[i].group_id - first_slot) * per;
        for (int row = 0; row < height; row++) {
            int level = eighths - (height - 1 - row) * 8;
            level = level < 0 ? 0 : level > 8 ? 8 : level;
            if (level == 0 && row == line)
                continue; /* the budget line shows through above the bar */
            for (int k = 0; k < per - (per > 1); k++)
                draw_text(y0 + row, x + k, blocks[level], 1);
        }
    }
    draw_axis(y0 + height, first_slot, slots, per, unit, local);
    draw_chart_label(y0 + height + 1, unit, local, max, has_budget, budget, has_budget && line < 0);
}

/* One of the three top columns: name, share bar, spend. */
static void draw_top(const struct tg_spend_report *t, const char *title, int y0, int x0, int width, int height)
{
    if (width < TOP_MIN_COLS)
        return;
    attron(A_BOLD);
    draw_text(y0, x0, title, width - 1);
    attroff(A_BOLD);
    /* the bar grows with the column; a space after the name, one before the spend, one after */
    int bar_w = (width - 30) / 2 > TOP_BAR_COLS ? (width - 30) / 2 : TOP_BAR_COLS;
    int name_w = width - bar_w - TOP_SPEND_COLS - 3;
    for (int i = 0; i < height - 1 && i < (int)t->count; i++) {
        const struct tg_spend_row *r = &t->rows[i];
        char name[256], spend[32];
        tg_sanitize(r->name, name, sizeof name);
        tg_nanos_format_human(r->cost, spend, sizeof spend);
        draw_padded(y0 + 1 + i, x0, name, name_w);
        mvaddch(y0 + 1 + i, x0 + name_w, ' ');
        draw_bar(y0 + 1 + i, x0 + name_w + 1, r->cost, t->total.cost, bar_w);
        mvprintw(y0 + 1 + i, x0 + name_w + 1 + bar_w, " %*s", TOP_SPEND_COLS, spend);
    }
}

/* "+12%", "-3%", "new" (nothing before), "same". */
static void change(double now, double before, char *buf, size_t len)
{
    if (before == 0) {
        snprintf(buf, len, now == 0 ? "same" : "new");
        return;
    }
    double pct = 100.0 * (now - before) / before;
    if (pct > -0.5 && pct < 0.5)
        snprintf(buf, len, "same");
    else
        snprintf(buf, len, "%+.0f%%", pct);
}

static double error_rate(const struct tg_spend_row *t)
{
    return t->requests ? 100.0 * (double)t->errors / (double)t->requests : 0;
}

static void draw_totals(const struct tg_spend_row *t, const struct tg_spend_row *before)
{
    char spend[32], est[32], reqs[32], tokens[32], p50[32], p95[32], line[400];
    tg_nanos_format_human(t->cost, spend, sizeof spend);
    tg_nanos_format_human(t->cost_estimated, est, sizeof est);
    tg_format_count(t->requests, reqs, sizeof reqs);
    tg_format_tokens(t->total_tokens, tokens, sizeof tokens);
    tg_format_ms(tg_latency_quantile_ms(&t->latency, 0.5), p50, sizeof p50);
    tg_format_ms(tg_latency_quantile_ms(&t->latency, 0.95), p95, sizeof p95);
    double cache = t->prompt_tokens ? 100.0 * (double)t->cache_read_tokens / (double)t->prompt_tokens : 0;
    char spend_change[64] = "", reqs_change[64] = "", errors_change[64] = "";
    if (before && before->requests == 0) {
        snprintf(spend_change, sizeof spend_change, " (nothing the period before)");
    } else if (before) {
        char c[16], prev[32];
        tg_nanos_format_human(before->cost, prev, sizeof prev);
        change((double)t->cost, (double)before->cost, c, sizeof c);
        snprintf(spend_change, sizeof spend_change, " (%s vs %s)", c, prev);
        change((double)t->requests, (double)before->requests, c, sizeof c);
        snprintf(reqs_change, sizeof reqs_change, " (%s)", c);
        snprintf(errors_change, sizeof errors_change, " (was %.1f%%)", error_rate(before));
    }
    attron(A_BOLD);
    int x = draw_text(TOTALS_ROW, 0, "Spend ", COLS);
    x += draw_text(TOTALS_ROW, x, spend, COLS - x);
    attroff(A_BOLD);
    snprintf(line, sizeof line, "%s  requests %s%s  tokens %s", spend_change, reqs, reqs_change, tokens);
    draw_text(TOTALS_ROW, x, line, COLS - x);
    snprintf(line, sizeof line, "errors %.1f%%%s  cache hits %.0f%%  p50 %s p95 %s  estimated %s", error_rate(t),
             errors_change, cache, p50, p95, est);
    if (t->unpriced)
        snprintf(line + strlen(line), sizeof line - strlen(line), ", %lld unpriced", (long long)t->unpriced);
    if (t->refused_revoked) /* not in the error rate: see query/refused.h */
        snprintf(line + strlen(line), sizeof line - strlen(line), "  refused: revoked key %lld",
                 (long long)t->refused_revoked);
    draw_text(TOTALS_ROW + 1, 0, line, COLS);
}

/* An empty db: how logs get in, instead of empty panels. */
static void draw_first_run(void)
{
    static const char *const lines[] = {
        "No logs yet. Four ways to get some in:",
        "",
        "  tollgate collect          receive logs over HTTP on 127.0.0.1:8787: point the gateway's",
        "                            log export, or a client's gateway base URL, at",
        "                            http://127.0.0.1:8787/api/  (LiteLLM: /litellm/logs)",
        "  tollgate sync             pull logs from the gateway (RESPAN_API_KEY, or LITELLM_BASE_URL",
        "                            and LITELLM_MASTER_KEY)",
        "  tollgate import FILE      load JSON Lines exported from the gateway",
        "  tollgate demo             made-up logs, to try these screens",
        "",
        "These screens follow new logs as they arrive: keep them open. README.md has the details.",
    };
    for (int i = 0; i < (int)(sizeof lines / sizeof lines[0]) && TOTALS_ROW + i < LINES - 1; i++)
        draw_text(TOTALS_ROW + i, 1, lines[i], COLS - 2);
}

static void draw(struct ui *ui)
{
    if (ov.empty_db) {
        draw_first_run();
        return;
    }
    if (!ov.developers_loaded)
        return;
    draw_totals(&ov.developers.total, ov.previous_loaded ? &ov.previous.total : NULL);
    budgets_overview_draw(ui, BUDGET_ROW);
    int tops_at = TOPS_ROW;
    if (LINES >= CHART_MIN_LINES && ov.timeline_loaded && ov.timeline.count > 0) {
        draw_timeline(ui, CHART_ROW, CHART_ROWS);
        tops_at = TOPS_ROW_WITH_CHART;
    }
    int width = COLS / 3, height = LINES - tops_at - 1;
    draw_top(&ov.developers, "TOP DEVELOPERS", tops_at, 0, width, height);
    if (ov.tops_loaded) {
        draw_top(&ov.tops[TOP_KEYS], "TOP KEYS", tops_at, width, width, height);
        draw_top(&ov.tops[TOP_MODELS], "TOP MODELS", tops_at, 2 * width, COLS - 2 * width, height);
    }
}

static const struct binding keys[] = {{{0}, NULL, NULL}};

const struct screen_ops overview_screen = {
    .name = "Overview",
    .load = load,
    .draw = draw,
    .keys = keys,
    .load_more = load_more,
};
