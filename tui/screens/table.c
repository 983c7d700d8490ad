#define _XOPEN_SOURCE_EXTENDED 1
#include "screens/table.h"

#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/format.h"
#include "base/sanitize.h"
#include "base/timeutil.h"
#include "ops/keys.h"
#include "query/filter.h"
#include "query/spend.h"
#include "screens/keyfilter.h"
#include "screens/lineedit.h"
#include "screens/requests.h"
#include "screens/revokebox.h"

/* The name column takes what the others leave, within these bounds; the share
 * bar grows with the terminal too, and RIGHT_MARGIN columns stay free. */
#define NAME_MIN_COLS 12
#define NAME_MAX_COLS 40
#define NAME_COMFORT_COLS 24
#define BAR_MIN_COLS 10
#define BAR_MAX_COLS 40
#define RIGHT_MARGIN 2
#define HEADER_ROW 1
#define MAX_COLUMNS 16

/* One line of the table: the window's spend (a zero row for a key the
 * gateway lists that was not used in the window) and, on Keys, what the db
 * knows of the key. */
struct trow {
    const struct tg_spend_row *spend;
    const struct tg_key_row *key; /* Keys only; NULL for "(no key)" */
};

enum width_kind { FIXED, NAME, BAR };

struct column {
    const char *title;
    const char *what;     /* "sorted by WHAT" */
    int width;            /* FIXED columns */
    enum width_kind kind;
    bool left;            /* aligned left (else right) */
    int priority;         /* what a narrow terminal drops first: the highest */
    void (*cell)(const struct trow *r, char *buf, size_t len);
    int (*compare)(const struct trow *x, const struct trow *y); /* the order s sorts this column in */
};

static struct {
    struct tg_spend_report report; /* the spend table of the screen shown */
    bool loaded;
    struct tg_key_rows keys;       /* Keys: every key the db knows */
    struct tg_spend_row *unused;   /* Keys: zero rows for keys without spend in the window */
    size_t unused_count;
    struct trow *rows;
    size_t count;
    char name_filter[128];         /* a substring of the names, "" for all */
    int sort[NSCREENS];            /* an index into the screen's columns */
    bool sort_chosen[NSCREENS];    /* else by spend */
    int cursor[NSCREENS], top[NSCREENS];
} panel;

static int64_t sign(int64_t v)
{
    return (v > 0) - (v < 0);
}

/* Cells and orders. Numbers sort largest first, names A to Z. */
static void name_cell(const struct trow *r, char *buf, size_t len) { tg_sanitize(r->spend->name, buf, len); }
static int by_name(const struct trow *x, const struct trow *y) { return strcmp(x->spend->name, y->spend->name); }

static void spend_cell(const struct trow *r, char *buf, size_t len) { tg_nanos_format_human(r->spend->cost, buf, len); }
static int by_spend(const struct trow *x, const struct trow *y) { return (int)sign(y->spend->cost - x->spend->cost); }

static void requests_cell(const struct trow *r, char *buf, size_t len) { tg_format_count(r->spend->requests, buf, len); }
static int by_requests(const struct trow *x, const struct trow *y)
{
    return (int)sign(y->spend->requests - x->spend->requests);
}

static void tokens_cell(const struct trow *r, char *buf, size_t len) { tg_format_tokens(r->spend->total_tokens, buf, len); }
static int by_tokens(const struct trow *x, const struct trow *y)
{
    return (int)sign(y->spend->total_tokens - x->spend->total_tokens);
}

static double error_rate(const struct trow *r)
{
    return r->spend->requests ? 100.0 * (double)r->spend->errors / (double)r->spend->requests : 0.0;
}
static void errors_cell(const struct trow *r, char *buf, size_t len) { snprintf(buf, len, "%.1f%%", error_rate(r)); }
static int by_errors(const struct trow *x, const struct trow *y)
{
    return (error_rate(y) > error_rate(x)) - (error_rate(y) < error_rate(x));
}

static int64_t p95(const struct trow *r) { return tg_latency_quantile_ms(&r->spend->latency, 0.95); }
static void p95_cell(const struct trow *r, char *buf, size_t len) { tg_format_ms(p95(r), buf, len); }
static int by_p95(const struct trow *x, const struct trow *y) { return (int)sign(p95(y) - p95(x)); }

