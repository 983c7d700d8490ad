#define _XOPEN_SOURCE_EXTENDED 1
#include "screens/requests.h"

#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/format.h"
#include "base/sanitize.h"
#include "base/timeutil.h"
#include "query/preview.h"
#include "query/requestlist.h"
#include "query/threadlist.h"
#include "screens/app.h"
#include "screens/detail.h"
#include "screens/lineedit.h"

#define PAGE_MAX 512
#define THREADS_MAX 500
#define HEADER_ROW 1
#define FIRST_ROW 2
#define PREVIEW_MIN_COLS 20 /* a narrower preview column is left out */
#define PREVIEW_BYTES 400
#define PREVIEW_SLOTS 1024  /* the previews remembered, by row id */

/* Columns with a width that grows with the terminal up to `most`. */
struct column {
    const char *title;
    int least, most;
    bool left;
    enum tg_request_order order; /* the order this column sorts, TG_ORDER_COUNT none */
};

enum { COL_TIME, COL_DEVELOPER, COL_KEY, COL_MODEL, COL_TOKENS, COL_COST, COL_LATENCY, COL_STATUS, COL_PROMPT,
       NCOLUMNS };
static const struct column columns[NCOLUMNS] = {
    [COL_TIME] = {"UTC", 11, 11, true, TG_ORDER_TIME},
    [COL_DEVELOPER] = {"DEVELOPER", 9, 20, true, TG_ORDER_COUNT},
    [COL_KEY] = {"KEY", 13, 24, true, TG_ORDER_COUNT},
    [COL_MODEL] = {"MODEL", 17, 32, true, TG_ORDER_COUNT},
    [COL_TOKENS] = {"TOKENS", 6, 6, false, TG_ORDER_TOKENS},
    [COL_COST] = {"COST", 8, 8, false, TG_ORDER_COST},
    [COL_LATENCY] = {"LATNCY", 6, 6, false, TG_ORDER_LATENCY},
    [COL_STATUS] = {"ST", 3, 3, false, TG_ORDER_COUNT},
    [COL_PROMPT] = {"LAST USER MESSAGE", 0, 10000, true, TG_ORDER_COUNT},
};

struct preview_slot {
    int64_t row_id; /* 0: empty */
    char text[PREVIEW_BYTES];
};

static struct {
    struct tg_request_row page[PAGE_MAX]; /* in the list's order */
    int count, cursor;
    struct tg_request_list list;
    enum tg_request_order order;
    struct tg_request_filter filter;
    char filter_text[TG_FILTER_NAME_MAX + 64]; /* as typed, or the drill-down's description */
    char empty_reason[300];                   /* why the list is empty, "" when it is not */
    int64_t first_found;                      /* a text search: the request that held it first */
    bool follow;    /* jump to new rows as they arrive */
    int return_to;  /* the screen a drill-down came from, or -1 */
    /* the Threads view (t): the window's threads by cost */
    bool threads;
    struct tg_thread_row thread_rows[THREADS_MAX];
    int thread_count, thread_cursor, thread_top;
    struct preview_slot previews[PREVIEW_SLOTS];
    bool previews_pending; /* a row was drawn without its preview */
} rq = {.return_to = -1, .filter = {.status = -1, .cost_above = -1, .cost_below = -1}};

const char *requests_search_text(void)
{
    return rq.filter.text_ignored ? "" : rq.filter.text;
}

/* The last user message of the request shown on a line: each line keeps
 * its own (by row id, so a line whose request changed reads it again); a
 * cache by row id saves reading a body twice. Drawn lines lacking theirs set
 * previews_pending, and load_more reads them right after the paint (a page
 * of agent bodies took 30-60 ms: the rows come first). */
struct line_preview {
    int64_t row_id; /* 0: none yet */
    char text[PREVIEW_BYTES];
};
static struct line_preview page_previews[PAGE_MAX], thread_previews[THREADS_MAX];

static const char *line_preview(const struct line_preview *line, int64_t row_id)
{
    if (line->row_id == row_id)
        return line->text;
    rq.previews_pending = true;
    return "";
}

static void read_preview(struct ui *ui, struct line_preview *line, int64_t row_id)
{
    if (line->row_id == row_id)
        return;
    struct preview_slot *slot = &rq.previews[(uint64_t)row_id % PREVIEW_SLOTS];
    if (slot->row_id != row_id) {
        slot->row_id = row_id;
        if (tg_request_preview(ui->store, row_id, slot->text, sizeof slot->text) != 0)
            snprintf(slot->text, sizeof slot->text, "-");
    }
    line->row_id = row_id;
    memcpy(line->text, slot->text, sizeof line->text);
}

