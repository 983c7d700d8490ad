#define _XOPEN_SOURCE_EXTENDED 1
#include "screens/budgets.h"

#include <ncurses.h>
#include <stdio.h>
#include <string.h>

#include "base/budgetconf.h"
#include "base/sanitize.h"
#include "base/timeutil.h"
#include "ops/budget.h"
#include "ops/keyhygiene.h"

#define HEADER_ROW 1
#define FIRST_ROW 2
#define NAME_MIN 10
#define NAME_MAX 32
#define SPARK_COLS TG_FORECAST_SPARK_DAYS
#define OVERVIEW_CLOSEST 3
/* Colour pairs of this screen, past those app.c sets up. */
enum { PAIR_OK = 20, PAIR_WARN, PAIR_OVER };

static struct {
    struct tg_budget_config config;
    struct tg_budget_statuses statuses;
    struct tg_key_findings keys;
    bool loaded, keys_loaded;
    char config_path[4200];
    char problem[600]; /* why nothing could be loaded, sanitised */
    int top;
} bs;

void budgets_free(void)
{
    if (bs.loaded) {
        tg_budget_statuses_free(&bs.statuses);
        tg_budget_config_free(&bs.config);
    }
    if (bs.keys_loaded)
        tg_key_findings_free(&bs.keys);
    bs.loaded = bs.keys_loaded = false;
}

static void init_colours(const struct ui *ui)
{
    if (!ui->colour)
        return;
    init_pair(PAIR_OK, COLOR_GREEN, -1);
    init_pair(PAIR_WARN, COLOR_YELLOW, -1);
    init_pair(PAIR_OVER, COLOR_RED, -1);
}

static void load_budgets(struct ui *ui)
{
    budgets_free();
    init_colours(ui);
    bs.problem[0] = '\0';
    char err[512];
    if (tg_budget_config_path(bs.config_path, sizeof bs.config_path, err, sizeof err) != 0 ||
        tg_budget_config_load(bs.config_path, &bs.config, err, sizeof err) != 0) {
        tg_sanitize(err, bs.problem, sizeof bs.problem);
        return;
    }
    if (tg_budget_evaluate(ui->store, &bs.config, tg_now_ms(), &bs.statuses, err, sizeof err) != 0) {
        tg_budget_config_free(&bs.config);
        tg_sanitize(err, bs.problem, sizeof bs.problem);
        return;
    }
    bs.loaded = true;
}

static void load(struct ui *ui)
{
    load_budgets(ui);
    char err[512];
    if (tg_key_hygiene(ui->store, tg_now_ms(), TG_KEY_DORMANT_DAYS, &bs.keys, err, sizeof err) == 0)
        bs.keys_loaded = true;
}

static int tier_pair(enum tg_budget_tier tier)
{
    return tier == TG_TIER_OVER ? PAIR_OVER : tier == TG_TIER_WARN ? PAIR_WARN : PAIR_OK;
}

/* "[#####     ]": the share used, full past 100%; coloured by tier when colour is on. */
static void draw_use_bar(const struct ui *ui, int y, int x, const struct tg_budget_status *s, int width)
{
    int inner = width - 2, n = (int)(s->percent / 100.0 * inner + 0.5);
    if (n > inner)
        n = inner;
    if (n < 0)
        n = 0;
    mvaddch(y, x, '[');
    if (ui->colour)
        attron(COLOR_PAIR(tier_pair(s->tier)) | A_BOLD);
    for (int i = 0; i < inner; i++)
        addch(i < n ? (s->tier == TG_TIER_OK ? '#' : s->tier == TG_TIER_WARN ? '=' : '!') : ' ');
    if (ui->colour)
        attroff(COLOR_PAIR(tier_pair(s->tier)) | A_BOLD);
    addch(']');
}

static void draw_spark(int y, int x, const tg_nanos *daily, int cols)
{
    static const char *const blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    tg_nanos max = 0;
    for (int i = 0; i < SPARK_COLS; i++)
        max = daily[i] > max ? daily[i] : max;
    int first = SPARK_COLS - cols;
    for (int i = first < 0 ? 0 : first; i < SPARK_COLS; i++) {
        const char *b = daily[i] <= 0 || max <= 0 ? " " : blocks[(int)((double)daily[i] / (double)max * 7 + 0.5)];
        draw_text(y, x + i - (first < 0 ? 0 : first), b, 1);
    }
}

