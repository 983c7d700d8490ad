#define _XOPEN_SOURCE_EXTENDED 1
#include "screens/requests.h"

#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/format.h"
#include "base/timeutil.h"
#include "screens/app.h"
#include "screens/detail.h"
#include "screens/lineedit.h"

#define PAGE_MAX 512
#define HEADER_ROW 1
#define FIRST_ROW 2

struct column {
    const char *title;
    int width;
    bool left;
};

enum { COL_TIME, COL_DEVELOPER, COL_KEY, COL_MODEL, COL_TOKENS, COL_COST, COL_LATENCY, COL_STATUS, NCOLUMNS };
static const struct column columns[NCOLUMNS] = {
    [COL_TIME] = {"UTC", 11, true},         [COL_DEVELOPER] = {"DEVELOPER", 9, true},
    [COL_KEY] = {"KEY", 13, true},          [COL_MODEL] = {"MODEL", 17, true},
    [COL_TOKENS] = {"TOKENS", 6, false},    [COL_COST] = {"COST", 8, false},
    [COL_LATENCY] = {"LATNCY", 6, false},   [COL_STATUS] = {"ST", 3, false},
};

static struct {
    struct tg_request_row page[PAGE_MAX]; /* newest first */
    int count, cursor;
    struct tg_request_filter filter;
    char filter_text[TG_FILTER_NAME_MAX + 64]; /* as typed, or the drill-down's description */
    bool follow;    /* jump to new rows as they arrive */
    int return_to;  /* the screen a drill-down came from, or -1 */
} rq = {.return_to = -1, .filter = {.status = -1, .cost_above = -1, .cost_below = -1}};

const char *requests_search_text(void)
{
    return rq.filter.text_ignored ? "" : rq.filter.text;
}

static void load_page(struct ui *ui, int64_t before_ts, int64_t before_id)
{
    char err[256];
    int limit = LINES > 4 ? (LINES - 4 < PAGE_MAX ? LINES - 4 : PAGE_MAX) : 1;
    int n = tg_browse_requests(ui->store, ui_window_since(ui), ui_window_until(ui), &rq.filter, before_ts,
                               before_id, rq.page, limit, err, sizeof err);
    if (n < 0)
        ui_status(ui, "%s", err);
    rq.count = n < 0 ? 0 : n;
}

static void load(struct ui *ui)
{
    load_page(ui, INT64_MAX, INT64_MAX);
}

static void rewind_page(struct ui *ui)
{
    rq.cursor = 0;
    load(ui);
}

static void reread_page(struct ui *ui)
{
    if (rq.follow) {
        rewind_page(ui);
    } else if (rq.count > 0) { /* same rows, fresh values, the cursor stays */
        struct tg_request_row first = rq.page[0];
        load_page(ui, first.ts_ms, first.row_id + 1);
    }
}

const struct tg_request_row *requests_selected(void)
{
    return rq.count > 0 && rq.cursor < rq.count ? &rq.page[rq.cursor] : NULL;
}

/* Older: the page starts `shift` rows further on, unless the oldest row is
 * on screen already. */
static void page_older(struct ui *ui, int target)
{
    int shift = target - rq.count + 1;
    if (shift > rq.count)
        shift = rq.count;
    struct tg_request_row anchor = rq.page[shift - 1];
    int before = rq.count;
    struct tg_request_row *saved = malloc(sizeof rq.page);
    if (saved)
        memcpy(saved, rq.page, sizeof rq.page);
    load_page(ui, anchor.ts_ms, anchor.row_id);
    if (rq.count < before && saved) {
        memcpy(rq.page, saved, sizeof rq.page);
        rq.count = before;
    }
    free(saved);
    rq.cursor = rq.count - 1;
}

/* Newer: the page starts at the newest of the rows just above the first shown. */
static void page_newer(struct ui *ui, int target)
{
    static struct tg_request_row newer[PAGE_MAX];
    char err[200];
    int want = -target < PAGE_MAX ? -target : PAGE_MAX;
    int n = tg_browse_requests_newer(ui->store, ui_window_since(ui), ui_window_until(ui), &rq.filter,
                                     rq.page[0].ts_ms, rq.page[0].row_id, newer, want, err, sizeof err);
    if (n > 0)
        load_page(ui, newer[n - 1].ts_ms, newer[n - 1].row_id + 1);
    rq.cursor = 0;
}