static void last_cell(const struct trow *r, char *buf, size_t len) { format_ago(r->spend->last_ms, buf, len); }
static int by_last(const struct trow *x, const struct trow *y) { return (int)sign(y->spend->last_ms - x->spend->last_ms); }

/* Keys: what the db knows of the key, over all time. */
static void owner_cell(const struct trow *r, char *buf, size_t len)
{
    tg_sanitize(r->key && r->key->owner ? r->key->owner : "-", buf, len);
}
static int by_owner(const struct trow *x, const struct trow *y)
{
    return strcmp(x->key && x->key->owner ? x->key->owner : "~", y->key && y->key->owner ? y->key->owner : "~");
}

static const char *status_of(const struct trow *r)
{
    return r->key ? tg_key_status(r->key) : "-";
}
/* A revoked key still being tried says so: its agent is retrying, or the
 * key works after all (ops/keys: use after revocation). */
static void status_cell(const struct trow *r, char *buf, size_t len)
{
    if (r->key && r->key->after_revocation.attempts > 0)
        snprintf(buf, len, "%s, %lld tried", status_of(r), (long long)r->key->after_revocation.attempts);
    else
        snprintf(buf, len, "%s", status_of(r));
}
static int by_status(const struct trow *x, const struct trow *y) { return strcmp(status_of(x), status_of(y)); }

static int64_t created(const struct trow *r) { return r->key ? r->key->created_ms : -1; }
static void created_cell(const struct trow *r, char *buf, size_t len)
{
    char iso[40];
    if (created(r) < 0) {
        snprintf(buf, len, "-");
        return;
    }
    tg_time_format_iso(created(r), iso, sizeof iso);
    snprintf(buf, len, "%.10s", iso);
}
static int by_created(const struct trow *x, const struct trow *y) { return (int)sign(created(y) - created(x)); }

/* The key's last use over all time: from logs or from the gateway. */
static int64_t last_use(const struct trow *r)
{
    int64_t from_key = r->key ? r->key->last_used_ms : -1;
    return from_key > r->spend->last_ms ? from_key : r->spend->last_ms;
}
static void last_use_cell(const struct trow *r, char *buf, size_t len)
{
    char iso[40];
    if (last_use(r) < 0) {
        snprintf(buf, len, "never");
        return;
    }
    tg_time_format_iso(last_use(r), iso, sizeof iso);
    char now[40];
    tg_time_format_iso(tg_now_ms(), now, sizeof now);
    if (strncmp(iso, now, 4) == 0) /* this year: "11-24 09:57" */
        snprintf(buf, len, "%.5s %.5s", iso + 5, iso + 11);
    else
        snprintf(buf, len, "%.10s", iso);
}
static int by_last_use(const struct trow *x, const struct trow *y) { return (int)sign(last_use(y) - last_use(x)); }