struct layout {
    int name, limit, spent, bar, pct, tier, forecast, range, runs_out, spark;
};

/* Columns from the width: the range, runs-out and the sparkline only when they fit. */
static struct layout layout_for(int cols)
{
    struct layout l = {.limit = 13, .spent = 10, .bar = 12, .pct = 5, .tier = 5, .forecast = 10};
    int used = l.limit + l.spent + l.bar + l.pct + l.tier + l.forecast + 6;
    int rest = cols - used - NAME_MIN;
    if (rest >= 10) {
        l.runs_out = 9;
        rest -= 10;
    }
    if (rest >= 24) {
        l.range = 23;
        rest -= 24;
    }
    if (rest >= SPARK_COLS + 1) {
        l.spark = SPARK_COLS;
        rest -= SPARK_COLS + 1;
    }
    if (rest >= 20) { /* a wide terminal: a longer bar */
        l.bar += 10;
        rest -= 10;
    }
    l.name = NAME_MIN + (rest > NAME_MAX - NAME_MIN ? NAME_MAX - NAME_MIN : rest);
    return l;
}

static void draw_headers(const struct layout *l)
{
    attron(A_BOLD);
    int x = 0;
    draw_padded(HEADER_ROW, x, "BUDGET", l->name), x += l->name + 1;
    mvprintw(HEADER_ROW, x, "%*s", l->limit, "LIMIT"), x += l->limit + 1;
    mvprintw(HEADER_ROW, x, "%*s", l->spent, "SPENT"), x += l->spent + 1;
    mvprintw(HEADER_ROW, x, "%-*s", l->bar, "USED"), x += l->bar;
    mvprintw(HEADER_ROW, x, "%*s", l->pct, "%"), x += l->pct + 1;
    mvprintw(HEADER_ROW, x, "%-*s", l->tier, "TIER"), x += l->tier;
    mvprintw(HEADER_ROW, x, "%*s", l->forecast, "FORECAST"), x += l->forecast + 1;
    if (l->range)
        mvprintw(HEADER_ROW, x, "%-*s", l->range, "RANGE (90%)"), x += l->range + 1;
    if (l->runs_out)
        mvprintw(HEADER_ROW, x, "%*s", l->runs_out, "RUNS OUT"), x += l->runs_out + 1;
    if (l->spark)
        mvprintw(HEADER_ROW, x, "%-*s", l->spark, "LAST 30 DAYS");
    attroff(A_BOLD);
}

static void short_money(tg_nanos v, char *buf, size_t len)
{
    tg_nanos_format_human(v, buf, len);
    size_t n = strlen(buf);
    if (n > 4 && v >= 1000 * TG_NANOS_PER_DOLLAR && strcmp(buf + n - 3, ".00") == 0)
        buf[n - 3] = '\0'; /* "$1,500" */
}