/* After a paint that lacked previews: read those of the lines in view, once
 * (a line always has its own afterwards, so this never loops). */
static bool load_previews(struct ui *ui)
{
    if (!rq.previews_pending)
        return false;
    rq.previews_pending = false;
    int shown = LINES - FIRST_ROW - 1;
    if (rq.threads) {
        for (int i = 0; i < shown && rq.thread_top + i < rq.thread_count; i++)
            read_preview(ui, &thread_previews[rq.thread_top + i], rq.thread_rows[rq.thread_top + i].first_request);
    } else {
        for (int i = 0; i < shown && i < rq.count; i++)
            read_preview(ui, &page_previews[i], rq.page[i].row_id);
    }
    return true;
}

static void plan(struct ui *ui)
{
    rq.list = (struct tg_request_list){ui->store, rq.order, ui_window_since(ui), ui_window_until(ui), &rq.filter,
                                       false};
    tg_request_list_plan(&rq.list);
}

static void load_page(struct ui *ui, int64_t value, int64_t row_id)
{
    char err[256];
    int limit = LINES > 4 ? (LINES - 4 < PAGE_MAX ? LINES - 4 : PAGE_MAX) : 1;
    int n = tg_request_list_page(&rq.list, false, value, row_id, rq.page, limit, err, sizeof err);
    if (n < 0)
        ui_status(ui, "%s", err);
    rq.first_found = tg_request_list_first_found(&rq.list);
    rq.count = n < 0 ? 0 : n;
    rq.empty_reason[0] = '\0';
    if (rq.count == 0 && n == 0 && value == INT64_MAX)
        tg_request_list_why_empty(&rq.list, rq.empty_reason, sizeof rq.empty_reason);
}

static void load_threads(struct ui *ui)
{
    char err[256];
    int n = tg_threads_by_cost(ui->store, ui_window_since(ui), ui_window_until(ui), rq.thread_rows, THREADS_MAX,
                               err, sizeof err);
    if (n < 0)
        ui_status(ui, "%s", err);
    rq.thread_count = n < 0 ? 0 : n;
}

static void load(struct ui *ui)
{
    if (rq.threads) {
        load_threads(ui);
        return;
    }
    plan(ui);
    load_page(ui, INT64_MAX, INT64_MAX);
}

static void rewind_page(struct ui *ui)
{
    rq.cursor = 0;
    rq.thread_cursor = rq.thread_top = 0;
    load(ui);
}

static int64_t value_of(const struct tg_request_row *r)
{
    return tg_request_order_value(rq.order, r);
}

static void reread_page(struct ui *ui)
{
    if (rq.threads) {
        load_threads(ui);
    } else if (rq.follow) {
        rewind_page(ui);
    } else if (rq.count > 0) { /* same rows, fresh values, the cursor stays */
        struct tg_request_row first = rq.page[0];
        load_page(ui, value_of(&first), first.row_id + 1);
    } else {
        load(ui);
    }
}

const struct tg_request_row *requests_selected(void)
{
    return !rq.threads && rq.count > 0 && rq.cursor < rq.count ? &rq.page[rq.cursor] : NULL;
}

/* Further down the order: the page starts `shift` rows further on, unless
 * the last row is on screen already. */
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
    load_page(ui, value_of(&anchor), anchor.row_id);
    if (rq.count < before && saved) {
        memcpy(rq.page, saved, sizeof rq.page);
        rq.count = before;
    }
    free(saved);
    rq.cursor = rq.count - 1;
}

/* Back up the order: the page starts at the nearest of the rows above the first shown. */
static void page_newer(struct ui *ui, int target)
{
    static struct tg_request_row newer[PAGE_MAX];
    char err[200];
    int want = -target < PAGE_MAX ? -target : PAGE_MAX;
    int n = tg_request_list_page(&rq.list, true, value_of(&rq.page[0]), rq.page[0].row_id, newer, want, err,
                                 sizeof err);
    if (n > 0)
        load_page(ui, value_of(&newer[n - 1]), newer[n - 1].row_id + 1);
    rq.cursor = 0;
}