/* Whole days since the last use, or since it was made when never used. */
static int64_t idle_days(const struct trow *r)
{
    int64_t since = last_use(r) >= 0 ? last_use(r) : created(r);
    return since < 0 ? -1 : (tg_now_ms() - since) / TG_DAY_MS;
}
static void idle_cell(const struct trow *r, char *buf, size_t len)
{
    if (idle_days(r) < 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%lldd", (long long)idle_days(r));
}
static int by_idle(const struct trow *x, const struct trow *y) { return (int)sign(idle_days(y) - idle_days(x)); }

#define NAME_COLUMN(title) {title, "name", 0, NAME, true, 0, name_cell, by_name}
#define SHARE_COLUMN {"SHARE", "spend", 0, BAR, true, 5, NULL, by_spend}
#define SPEND_COLUMN {"SPEND", "spend", 9, FIXED, false, 0, spend_cell, by_spend}
#define REQS_COLUMN {"REQS", "requests", 7, FIXED, false, 1, requests_cell, by_requests}
#define TOKENS_COLUMN(p) {"TOKENS", "tokens", 7, FIXED, false, p, tokens_cell, by_tokens}
#define ERRORS_COLUMN(p) {"ERRORS", "error rate", 6, FIXED, false, p, errors_cell, by_errors}
#define P95_COLUMN(p) {"P95", "p95 latency", 6, FIXED, false, p, p95_cell, by_p95}
#define END_COLUMN {NULL, NULL, 0, FIXED, false, 0, NULL, NULL}

static const struct column developer_columns[] = {
    NAME_COLUMN("DEVELOPER"), SHARE_COLUMN, SPEND_COLUMN, REQS_COLUMN, TOKENS_COLUMN(3), ERRORS_COLUMN(2),
    P95_COLUMN(4), {"LAST", "last seen", 5, FIXED, false, 1, last_cell, by_last}, END_COLUMN,
};
static const struct column model_columns[] = {
    NAME_COLUMN("MODEL"), SHARE_COLUMN, SPEND_COLUMN, REQS_COLUMN, TOKENS_COLUMN(3), ERRORS_COLUMN(2),
    P95_COLUMN(4), {"LAST", "last seen", 5, FIXED, false, 1, last_cell, by_last}, END_COLUMN,
};
static const struct column key_columns[] = {
    NAME_COLUMN("KEY"),
    {"OWNER", "owner", 9, FIXED, true, 1, owner_cell, by_owner},
    {"STATUS", "status", 18, FIXED, true, 0, status_cell, by_status},
    SPEND_COLUMN,
    REQS_COLUMN,
    {"LAST USE", "last use", 11, FIXED, true, 2, last_use_cell, by_last_use},
    {"IDLE", "idle days", 5, FIXED, false, 1, idle_cell, by_idle},
    {"CREATED", "created", 10, FIXED, true, 3, created_cell, by_created},
    SHARE_COLUMN,
    ERRORS_COLUMN(6),
    TOKENS_COLUMN(7),
    END_COLUMN,
};

struct list {
    enum screen_id id;
    enum tg_spend_by by;
    const struct column *columns;
    enum tg_filter_field drill; /* what Enter filters the requests by */
};

static const struct list lists[] = {
    {SCREEN_DEVELOPERS, TG_BY_DEVELOPER, developer_columns, TG_FILTER_DEVELOPER},
    {SCREEN_KEYS, TG_BY_KEY, key_columns, TG_FILTER_KEY},
    {SCREEN_MODELS, TG_BY_MODEL, model_columns, TG_FILTER_MODEL},
};

static const struct list *list_of(const struct ui *ui)
{
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        if (lists[i].id == ui->screen)
            return &lists[i];
    }
    return &lists[0];
}

static int column_count(const struct column *columns)
{
    int n = 0;
    while (columns[n].title && n < MAX_COLUMNS)
        n++;
    return n;
}

/* Where each column goes at this width: x and width, or width 0 when a
 * narrow terminal leaves it out. */
struct layout {
    int x[MAX_COLUMNS], w[MAX_COLUMNS];
};

static int min_width(const struct column *c)
{
    return c->kind == NAME ? NAME_MIN_COLS : c->kind == BAR ? BAR_MIN_COLS : c->width;
}