static void draw_row(const struct ui *ui, int y, const struct layout *l, const struct tg_budget_status *s)
{
    char label[TG_BUDGET_NAME_MAX + 32], clean[256], amount[48], limit[64], spent[48], fc[48], lo[48], hi[48],
        range[120], days[32];
    tg_budget_label(s->budget, label, sizeof label);
    tg_sanitize(label, clean, sizeof clean);
    short_money(s->budget->amount, amount, sizeof amount);
    static const char *const per[] = {"/d", "/wk", "/mo"};
    snprintf(limit, sizeof limit, "%s%s", amount, per[s->budget->period]);
    short_money(s->forecast.spent, spent, sizeof spent);
    short_money(s->forecast.forecast, fc, sizeof fc);
    short_money(s->forecast.low, lo, sizeof lo);
    short_money(s->forecast.high, hi, sizeof hi);
    snprintf(range, sizeof range, "%s - %s", lo, hi);
    if (s->days_left < 0)
        snprintf(days, sizeof days, "-");
    else if (s->days_left == 0)
        snprintf(days, sizeof days, "now");
    else
        snprintf(days, sizeof days, "%.1fd", s->days_left);
    int x = 0;
    draw_padded(y, x, clean, l->name), x += l->name + 1;
    mvprintw(y, x, "%*.*s", l->limit, l->limit, limit), x += l->limit + 1;
    mvprintw(y, x, "%*.*s", l->spent, l->spent, spent), x += l->spent + 1;
    draw_use_bar(ui, y, x, s, l->bar - 1), x += l->bar;
    mvprintw(y, x, "%*.0f%%", l->pct - 1, s->percent > 9999 ? 9999.0 : s->percent), x += l->pct + 1;
    if (ui->colour && s->tier != TG_TIER_OK)
        attron(COLOR_PAIR(tier_pair(s->tier)) | A_BOLD);
    mvprintw(y, x, "%-*s", l->tier, tg_budget_tier_name(s->tier));
    if (ui->colour && s->tier != TG_TIER_OK)
        attroff(COLOR_PAIR(tier_pair(s->tier)) | A_BOLD);
    x += l->tier;
    if (s->forecast_over && ui->colour)
        attron(COLOR_PAIR(PAIR_OVER));
    mvprintw(y, x, "%*.*s", l->forecast, l->forecast, fc), x += l->forecast + 1;
    if (s->forecast_over && ui->colour)
        attroff(COLOR_PAIR(PAIR_OVER));
    if (l->range)
        mvprintw(y, x, "%-*.*s", l->range, l->range, range), x += l->range + 1;
    if (l->runs_out)
        mvprintw(y, x, "%*s", l->runs_out, days), x += l->runs_out + 1;
    if (l->spark)
        draw_spark(y, x, s->forecast.daily, l->spark);
}

static int draw_keys(int y)
{
    if (!bs.keys_loaded || y >= LINES - 2)
        return y;
    int counts[TG_KEY_NFINDINGS] = {0};
    for (size_t i = 0; i < bs.keys.count; i++)
        counts[bs.keys.items[i].kind]++;
    char line[512];
    snprintf(line, sizeof line, "Keys: %d dormant (no request in %d days), %d shared, %d never used, %d used after revocation",
             counts[TG_KEY_DORMANT], TG_KEY_DORMANT_DAYS, counts[TG_KEY_SHARED], counts[TG_KEY_NEVER_USED],
             counts[TG_KEY_USED_AFTER_REVOCATION]);
    attron(A_BOLD);
    draw_text(y++, 0, line, COLS);
    attroff(A_BOLD);
    for (size_t i = 0; i < bs.keys.count && y < LINES - 1; i++) {
        const struct tg_key_finding *k = &bs.keys.items[i];
        char key[128], owner[128];
        tg_sanitize(k->key, key, sizeof key);
        tg_sanitize(k->users ? k->users : k->owner ? k->owner : "-", owner, sizeof owner);
        snprintf(line, sizeof line, "  %-16s %s  %s", tg_key_finding_name(k->kind) + 4, key, owner);
        draw_text(y++, 0, line, COLS);
    }
    return y;
}

static void draw(struct ui *ui)
{
    if (bs.problem[0]) {
        draw_text(FIRST_ROW, 0, bs.problem, COLS);
        return;
    }
    int y = FIRST_ROW;
    if (!bs.loaded || bs.statuses.count == 0) {
        draw_text(y++, 0, "No budgets yet. Set one:  tollgate budget set alice 200/month", COLS);
        char where[4300];
        snprintf(where, sizeof where, "or add a [budgets] section to %s (see assets/config.example)", bs.config_path);
        char clean[4400];
        tg_sanitize(where, clean, sizeof clean);
        draw_text(y++, 0, clean, COLS);
        draw_keys(y + 1);
        return;
    }
    struct layout l = layout_for(COLS);
    draw_headers(&l);
    int room = LINES - 1 - FIRST_ROW - 2; /* two lines for the keys' summary */
    if (bs.top > (int)bs.statuses.count - 1)
        bs.top = 0;
    for (int i = bs.top; i < (int)bs.statuses.count && y < FIRST_ROW + room; i++)
        draw_row(ui, y++, &l, &bs.statuses.items[i]);
    draw_keys(y + 1);
}