static void threads_step(int delta)
{
    int target = rq.thread_cursor + delta;
    rq.thread_cursor = target < 0 ? 0 : target >= rq.thread_count ? (rq.thread_count ? rq.thread_count - 1 : 0)
                                                                   : target;
}

void requests_step(struct ui *ui, int delta)
{
    if (rq.threads) {
        threads_step(delta);
        return;
    }
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
    rq.threads = false;
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
    char shown[sizeof rq.filter_text];
    tg_sanitize(rq.filter_text, shown, sizeof shown);
    if (rq.threads)
        snprintf(buf, len, " | threads by cost");
    else
        snprintf(buf, len, "%s%s%s%s%s", rq.follow ? " follow" : "", rq.order != TG_ORDER_TIME ? " | by " : "",
                 rq.order != TG_ORDER_TIME ? tg_request_order_name(rq.order) : "", shown[0] ? " | /" : "", shown);
}

/* Each column's width at this terminal width: the model first grows to its
 * full name, then the preview takes what is left once it is wide enough. */
static void widths(int w[NCOLUMNS])
{
    int used = 0;
    for (int c = 0; c < COL_PROMPT; c++) {
        w[c] = columns[c].least;
        used += w[c] + (c > 0);
    }
    int spare = COLS - used;
    static const int grow_order[] = {COL_MODEL, COL_DEVELOPER, COL_KEY};
    static const int first_step[] = {15, 5, 5}; /* before the preview */
    for (int i = 0; i < 3 && spare > 0; i++) {
        int g = first_step[i] < spare ? first_step[i] : spare;
        w[grow_order[i]] += g;
        spare -= g;
    }
    w[COL_PROMPT] = 0;
    if (spare - 1 >= PREVIEW_MIN_COLS) {
        w[COL_PROMPT] = spare - 1;
        return;
    }
    for (int i = 0; i < 3 && spare > 0; i++) { /* no preview: the names take the rest */
        int room = columns[grow_order[i]].most - w[grow_order[i]];
        int g = room < spare ? room : spare;
        w[grow_order[i]] += g;
        spare -= g;
    }
}

static void draw_cell(int y, int *x, const struct column *c, int width, const char *text)
{
    if (width <= 0)
        return;
    if (*x > 0) {
        if (*x >= COLS)
            return;
        mvaddch(y, *x, ' ');
        (*x)++;
    }
    int room = COLS - *x < width ? COLS - *x : width;
    if (room <= 0)
        return;
    if (c->left) {
        draw_padded(y, *x, text, room);
    } else {
        int pad = width - (int)strlen(text); /* right-aligned cells are ASCII but the arrow */
        if (strstr(text, "↓"))
            pad += 2;
        for (int i = 0; i < pad && i < room; i++)
            mvaddch(y, *x + i, ' ');
        if (pad < room)
            draw_text(y, *x + (pad > 0 ? pad : 0), text, room - (pad > 0 ? pad : 0));
    }
    *x += width;
}

static void draw_row(int y, int line, const struct tg_request_row *r, const int w[NCOLUMNS])
{
    char cells[COL_PROMPT][80], when[40];
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
    for (int c = 0; c < COL_PROMPT; c++)
        draw_cell(y, &x, &columns[c], w[c], cells[c]);
    if (!w[COL_PROMPT])
        return;
    char preview[sizeof page_previews[0].text + 16];
    /* a text search: the request that brought the text first */
    snprintf(preview, sizeof preview, "%s%s", r->row_id == rq.first_found ? "[first] " : "",
             line_preview(&page_previews[line], r->row_id));
    draw_cell(y, &x, &columns[COL_PROMPT], w[COL_PROMPT], preview);
}

static void draw_header(const int w[NCOLUMNS])
{
    attron(A_BOLD);
    move(HEADER_ROW, 0);
    clrtoeol();
    int x = 0;
    for (int c = 0; c < NCOLUMNS; c++) {
        char title[40];
        bool sorted = columns[c].order == rq.order;
        snprintf(title, sizeof title, "%.*s%s", sorted && w[c] <= (int)strlen(columns[c].title) ? w[c] - 1 : 40,
                 columns[c].title, sorted ? "↓" : "");
        draw_cell(HEADER_ROW, &x, &columns[c], w[c], title);
    }
    attroff(A_BOLD);
}

