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
#include "screens/lineedit.h"
#include "screens/requests.h"
#include "screens/revokebox.h"

/* The name column takes what the others leave, within these bounds, and
 * RIGHT_MARGIN columns stay free at the right edge. */
#define NAME_MIN_COLS 12
#define NAME_MAX_COLS 40
#define RIGHT_MARGIN 4
#define HEADER_ROW 1

struct column {
    const char *title;
    int width;  /* 0 for the name column */
    bool left;  /* aligned left (else right) */
    void (*cell)(const struct tg_spend_row *r, char *buf, size_t len);
    bool bar;   /* a share-of-spend bar instead of text */
};

static struct {
    struct tg_spend_report report; /* the spend table of the screen shown */
    bool loaded;
    struct tg_key_rows keys;       /* Keys: statuses, to mark revoked keys */
    char name_filter[128];         /* a substring of the names, "" for all */
    int sort;                      /* an index into sorts */
    int cursor[NSCREENS], top[NSCREENS];
} panel;

static void name_cell(const struct tg_spend_row *r, char *buf, size_t len)
{
    tg_sanitize(r->name, buf, len);
}

static const struct tg_key_row *key_named(const char *name)
{
    for (size_t i = 0; i < panel.keys.count; i++) {
        if (strcmp(tg_key_label(&panel.keys.rows[i]), name) == 0)
            return &panel.keys.rows[i];
    }
    return NULL;
}

static void key_name_cell(const struct tg_spend_row *r, char *buf, size_t len)
{
    tg_sanitize(r->name, buf, len);
    const struct tg_key_row *key = key_named(r->name);
    if (key && key->after_revocation.attempts > 0)
        snprintf(buf + strlen(buf), len - strlen(buf), " (revoked, %lld tried since)",
                 (long long)key->after_revocation.attempts);
    else if (key && strcmp(key->status, "revoked") == 0)
        snprintf(buf + strlen(buf), len - strlen(buf), " (revoked)");
}

static void spend_cell(const struct tg_spend_row *r, char *buf, size_t len)
{
    tg_nanos_format_human(r->cost, buf, len);
}

static void requests_cell(const struct tg_spend_row *r, char *buf, size_t len)
{
    tg_format_count(r->requests, buf, len);
}

static void tokens_cell(const struct tg_spend_row *r, char *buf, size_t len)
{
    tg_format_tokens(r->total_tokens, buf, len);
}

static void errors_cell(const struct tg_spend_row *r, char *buf, size_t len)
{
    snprintf(buf, len, "%.1f%%", r->requests ? 100.0 * (double)r->errors / (double)r->requests : 0.0);
}

static void p95_cell(const struct tg_spend_row *r, char *buf, size_t len)
{
    tg_format_ms(tg_latency_quantile_ms(&r->latency, 0.95), buf, len);
}

static void last_cell(const struct tg_spend_row *r, char *buf, size_t len)
{
    format_ago(r->last_ms, buf, len);
}

#define SPEND_COLUMNS                                                                                  \
    {"SHARE", 8, true, NULL, true}, {"SPEND", 10, false, spend_cell, false},                          \
        {"REQS", 8, false, requests_cell, false}, {"TOKENS", 7, false, tokens_cell, false},          \
        {"ERRORS", 6, false, errors_cell, false}, {"P95", 6, false, p95_cell, false},                \
        {"LAST", 5, false, last_cell, false},                                                         \
    {                                                                                                  \
        NULL, 0, false, NULL, false                                                                    \
    }

static const struct column developer_columns[] = {{"DEVELOPER", 0, true, name_cell, false}, SPEND_COLUMNS};
static const struct column key_columns[] = {{"KEY", 0, true, key_name_cell, false}, SPEND_COLUMNS};
static const struct column model_columns[] = {{"MODEL", 0, true, name_cell, false}, SPEND_COLUMNS};

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

static int by_spend(const struct tg_spend_row *x, const struct tg_spend_row *y)
{
    return (y->cost > x->cost) - (y->cost < x->cost);
}

static int by_requests(const struct tg_spend_row *x, const struct tg_spend_row *y)
{
    return (y->requests > x->requests) - (y->requests < x->requests);
}

static int by_errors(const struct tg_spend_row *x, const struct tg_spend_row *y)
{
    return (y->errors > x->errors) - (y->errors < x->errors);
}

static int by_last_seen(const struct tg_spend_row *x, const struct tg_spend_row *y)
{
    return (y->last_ms > x->last_ms) - (y->last_ms < x->last_ms);
}

static int by_name(const struct tg_spend_row *x, const struct tg_spend_row *y)
{
    return strcmp(x->name, y->name);
}

static const struct {
    const char *name;
    int (*compare)(const struct tg_spend_row *x, const struct tg_spend_row *y);
} sorts[] = {{"spend", by_spend}, {"requests", by_requests}, {"errors", by_errors}, {"last seen", by_last_seen},
             {"name", by_name}};
#define NSORTS ((int)(sizeof sorts / sizeof sorts[0]))

static int compare_rows(const void *a, const void *b, void *arg)
{
    return sorts[*(const int *)arg].compare(a, b);
}

static void free_report(void)
{
    if (panel.loaded)
        tg_spend_report_free(&panel.report);
    panel.loaded = false;
}

void table_free(void)
{
    free_report();
    tg_key_rows_free(&panel.keys);
}