static void key_scroll(struct ui *ui, int ch)
{
    (void)ui;
    int step = ch == KEY_UP || ch == 'k' ? -1 : ch == KEY_DOWN || ch == 'j' ? 1 : 0;
    if (ch == KEY_MOUSE)
        step = mouse_wheel_step();
    bs.top += step;
    if (bs.top > (int)bs.statuses.count - 1)
        bs.top = (int)bs.statuses.count - 1;
    if (bs.top < 0)
        bs.top = 0;
}

static void key_reload(struct ui *ui, int ch)
{
    (void)ch;
    load(ui);
    ui_status(ui, "budgets read again from %s", bs.config_path[0] ? "the config file" : "nowhere");
}

static const struct binding keys[] = {
    {{KEY_UP, KEY_DOWN, 'j', 'k', KEY_MOUSE}, "scroll the budgets", key_scroll},
    {{'r'}, "read the budgets again from the config file (after `tollgate budget set`)", key_reload},
    {{0}, NULL, NULL},
};

const struct screen_ops budgets_screen = {
    .name = "Budgets",
    .load = load,
    .draw = draw,
    .keys = keys,
};

void budgets_overview_load(struct ui *ui)
{
    load_budgets(ui);
}

bool budgets_org_per(int64_t unit_ms, tg_nanos *out)
{
    for (size_t i = 0; bs.loaded && i < bs.statuses.count; i++) {
        const struct tg_budget_status *s = &bs.statuses.items[i];
        int64_t period = s->forecast.period_end_ms - s->forecast.period_start_ms;
        if (s->budget->scope != TG_BUDGET_ORG || period <= 0 || unit_ms <= 0)
            continue;
        /* a scale for drawing, not an amount anyone is charged: a rounded
         * quotient is exact enough, and amount x unit would overflow int64 */
        *out = (tg_nanos)((long double)s->budget->amount * (long double)unit_ms / (long double)period + 0.5L);
        return true;
    }
    return false;
}

void budgets_overview_draw(const struct ui *ui, int y)
{
    if (!bs.loaded || bs.statuses.count == 0)
        return;
    char line[1024] = "", part[400];
    size_t n = 0;
    const struct tg_budget_status *org = NULL;
    for (size_t i = 0; i < bs.statuses.count; i++) {
        if (bs.statuses.items[i].budget->scope == TG_BUDGET_ORG)
            org = &bs.statuses.items[i];
    }
    if (org) {
        char spent[48], amount[48], fc[48], lo[48], hi[48];
        short_money(org->forecast.spent, spent, sizeof spent);
        short_money(org->budget->amount, amount, sizeof amount);
        short_money(org->forecast.forecast, fc, sizeof fc);
        short_money(org->forecast.low, lo, sizeof lo);
        short_money(org->forecast.high, hi, sizeof hi);
        n += (size_t)snprintf(line, sizeof line, "Budget %s of %s this %s (%.0f%%, %s), forecast %s (%s-%s)", spent,
                              amount, tg_budget_period_name(org->budget->period), org->percent,
                              tg_budget_tier_name(org->tier), fc, lo, hi);
    }
    int shown = 0;
    for (size_t i = 0; i < bs.statuses.count && shown < OVERVIEW_CLOSEST; i++) {
        const struct tg_budget_status *s = &bs.statuses.items[i]; /* the most used first */
        if (s == org)
            continue;
        char label[TG_BUDGET_NAME_MAX + 32], clean[128];
        tg_budget_label(s->budget, label, sizeof label);
        tg_sanitize(label, clean, sizeof clean);
        snprintf(part, sizeof part, "%s%s %.0f%%", shown ? ", " : n ? "  closest: " : "Budgets closest to their limits: ",
                 clean, s->percent);
        if (n + strlen(part) < sizeof line)
            n += (size_t)snprintf(line + n, sizeof line - n, "%s", part);
        shown++;
    }
    enum tg_budget_tier worst = bs.statuses.items[0].tier;
    if (ui->colour && worst != TG_TIER_OK)
        attron(COLOR_PAIR(tier_pair(worst)));
    draw_text(y, 0, line, COLS);
    if (ui->colour && worst != TG_TIER_OK)
        attroff(COLOR_PAIR(tier_pair(worst)));
}