static void lay_out(const struct column *columns, struct layout *out)
{
    int n = column_count(columns), room = COLS - RIGHT_MARGIN, used = 0;
    bool shown[MAX_COLUMNS];
    for (int i = 0; i < n; i++) {
        shown[i] = true;
        used += min_width(&columns[i]) + (i > 0);
    }
    while (used > room) { /* drop the least important column still shown */
        int drop = -1;
        for (int i = 0; i < n; i++) {
            if (shown[i] && columns[i].priority > 0 && (drop < 0 || columns[i].priority > columns[drop].priority))
                drop = i;
        }
        if (drop < 0)
            break;
        shown[drop] = false;
        used -= min_width(&columns[drop]) + 1;
    }
    for (int i = 0; i < n; i++) { /* what fits again in the room left, most important first */
        int best = -1;
        for (int j = 0; j < n; j++) {
            if (!shown[j] && used + min_width(&columns[j]) + 1 <= room &&
                (best < 0 || columns[j].priority < columns[best].priority))
                best = j;
        }
        if (best < 0)
            break;
        shown[best] = true;
        used += min_width(&columns[best]) + 1;
    }
    int spare = room > used ? room - used : 0, has_bar = 0;
    for (int i = 0; i < n; i++)
        has_bar |= shown[i] && columns[i].kind == BAR;
    /* the name grows first to a comfortable width (a whole model name),
     * then the bar, then the name again */
    int name_grow = spare < NAME_COMFORT_COLS - NAME_MIN_COLS ? spare : NAME_COMFORT_COLS - NAME_MIN_COLS;
    spare -= name_grow;
    int bar_grow = 0;
    if (has_bar) {
        bar_grow = spare < BAR_MAX_COLS - BAR_MIN_COLS ? spare : BAR_MAX_COLS - BAR_MIN_COLS;
        spare -= bar_grow;
    }
    name_grow += spare < NAME_MAX_COLS - NAME_COMFORT_COLS ? spare : NAME_MAX_COLS - NAME_COMFORT_COLS;
    int x = 0;
    for (int i = 0; i < n; i++) {
        out->w[i] = 0;
        if (!shown[i])
            continue;
        int w = min_width(&columns[i]);
        w += columns[i].kind == NAME ? name_grow : columns[i].kind == BAR ? bar_grow : 0;
        x += i > 0; /* a space before each column but the first */
        out->x[i] = x;
        out->w[i] = w;
        x += w;
    }
}

/* The column the table is sorted by: spend until s picks another. */
static int sort_column(const struct ui *ui)
{
    const struct column *columns = list_of(ui)->columns;
    if (panel.sort_chosen[ui->screen])
        return panel.sort[ui->screen];
    for (int i = 0; columns[i].title; i++) {
        if (columns[i].cell == spend_cell)
            return i;
    }
    return 0;
}

static int compare_rows(const void *a, const void *b, void *arg)
{
    const struct column *c = arg;
    int order = c->compare(a, b);
    return order ? order : by_spend(a, b) ? by_spend(a, b) : by_name(a, b);
}

static void free_report(void)
{
    if (panel.loaded)
        tg_spend_report_free(&panel.report);
    panel.loaded = false;
    for (size_t i = 0; i < panel.unused_count; i++)
        free(panel.unused[i].name);
    free(panel.unused);
    panel.unused = NULL;
    panel.unused_count = 0;
    free(panel.rows);
    panel.rows = NULL;
    panel.count = 0;
}

void table_free(void)
{
    free_report();
    tg_key_rows_free(&panel.keys);
    keyfilter_free();
}

static const struct tg_key_row *key_with_id(int64_t row_id)
{
    for (size_t i = 0; i < panel.keys.count; i++) {
        if (panel.keys.rows[i].row_id == row_id)
            return &panel.keys.rows[i];
    }
    return NULL;
}

/* Keys: every key the db knows (the gateway's list and the logs), used in
 * the window or not. */
static int add_unused_keys(void)
{
    panel.unused = calloc(panel.keys.count ? panel.keys.count : 1, sizeof *panel.unused);
    if (!panel.unused)
        return -1;
    for (size_t i = 0; i < panel.keys.count; i++) {
        const struct tg_key_row *k = &panel.keys.rows[i];
        bool used = false;
        for (size_t j = 0; j < panel.report.count && !used; j++)
            used = panel.report.rows[j].group_id == k->row_id;
        if (used)
            continue;
        struct tg_spend_row *z = &panel.unused[panel.unused_count];
        z->name = strdup(tg_key_label(k));
        if (!z->name)
            return -1;
        z->group_id = k->row_id;
        z->last_ms = -1;
        panel.unused_count++;
    }
    return 0;
}

static int build_rows(struct ui *ui)
{
    bool keys = ui->screen == SCREEN_KEYS;
    if (keys && add_unused_keys() != 0)
        return -1;
    panel.rows = calloc(panel.report.count + panel.unused_count + 1, sizeof *panel.rows);
    if (!panel.rows)
        return -1;
    for (size_t i = 0; i < panel.report.count; i++) {
        const struct tg_spend_row *s = &panel.report.rows[i];
        panel.rows[panel.count++] = (struct trow){s, keys ? key_with_id(s->group_id) : NULL};
    }
    for (size_t i = 0; i < panel.unused_count; i++)
        panel.rows[panel.count++] = (struct trow){&panel.unused[i], key_with_id(panel.unused[i].group_id)};
    return 0;
}

