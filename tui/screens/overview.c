#define _XOPEN_SOURCE_EXTENDED 1
#include "screens/overview.h"

#include <ncurses.h>
#include <stdio.h>

#include "base/format.h"
#include "base/sanitize.h"
#include "base/timeutil.h"
#include "query/spend.h"
#include "screens/budgets.h"

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

enum top { TOP_KEYS, TOP_MODELS, NTOPS };

static struct {
    struct tg_spend_report developers; /* the totals and the top developers */
    bool developers_loaded;
    struct tg_spend_report timeline;   /* spend per hour or day */
    bool timeline_loaded;
    struct tg_spend_report tops[NTOPS];
    bool tops_loaded;
    bool tops_pending; /* loaded right after the totals are painted */
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
    free_tops();
}

/* Hours for a day or less, days beyond. */
static enum tg_spend_by timeline_unit(const struct ui *ui)
{
    int64_t since = ui_window_since(ui), until = ui_window_until(ui);
    int64_t span = until == INT64_MAX ? tg_now_ms() - since : until - since;
    return span <= 2 * TG_DAY_MS ? TG_BY_HOUR : TG_BY_DAY;
}

static void load(struct ui *ui)
{
    ov.tops_pending = true; /* the totals first; the chart and the tops a moment later */
    free_report(&ov.developers, &ov.developers_loaded);
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
    ov.timeline_loaded = tg_spend_query(ui->store, timeline_unit(ui), &f, 0, &ov.timeline, err, sizeof err) == 0;
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

/* Spend over time as vertical bars, eighth-block resolution, scaled to the
 * busiest hour or day of the window. */
static void draw_timeline(const struct ui *ui, int y0, int height)
{
    static const char *const blocks[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    const struct tg_spend_report *t = &ov.timeline;
    if (t->count == 0)
        return;
    /* one slot per hour or day of the window, so quiet days show as gaps */
    int64_t unit = timeline_unit(ui) == TG_BY_HOUR ? TG_HOUR_MS : TG_DAY_MS;
    int64_t until = ui_window_until(ui), since = ui_window_since(ui);
    int64_t last_slot = (until == INT64_MAX ? tg_now_ms() : until - 1) / unit;
    int64_t first_slot = since > 0 ? since / unit : t->rows[0].group_id;
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
    for (size_t i = 0; i < t->count; i++) {
        if (t->rows[i].group_id < first_slot || t->rows[i].group_id > last_slot)
            continue;
        int eighths = (int)((double)t->rows[i].cost / (double)max * height * 8 + 0.5);
        int x = (int)(t->rows[i].group_id - first_slot) * per;
        for (int row = 0; row < height; row++) {
            int level = eighths - (height - 1 - row) * 8;
            level = level < 0 ? 0 : level > 8 ? 8 : level;
            for (int k = 0; k < per - (per > 1); k++)
                draw_text(y0 + row, x + k, blocks[level], 1);
        }
    }
    char peak[32], label[128];
    tg_nanos_format_human(max, peak, sizeof peak);
    snprintf(label, sizeof label, "spend per %s, the highest %s; oldest left, gaps are quiet %ss",
             unit == TG_HOUR_MS ? "hour" : "day", peak, unit == TG_HOUR_MS ? "hour" : "day");
    draw_text(y0 + height, 0, label, COLS);
}

/* One of the three top columns: name, share bar, spend. */
static void draw_top(const struct tg_spend_report *t, const char *title, int y0, int x0, int width, int height)
{
    if (width < TOP_MIN_COLS)
        return;
    attron(A_BOLD);
    draw_text(y0, x0, title, width - 1);
    attroff(A_BOLD);
    int name_w = width - TOP_BAR_COLS - TOP_SPEND_COLS - 2; /* a space before the spend, one after */
    for (int i = 0; i < height - 1 && i < (int)t->count; i++) {
        const struct tg_spend_row *r = &t->rows[i];
        char name[256], spend[32];
        tg_sanitize(r->name, name, sizeof name);
        tg_nanos_format_human(r->cost, spend, sizeof spend);
        draw_padded(y0 + 1 + i, x0, name, name_w);
        draw_bar(y0 + 1 + i, x0 + name_w, r->cost, t->total.cost, TOP_BAR_COLS);
        mvprintw(y0 + 1 + i, x0 + name_w + TOP_BAR_COLS, " %*s", TOP_SPEND_COLS, spend);
    }
}

static void draw_totals(const struct tg_spend_row *t)
{
    char spend[32], est[32], reqs[32], tokens[32], p50[32], p95[32];
    tg_nanos_format_human(t->cost, spend, sizeof spend);
    tg_nanos_format_human(t->cost_estimated, est, sizeof est);
    tg_format_count(t->requests, reqs, sizeof reqs);
    tg_format_tokens(t->total_tokens, tokens, sizeof tokens);
    tg_format_ms(tg_latency_quantile_ms(&t->latency, 0.5), p50, sizeof p50);
    tg_format_ms(tg_latency_quantile_ms(&t->latency, 0.95), p95, sizeof p95);
    double error_rate = t->requests ? 100.0 * (double)t->errors / (double)t->requests : 0;
    double cache = t->prompt_tokens ? 100.0 * (double)t->cache_read_tokens / (double)t->prompt_tokens : 0;
    attron(A_BOLD);
    mvprintw(TOTALS_ROW, 0, "Spend %s", spend);
    attroff(A_BOLD);
    printw("  (estimated %s", est);
    if (t->unpriced)
        printw(", %lld unpriced", (long long)t->unpriced);
    printw(")  requests %s  tokens %s", reqs, tokens);
    mvprintw(TOTALS_ROW + 1, 0, "errors %.1f%%  cache hits %.0f%% of prompt  latency p50 %s p95 %s", error_rate, cache,
             p50, p95);
    if (t->refused_revoked) /* not in the error rate: see query/refused.h */
        printw("  refused: revoked key %lld", (long long)t->refused_revoked);
}

static void draw(struct ui *ui)
{
    if (!ov.developers_loaded)
        return;
    draw_totals(&ov.developers.total);
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