void requests_step(struct ui *ui, int delta)
{
    int target = rq.cursor + delta;
    if (rq.count == 0)
        return;
    if (target >= 0 && target < rq.count)
        rq.cursor = target;
    else if (target >= rq.count)
        page_older(ui, target);
    else
        page_newer(ui, target);
}

static void show_filter(struct ui *ui, const struct tg_request_filter *f)
{
    rq.filter = *f;
    tg_filter_describe(f, rq.filter_text, sizeof rq.filter_text);
    rq.cursor = 0;
    load(ui);
}

void requests_drill_down(struct ui *ui, enum tg_filter_field field, const char *name)
{
    static struct tg_request_filter f; /* large: kept off the stack */
    tg_filter_clear(&f);
    if (tg_filter_set(&f, field, name) != 0)
        return;
    rq.return_to = (int)ui->screen;
    ui->screen = SCREEN_REQUESTS;
    show_filter(ui, &f);
}

void requests_show_thread(struct ui *ui, const char *thread)
{
    static struct tg_request_filter f;
    tg_filter_clear(&f);
    if (tg_filter_set(&f, TG_FILTER_THREAD, thread) != 0)
        return;
    ui_window_all(ui); /* a thread may reach further back than the window */
    show_filter(ui, &f);
}

static void leave(struct ui *ui)
{
    (void)ui;
    if (rq.return_to < 0)
        return;
    tg_filter_clear(&rq.filter); /* leaving a drill-down ends it */
    rq.filter_text[0] = '\0';
    rq.return_to = -1;
}

static void describe(const struct ui *ui, char *buf, size_t len)
{
    (void)ui;
    snprintf(buf, len, "%s%s%s", rq.follow ? " follow" : "", rq.filter_text[0] ? " | /" : "", rq.filter_text);
}

static void draw_cell(int y, int *x, const struct column *c, const char *text)
{
    if (*x > 0) {
        if (*x >= COLS)
            return;
        addch(' ');
        (*x)++;
    }
    int room = COLS - *x < c->width ? COLS - *x : c->width;
    if (room <= 0)
        return;
    if (c->left) {
        draw_padded(y, *x, text, room);
    } else {
        char right[64];
        snprintf(right, sizeof right, "%*s", c->width, text);
        draw_text(y, *x, right, room);
    }
    *x += c->width;
}

static void draw_row(int y, const struct tg_request_row *r)
{
    char cells[NCOLUMNS][64], when[40];
    tg_time_format_iso(r->ts_ms, when, sizeof when);
    when[16] = '\0';
    when[10] = ' ';
    snprintf(cells[COL_TIME], sizeof cells[0], "%s", when + 5); /* "11-24 04:47" */
    snprintf(cells[COL_DEVELOPER], sizeof cells[0], "%s", r->developer);
    snprintf(cells[COL_KEY], sizeof cells[0], "%s", r->key);
    snprintf(cells[COL_MODEL], sizeof cells[0], "%s", r->model);
    tg_format_tokens(r->prompt_tokens + r->completion_tokens, cells[COL_TOKENS], sizeof cells[0]);
    tg_nanos_format_human(r->cost, cells[COL_COST], sizeof cells[0] - 1);
    if (r->cost_kind == 1) /* estimated */
        strcat(cells[COL_COST], "~");
    tg_format_ms(r->latency_ms, cells[COL_LATENCY], sizeof cells[0]);
    snprintf(cells[COL_STATUS], sizeof cells[0], "%d", r->status_code);
    move(y, 0);
    clrtoeol();
    int x = 0;
    for (int c = 0; c < NCOLUMNS; c++)
        draw_cell(y, &x, &columns[c], cells[c]);
}