static void format_duration(int64_t ms, char *buf, size_t len)
{
    int64_t s = ms / 1000;
    if (s < 60) snprintf(buf, len, "%llds", (long long)s);
    else if (s < 3600) snprintf(buf, len, "%lldm", (long long)(s / 60));
    else if (s < 172800) snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
    else snprintf(buf, len, "%lldd", (long long)(s / 86400));
}

/* Threads: the most expensive first, with the prompt that started each. */
static void draw_threads(void)
{
    static const struct column tcols[] = {
        {"THREAD", 16, 16, true, TG_ORDER_COUNT},   {"DEVELOPER", 10, 10, true, TG_ORDER_COUNT},
        {"COST↓", 9, 9, false, TG_ORDER_COUNT},     {"TURNS", 5, 5, false, TG_ORDER_COUNT},
        {"DURATION", 8, 8, false, TG_ORDER_COUNT},  {"FIRST PROMPT", 0, 0, true, TG_ORDER_COUNT},
    };
    int w[6] = {16, 10, 9, 5, 8, 0}, fixed = 16 + 10 + 9 + 5 + 8 + 5;
    w[5] = COLS - fixed - 1 > 0 ? COLS - fixed - 1 : 0;
    int height = LINES - FIRST_ROW - 1;
    if (rq.thread_cursor < rq.thread_top)
        rq.thread_top = rq.thread_cursor;
    if (rq.thread_cursor >= rq.thread_top + height)
        rq.thread_top = rq.thread_cursor - height + 1;
    attron(A_BOLD);
    int x = 0;
    for (int c = 0; c < 6; c++)
        draw_cell(HEADER_ROW, &x, &tcols[c], w[c], tcols[c].title);
    attroff(A_BOLD);
    for (int i = 0; i < height && rq.thread_top + i < rq.thread_count; i++) {
        const struct tg_thread_row *t = &rq.thread_rows[rq.thread_top + i];
        char cells[6][96];
        tg_sanitize(t->thread, cells[0], sizeof cells[0]);
        snprintf(cells[1], sizeof cells[1], "%s", t->developer);
        tg_nanos_format_human(t->cost, cells[2], sizeof cells[2]);
        tg_format_count(t->turns, cells[3], sizeof cells[3]);
        format_duration(t->last_ms - t->first_ms, cells[4], sizeof cells[4]);
        bool selected = rq.thread_top + i == rq.thread_cursor;
        if (selected)
            attron(A_REVERSE);
        move(FIRST_ROW + i, 0);
        clrtoeol();
        x = 0;
        for (int c = 0; c < 5; c++)
            draw_cell(FIRST_ROW + i, &x, &tcols[c], w[c], cells[c]);
        draw_cell(FIRST_ROW + i, &x, &tcols[5], w[5],
                  line_preview(&thread_previews[rq.thread_top + i], t->first_request));
        if (selected)
            attroff(A_REVERSE);
    }
    if (rq.thread_count == 0)
        mvprintw(FIRST_ROW + 1, 2, "No threads in this window (w changes it; t goes back to the requests).");
}

/* ASCII text over as many lines as it needs, broken at spaces. */
static void draw_wrapped(int y, int x, const char *text, int cols)
{
    while (*text && y < LINES - 1 && cols > 0) {
        int n = (int)strlen(text);
        if (n > cols) {
            n = cols;
            while (n > 0 && text[n] != ' ')
                n--;
            if (n == 0)
                n = cols;
        }
        char part[400];
        snprintf(part, sizeof part, "%.*s", n, text);
        draw_text(y++, x, part, cols);
        text += n;
        while (*text == ' ')
            text++;
    }
}

static void draw(struct ui *ui)
{
    if (rq.threads) {
        draw_threads();
        return;
    }
    int w[NCOLUMNS];
    widths(w);
    draw_header(w);
    if (rq.cursor >= rq.count)
        rq.cursor = rq.count ? rq.count - 1 : 0;
    for (int i = 0; i < rq.count && i < LINES - FIRST_ROW - 1; i++) {
        const struct tg_request_row *r = &rq.page[i];
        bool failed = ui->colour && r->is_error;
        if (i == rq.cursor)
            attron(A_REVERSE);
        if (failed)
            attron(COLOR_PAIR(COLOUR_ERROR));
        draw_row(FIRST_ROW + i, i, r, w);
        if (failed)
            attroff(COLOR_PAIR(COLOUR_ERROR));
        if (i == rq.cursor)
            attroff(A_REVERSE);
    }
    if (rq.count == 0) {
        char line[400];
        snprintf(line, sizeof line, "Nothing to show: %s.", rq.empty_reason[0] ? rq.empty_reason : "no requests");
        draw_wrapped(FIRST_ROW + 1, 2, line, COLS - 3);
    }
}