static void load(struct ui *ui)
{
    char err[256];
    free_report();
    tg_key_rows_free(&panel.keys);
    if (ui->screen == SCREEN_KEYS && tg_keys_list_brief(ui->store, tg_now_ms(), &panel.keys, err, sizeof err) != 0)
        memset(&panel.keys, 0, sizeof panel.keys);
    if (ui->screen == SCREEN_KEYS && keyfilter_load(ui->store, tg_now_ms(), err, sizeof err) != 0 && keyfilter_on())
        ui_status(ui, "key hygiene: %s", err);
    struct tg_spend_filter f = ui_spend_filter(ui);
    if (tg_spend_query(ui->store, list_of(ui)->by, &f, 0, &panel.report, err, sizeof err) != 0) {
        ui_status(ui, "%s", err);
        return;
    }
    panel.loaded = true;
    if (build_rows(ui) != 0) {
        ui_status(ui, "out of memory");
        free_report();
        return;
    }
    const struct column *c = &list_of(ui)->columns[sort_column(ui)];
    qsort_r(panel.rows, panel.count, sizeof *panel.rows, compare_rows, (void *)c);
}

static void rewind_list(struct ui *ui)
{
    panel.cursor[ui->screen] = panel.top[ui->screen] = 0;
    load(ui);
}

static bool row_matches(const struct ui *ui, const struct trow *r)
{
    if (ui->screen == SCREEN_KEYS && !keyfilter_passes(r->key ? r->key->row_id : -1))
        return false;
    return !panel.name_filter[0] || strstr(r->spend->name, panel.name_filter) != NULL;
}

static int visible_rows(const struct ui *ui)
{
    int n = 0;
    for (size_t i = 0; i < panel.count; i++)
        n += row_matches(ui, &panel.rows[i]);
    return n;
}

/* The nth row that passes the filters. */
static const struct trow *visible_row(const struct ui *ui, int nth)
{
    for (size_t i = 0; i < panel.count; i++) {
        if (row_matches(ui, &panel.rows[i]) && nth-- == 0)
            return &panel.rows[i];
    }
    return NULL;
}

static void draw_cell(int y, const struct column *c, int x, int w, const char *text)
{
    if (c->left) {
        draw_padded(y, x, text, w);
        return;
    }
    int pad = w - (int)strlen(text); /* cells right-aligned are ASCII */
    for (int i = 0; i < pad; i++)
        mvaddch(y, x + i, ' ');
    draw_text(y, x + (pad > 0 ? pad : 0), text, w - (pad > 0 ? pad : 0));
}

static void draw_header(const struct ui *ui, const struct column *columns, const struct layout *l)
{
    attron(A_BOLD);
    move(HEADER_ROW, 0);
    clrtoeol();
    for (int i = 0; columns[i].title; i++) {
        if (!l->w[i])
            continue;
        char title[40];
        bool sorted = i == sort_column(ui);
        snprintf(title, sizeof title, "%s%s", columns[i].title, !sorted ? "" : MB_CUR_MAX > 1 ? "↓" : "v");
        draw_cell(HEADER_ROW, &columns[i], l->x[i], l->w[i], title);
    }
    attroff(A_BOLD);
}

/* The share bar, then the share as a number: 15% is never just a '#'. */
static void draw_share(int y, int x, int w, const struct trow *r)
{
    tg_nanos whole = panel.report.total.cost;
    double share = whole > 0 ? 100.0 * (double)r->spend->cost / (double)whole : 0;
    char pct[16];
    snprintf(pct, sizeof pct, share > 0 && share < 1 ? " <1%%" : " %3.0f%%", share);
    int bar_w = w - (int)strlen(pct);
    draw_bar(y, x, r->spend->cost, whole, bar_w > 0 ? bar_w : 0);
    draw_text(y, x + (bar_w > 0 ? bar_w : 0), pct, w - (bar_w > 0 ? bar_w : 0));
}