static void draw(struct ui *ui)
{
    attron(A_BOLD);
    int x = 0;
    move(HEADER_ROW, 0);
    for (int c = 0; c < NCOLUMNS; c++)
        draw_cell(HEADER_ROW, &x, &columns[c], columns[c].title);
    attroff(A_BOLD);
    if (rq.cursor >= rq.count)
        rq.cursor = rq.count ? rq.count - 1 : 0;
    for (int i = 0; i < rq.count && i < LINES - FIRST_ROW - 1; i++) {
        const struct tg_request_row *r = &rq.page[i];
        bool failed = ui->colour && r->is_error;
        if (i == rq.cursor)
            attron(A_REVERSE);
        if (failed)
            attron(COLOR_PAIR(COLOUR_ERROR));
        draw_row(FIRST_ROW + i, r);
        if (failed)
            attroff(COLOR_PAIR(COLOUR_ERROR));
        if (i == rq.cursor)
            attroff(A_REVERSE);
    }
    if (rq.count == 0)
        mvprintw(FIRST_ROW + 1, 2, "No requests in this window (w changes it).");
}

static void edit_filter(struct ui *ui)
{
    static struct tg_request_filter f; /* large: kept off the stack */
    char text[sizeof rq.filter_text], err[200];
    snprintf(text, sizeof text, "%s", rq.filter_text);
    if (!lineedit_read("/", text, sizeof text))
        return;
    if (tg_filter_parse(text, &f, err, sizeof err) != 0) {
        ui_status(ui, "%s", err);
        return;
    }
    rq.filter = f;
    snprintf(rq.filter_text, sizeof rq.filter_text, "%s", text);
    rewind_page(ui);
    if (f.text_ignored)
        ui_status(ui, "free text needs 3 characters or more: it was left out");
}

static void key_down(struct ui *ui, int ch) { (void)ch; requests_step(ui, 1); }
static void key_up(struct ui *ui, int ch) { (void)ch; requests_step(ui, -1); }
static void key_page_down(struct ui *ui, int ch) { (void)ch; requests_step(ui, ui_page_rows()); }
static void key_page_up(struct ui *ui, int ch) { (void)ch; requests_step(ui, -ui_page_rows()); }
static void key_newest(struct ui *ui, int ch) { (void)ch; rewind_page(ui); }
static void key_filter(struct ui *ui, int ch) { (void)ch; edit_filter(ui); }

static void key_wheel(struct ui *ui, int ch)
{
    (void)ch;
    int step = mouse_wheel_step();
    if (step)
        requests_step(ui, step);
}

static void key_resize(struct ui *ui, int ch)
{
    (void)ch;
    load(ui); /* as many rows as now fit */
}

static void key_open(struct ui *ui, int ch)
{
    (void)ch;
    const struct tg_request_row *r = requests_selected();
    if (r)
        detail_open(ui, r->row_id);
}

static void key_follow(struct ui *ui, int ch)
{
    (void)ch;
    rq.follow = !rq.follow;
    if (rq.follow)
        rewind_page(ui);
}

static void key_back(struct ui *ui, int ch)
{
    (void)ch;
    if (rq.return_to >= 0)
        app_switch(ui, (enum screen_id)rq.return_to);
}

static const struct binding keys[] = {
    {{KEY_DOWN, 'j'}, "move down (older)", key_down},
    {{KEY_UP, 'k'}, "move up (newer)", key_up},
    {{KEY_NPAGE}, "a page down", key_page_down},
    {{KEY_PPAGE}, "a page up", key_page_up},
    {{KEY_HOME, 'g'}, "to the newest request", key_newest},
    {{KEY_MOUSE}, "scroll", key_wheel},
    {{'\n', KEY_ENTER}, "open the request: its prompt and response", key_open},
    {{'/'}, "filter: dev:NAME key:NAME model:PART status:error|ok|429 cost>0.5 cost<2 thread:ID, and words or "
            "\"a phrase\" searched in prompts and responses",
     key_filter},
    {{'f'}, "follow new requests as they arrive (on / off)", key_follow},
    {{KEY_ESCAPE}, "back to the table a drill-down came from, keeping its cursor", key_back},
    {{KEY_RESIZE}, NULL, key_resize},
    {{0}, NULL, NULL},
};

const struct screen_ops requests_screen = {
    .name = "Requests",
    .load = load,
    .draw = draw,
    .keys = keys,
    .rewind = rewind_page,
    .reread = reread_page,
    .leave = leave,
    .describe = describe,
};