static void edit_filter(struct ui *ui)
{
    static struct tg_request_filter f; /* large: kept off the stack */
    char text[sizeof rq.filter_text], err[300];
    snprintf(text, sizeof text, "%s", rq.filter_text);
    if (!lineedit_read("/", text, sizeof text))
        return;
    if (tg_filter_parse(text, &f, err, sizeof err) != 0) {
        char shown[sizeof err];
        tg_sanitize(err, shown, sizeof shown);
        ui_status(ui, "%s", shown);
        return;
    }
    rq.filter = f;
    rq.threads = false;
    snprintf(rq.filter_text, sizeof rq.filter_text, "%s", text);
    rewind_page(ui);
    if (f.text_ignored)
        ui_status(ui, "free text needs 3 characters or more, punctuation and base64 aside: it was left out");
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
    if (!rq.threads)
        load_page(ui, INT64_MAX, INT64_MAX); /* as many rows as now fit */
}

static void key_open(struct ui *ui, int ch)
{
    (void)ch;
    if (rq.threads) {
        if (rq.thread_count > 0) {
            char thread[TG_FILTER_NAME_MAX];
            snprintf(thread, sizeof thread, "%s", rq.thread_rows[rq.thread_cursor].thread);
            requests_show_thread(ui, thread);
        }
        return;
    }
    const struct tg_request_row *r = requests_selected();
    if (r)
        detail_open(ui, r->row_id);
}

static void key_follow(struct ui *ui, int ch)
{
    (void)ch;
    rq.follow = !rq.follow;
    if (rq.follow) {
        rq.order = TG_ORDER_TIME; /* following means the newest first */
        rq.threads = false;
        rewind_page(ui);
    }
}

static void key_back(struct ui *ui, int ch)
{
    (void)ch;
    if (rq.threads) {
        rq.threads = false;
        rewind_page(ui);
    } else if (rq.return_to >= 0) {
        app_switch(ui, (enum screen_id)rq.return_to);
    }
}

/* s: the next order (time, cost, tokens, latency), S the one before. */
static void key_sort(struct ui *ui, int ch)
{
    rq.order = (enum tg_request_order)((rq.order + (ch == 's' ? 1 : TG_ORDER_COUNT - 1)) % TG_ORDER_COUNT);
    rq.threads = false;
    if (rq.order != TG_ORDER_TIME)
        rq.follow = false;
    rewind_page(ui);
    ui_status(ui, "sorted by %s, the %s first", tg_request_order_name(rq.order),
              rq.order == TG_ORDER_TIME ? "newest" : rq.order == TG_ORDER_COST ? "most expensive"
                                                   : rq.order == TG_ORDER_TOKENS ? "largest" : "slowest");
}

static void key_threads(struct ui *ui, int ch)
{
    (void)ch;
    rq.threads = !rq.threads;
    rewind_page(ui);
}

static const struct binding keys[] = {
    {{KEY_DOWN, 'j'}, "move down (older, or further down the order)", key_down},
    {{KEY_UP, 'k'}, "move up", key_up},
    {{KEY_NPAGE}, "a page down", key_page_down},
    {{KEY_PPAGE}, "a page up", key_page_up},
    {{KEY_HOME, 'g'}, "to the first request of the order", key_newest},
    {{KEY_MOUSE}, "scroll", key_wheel},
    {{'\n', KEY_ENTER}, "open the request: its prompt and response (on a thread: its requests)", key_open},
    {{'/'}, "filter: dev:NAME key:NAME model:PART status:error|ok|429 cost>0.5 cost<2 thread:ID, and words or "
            "\"a phrase\" searched in prompts and responses",
     key_filter},
    {{'s', 'S'}, "sort by time, cost, tokens, latency (S backwards): the most first", key_sort},
    {{'t'}, "threads: the window's threads by cost, with turns, duration and first prompt (t again: back)",
     key_threads},
    {{'f'}, "follow new requests as they arrive (on / off)", key_follow},
    {{KEY_ESCAPE}, "back: from threads, else to the table a drill-down came from, keeping its cursor", key_back},
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
    .load_more = load_previews,
};