static void load_key_statuses(struct ui *ui)
{
    char err[200];
    tg_key_rows_free(&panel.keys);
    if (tg_keys_list(ui->store, tg_now_ms(), NULL, &panel.keys, err, sizeof err) != 0)
        memset(&panel.keys, 0, sizeof panel.keys);
}

static void load(struct ui *ui)
{
    if (ui->screen == SCREEN_KEYS) /* only the Keys table marks revoked keys */
        load_key_statuses(ui);
    free_report();
    struct tg_spend_filter f = ui_spend_filter(ui);
    char err[256];
    if (tg_spend_query(ui->store, list_of(ui)->by, &f, 0, &panel.report, err, sizeof err) == 0)
        panel.loaded = true;
    else
        ui_status(ui, "%s", err);
    if (panel.loaded && panel.sort)
        qsort_r(panel.report.rows, panel.report.count, sizeof *panel.report.rows, compare_rows, &panel.sort);
}

static void rewind_list(struct ui *ui)
{
    panel.cursor[ui->screen] = panel.top[ui->screen] = 0;
    load(ui);
}

static bool row_matches(const struct tg_spend_row *r)
{
    return !panel.name_filter[0] || strstr(r->name, panel.name_filter) != NULL;
}

static int visible_rows(void)
{
    int n = 0;
    for (size_t i = 0; panel.loaded && i < panel.report.count; i++)
        n += row_matches(&panel.report.rows[i]);
    return n;
}

/* The nth row that passes the name filter. */
static const struct tg_spend_row *visible_row(int nth)
{
    for (size_t i = 0; panel.loaded && i < panel.report.count; i++) {
        if (row_matches(&panel.report.rows[i]) && nth-- == 0)
            return &panel.report.rows[i];
    }
    return NULL;
}

static int fixed_columns_width(const struct column *columns)
{
    int w = 0;
    for (const struct column *c = columns + 1; c->title; c++)
        w += 1 + c->width; /* a space before each */
    return w;
}

static int name_width(const struct column *columns)
{
    int w = COLS - fixed_columns_width(columns) - RIGHT_MARGIN;
    return w < NAME_MIN_COLS ? NAME_MIN_COLS : w > NAME_MAX_COLS ? NAME_MAX_COLS : w;
}

static void draw_header(const struct column *columns, int name_w)
{
    attron(A_BOLD);
    draw_padded(HEADER_ROW, 0, columns[0].title, name_w);
    int x = name_w;
    for (const struct column *c = columns + 1; c->title; c++) {
        char cell[64];
        snprintf(cell, sizeof cell, c->left ? " %-*s" : " %*s", c->width, c->title);
        draw_text(HEADER_ROW, x, cell, COLS - x);
        x += 1 + c->width;
    }
    attroff(A_BOLD);
}

static void draw_row(int y, const struct column *columns, int name_w, const struct tg_spend_row *r)
{
    char text[300];
    columns[0].cell(r, text, sizeof text);
    draw_padded(y, 0, text, name_w);
    int x = name_w;
    for (const struct column *c = columns + 1; c->title && x < COLS; c++) {
        if (c->bar) {
            addch(' ');
            draw_bar(y, x + 1, r->cost, panel.report.total.cost, c->width);
        } else {
            char value[64], cell[80];
            c->cell(r, value, sizeof value);
            snprintf(cell, sizeof cell, c->left ? " %-*s" : " %*s", c->width, value);
            draw_text(y, x, cell, COLS - x);
        }
        x += 1 + c->width;
    }
    clrtoeol();
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
    int name_w = name_width(columns), height = LINES - HEADER_ROW - 2; /* the header row, the status bar */
    draw_header(columns, name_w);
    int shown = visible_rows();
    clamp_cursor(ui, shown, height);
    int cursor = panel.cursor[ui->screen], top = panel.top[ui->screen];
    for (int i = 0; i < height && top + i < shown; i++) {
        bool selected = top + i == cursor;
        if (selected)
            attron(A_REVERSE);
        draw_row(HEADER_ROW + 1 + i, columns, name_w, visible_row(top + i));
        if (selected)
            attroff(A_REVERSE);
    }
}

static void describe(const struct ui *ui, char *buf, size_t len)
{
    (void)ui;
    buf[0] = '\0';
    if (panel.name_filter[0])
        snprintf(buf, len, " | /%s", panel.name_filter);
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
    int shown = visible_rows();
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

static void key_sort(struct ui *ui, int ch)
{
    panel.sort = (panel.sort + (ch == 's' ? 1 : NSORTS - 1)) % NSORTS;
    load(ui);
    ui_status(ui, "sorted by %s", sorts[panel.sort].name);
}

/* Enter: the requests of this developer, key or model; Esc comes back here. */
static void key_open(struct ui *ui, int ch)
{
    (void)ch;
    const struct tg_spend_row *r = visible_row(panel.cursor[ui->screen]);
    if (r)
        requests_drill_down(ui, list_of(ui)->drill, r->name);
}

static void key_revoke(struct ui *ui, int ch)
{
    (void)ch;
    const struct tg_spend_row *r = visible_row(panel.cursor[ui->screen]);
    if (!r)
        return;
    char *name = strdup(r->name); /* the table is reloaded under it */
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
        {{'s', 'S'}, "sort by spend, requests, errors, last seen, name (S backwards)", key_sort}

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