static void draw_row(int y, const struct column *columns, const struct layout *l, const struct trow *r)
{
    move(y, 0);
    clrtoeol();
    for (int i = 0; columns[i].title; i++) {
        if (!l->w[i])
            continue;
        if (i > 0)
            mvaddch(y, l->x[i] - 1, ' ');
        if (columns[i].kind == BAR) {
            draw_share(y, l->x[i], l->w[i], r);
            continue;
        }
        char value[300];
        columns[i].cell(r, value, sizeof value);
        draw_cell(y, &columns[i], l->x[i], l->w[i], value);
    }
}

/* Keeps the cursor on a row and in view. */
static void clamp_cursor(struct ui *ui, int shown, int height)
{
    int *cursor = &panel.cursor[ui->screen], *top = &panel.top[ui->screen];
    if (*cursor >= shown)
        *cursor = shown ? shown - 1 : 0;
    if (*cursor < *top)
        *top = *cursor;
    if (*cursor >= *top + height)
        *top = *cursor - height + 1;
}

static void draw(struct ui *ui)
{
    if (!panel.loaded)
        return;
    const struct column *columns = list_of(ui)->columns;
    struct layout l;
    lay_out(columns, &l);
    int height = LINES - HEADER_ROW - 2; /* the header row, the status bar */
    draw_header(ui, columns, &l);
    int shown = visible_rows(ui);
    clamp_cursor(ui, shown, height);
    int cursor = panel.cursor[ui->screen], top = panel.top[ui->screen];
    for (int i = 0; i < height && top + i < shown; i++) {
        bool selected = top + i == cursor;
        if (selected)
            attron(A_REVERSE);
        draw_row(HEADER_ROW + 1 + i, columns, &l, visible_row(ui, top + i));
        if (selected)
            attroff(A_REVERSE);
    }
    bool hygiene = ui->screen == SCREEN_KEYS && keyfilter_on();
    if (shown == 0 && hygiene) {
        char none[160];
        keyfilter_empty_text(none, sizeof none);
        mvprintw(HEADER_ROW + 2, 2, "%s%s (h shows the next finding).", none,
                 panel.name_filter[0] ? " whose name has that part" : "");
    } else if (shown == 0)
        mvprintw(HEADER_ROW + 2, 2, panel.name_filter[0] ? "No name here contains '%s' (/ changes it)."
                                                          : "Nothing in this window%s(w changes it).",
                 panel.name_filter[0] ? panel.name_filter : " ");
}

static void describe(const struct ui *ui, char *buf, size_t len)
{
    buf[0] = '\0';
    size_t n = 0;
    if (ui->screen == SCREEN_KEYS && keyfilter_on())
        n = (size_t)snprintf(buf, len, " | only %s keys", keyfilter_name());
    if (panel.name_filter[0] && n < len)
        snprintf(buf + n, len - n, " | /%s", panel.name_filter);
}

static void move_cursor(struct ui *ui, int delta)
{
    int *cursor = &panel.cursor[ui->screen];
    *cursor = *cursor + delta > 0 ? *cursor + delta : 0; /* draw keeps it on the last row */
}

static void key_down(struct ui *ui, int ch) { (void)ch; move_cursor(ui, 1); }
static void key_up(struct ui *ui, int ch) { (void)ch; move_cursor(ui, -1); }
static void key_page_down(struct ui *ui, int ch) { (void)ch; move_cursor(ui, ui_page_rows()); }
static void key_page_up(struct ui *ui, int ch) { (void)ch; move_cursor(ui, -ui_page_rows()); }
static void key_first(struct ui *ui, int ch) { (void)ch; panel.cursor[ui->screen] = 0; }
static void key_wheel(struct ui *ui, int ch) { (void)ch; move_cursor(ui, mouse_wheel_step()); }

static void key_last(struct ui *ui, int ch)
{
    (void)ch;
    int shown = visible_rows(ui);
    panel.cursor[ui->screen] = shown > 0 ? shown - 1 : 0;
}

static void key_filter(struct ui *ui, int ch)
{
    (void)ch;
    char text[sizeof panel.name_filter];
    snprintf(text, sizeof text, "%s", panel.name_filter);
    if (lineedit_read("/", text, sizeof text)) {
        snprintf(panel.name_filter, sizeof panel.name_filter, "%s", text);
        panel.cursor[ui->screen] = panel.top[ui->screen] = 0;
    }
}

/* h: only the keys with one finding of key hygiene (dormant, shared, never
 * used, used after revocation), the next each time, then all again. */
static void key_hygiene(struct ui *ui, int ch)
{
    keyfilter_cycle(ch == 'H');
    panel.cursor[ui->screen] = panel.top[ui->screen] = 0;
    ui_status(ui, keyfilter_on() ? "only %s keys (h: the next finding)" : "every key%s", keyfilter_name());
}

/* s: the next column shown at this width (S: the one before), in its own
 * order: amounts largest first, names A to Z, times newest first. */
static void key_sort(struct ui *ui, int ch)
{
    const struct column *columns = list_of(ui)->columns;
    struct layout l;
    lay_out(columns, &l);
    int n = column_count(columns), at = sort_column(ui);
    for (int step = 0; step < n; step++) {
        at = (at + (ch == 's' ? 1 : n - 1)) % n;
        if (l.w[at])
            break;
    }
    panel.sort[ui->screen] = at;
    panel.sort_chosen[ui->screen] = true;
    load(ui);
    ui_status(ui, "sorted by %s", columns[at].what);
}

/* Enter: the requests of this developer, key or model; Esc comes back here. */
static void key_open(struct ui *ui, int ch)
{
    (void)ch;
    const struct trow *r = visible_row(ui, panel.cursor[ui->screen]);
    if (r)
        requests_drill_down(ui, list_of(ui)->drill, r->spend->name);
}

static void key_revoke(struct ui *ui, int ch)
{
    (void)ch;
    const struct trow *r = visible_row(ui, panel.cursor[ui->screen]);
    if (!r)
        return;
    char *name = strdup(r->spend->name); /* the table is reloaded under it */
    if (!name)
        return;
    if (revokebox_run(ui, ui->screen == SCREEN_KEYS ? REVOKE_KEY : REVOKE_DEVELOPER, name))
        load(ui);
    free(name);
}

#define MOVE_BINDINGS                                                                                         \
    {{KEY_DOWN, 'j'}, "move down", key_down}, {{KEY_UP, 'k'}, "move up", key_up},                             \
        {{KEY_NPAGE}, "a page down", key_page_down}, {{KEY_PPAGE}, "a page up", key_page_up},                 \
        {{KEY_HOME, 'g'}, "to the first row", key_first}, {{KEY_END, 'G'}, "to the last row", key_last},      \
        {{KEY_MOUSE}, "scroll", key_wheel},                                                                   \
        {{'/'}, "filter the rows by a part of their name (empty for all)", key_filter},                       \
        {{'s', 'S'}, "sort by the next column (S: the one before); v marks it in the header", key_sort}

static const struct binding developer_keys[] = {
    MOVE_BINDINGS,
    {{'\n', KEY_ENTER}, "open: the developer's requests (Esc comes back)", key_open},
    {{'R'}, "revoke all of the developer's keys (shows the impact, asks for the name)", key_revoke},
    {{0}, NULL, NULL},
};

static const struct binding key_keys[] = {
    MOVE_BINDINGS,
    {{'\n', KEY_ENTER}, "open: the key's requests (Esc comes back)", key_open},
    {{'R'}, "revoke the key (shows the impact, asks for the name)", key_revoke},
    {{'h', 'H'}, "only the keys found dormant (no request in 30 days), shared, never used or used after "
                 "revocation: the next each time, then all (H: the one before)", key_hygiene},
    {{0}, NULL, NULL},
};

static const struct binding model_keys[] = {
    MOVE_BINDINGS,
    {{'\n', KEY_ENTER}, "open: the model's requests (Esc comes back)", key_open},
    {{0}, NULL, NULL},
};

#define LIST_SCREEN(title, bindings)                                                                       \
    {                                                                                                      \
        .name = title, .load = load, .draw = draw, .keys = bindings, .rewind = rewind_list,                \
        .describe = describe,                                                                              \
    }

const struct screen_ops developers_screen = LIST_SCREEN("Developers", developer_keys);
const struct screen_ops keys_screen = LIST_SCREEN("Keys", key_keys);
const struct screen_ops models_screen = LIST_SCREEN("Models", model_keys);
