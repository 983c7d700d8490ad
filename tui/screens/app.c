#define _XOPEN_SOURCE_EXTENDED 1
#include "screens/app.h"

#include <locale.h>
#include <pthread.h>
#include <stdatomic.h>
#include <ncurses.h>
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <wchar.h>

#include "query/browse.h"
#include "gateway/gateway_setup.h"
#include "ops/keys.h"
#include "ops/revoke.h"
#include "query/search.h"
#include "query/filter.h"
#include "cli.h"
#include "base/sanitize.h"
#include "query/spend.h"
#include "base/timeutil.h"
#include "base/format.h"

#define PAGE_MAX 512

enum view { SCREEN_OVERVIEW, SCREEN_DEVELOPERS, SCREEN_KEYS, SCREEN_MODELS, SCREEN_REQUESTS, NSCREENS };
static const char *const screen_names[NSCREENS] = {"Overview", "Developers", "Keys", "Models", "Requests"};

static const struct {
    const char *label;
    int64_t span_ms; /* 0 = all */
} windows[] = {{"1h", TG_HOUR_MS}, {"24h", TG_DAY_MS}, {"7d", 7 * TG_DAY_MS}, {"30d", 30 * TG_DAY_MS}, {"all", 0}};
#define NWINDOWS ((int)(sizeof windows / sizeof windows[0]))

struct ui {
    struct tg_store *store;
    const struct ui_options *opt;
    enum view screen;
    int window;
    bool colour;
    int cursor[NSCREENS]; /* table screens: selected row */
    int top[NSCREENS];    /* first row shown */
    struct tg_spend_report table; /* the spend table of the current screen */
    bool table_loaded;
    /* requests: a page of rows from an anchor, newest first */
    struct tg_request_row page[PAGE_MAX];
    int page_count;
    /* detail view, on top of the current screen */
    bool in_detail, in_help;
    struct tg_detail detail;
    int detail_top;
    char status[1024];
    int64_t data_version;
    bool quit;
    struct tg_request_filter filter; /* Requests */
    char filter_text[256];
    char table_filter[128];          /* Developers, Keys, Models: a name substring */
    bool follow;                     /* Requests: jump to new rows as they arrive */
    int return_to;                   /* the table a drill-down came from, or -1 */
    struct tg_key_rows keys;         /* statuses, to mark revoked keys */
    int64_t custom_since, custom_until; /* :since / :until, -1 when unset */
    char window_label[64];
    int sort;                        /* tables: an index into sort_names */
    struct tg_spend_report timeline; /* Overview: spend per hour or day */
    bool timeline_loaded;
    struct tg_spend_report tops[2];  /* Overview: top keys and models */
    bool tops_loaded;
    bool tops_pending;               /* drawn right after the first paint */
    struct indexer *indexer;
};

/* Fills the search index behind the screens, on its own read-write
 * connection, a few hundred requests per transaction so the collector is
 * never kept waiting; then keeps up with new requests. */
struct indexer {
    pthread_t thread;
    char db_path[4096];
    atomic_int stop, failed;
    atomic_llong indexed, total;
};

/* A revocation runs on its own thread with its own read-write connection, so
 * the screen never freezes while the gateway answers. */
struct revoke_job {
    pthread_t thread;
    char db_path[4096];
    char which[2][256];   /* key ids or names to revoke */
    int count;
    char actor[64];
    atomic_int cancel;
    atomic_int done;
    int ok, failed;
    char message[800];
};

static void *indexer_main(void *arg)
{
    struct indexer *ix = arg;
    char err[256];
    struct tg_store *store;
    /* below the screens in priority: indexing must never slow a key press */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
    if (tg_store_open(ix->db_path, TG_STORE_SMALL_CACHE, &store, err, sizeof err) != 0) {
        atomic_store(&ix->failed, 1);
        return NULL;
    }
    while (!atomic_load(&ix->stop)) {
        int64_t indexed, total;
        tg_search_progress(store, &indexed, &total);
        atomic_store(&ix->indexed, indexed);
        atomic_store(&ix->total, total);
        int n = tg_search_index_more(store, 500, err, sizeof err);
        if (n < 0) {
            atomic_store(&ix->failed, 1);
            break;
        }
        for (int i = 0; n == 0 && i < 10 && !atomic_load(&ix->stop); i++)
            usleep(100000); /* caught up: look again in a second */
    }
    tg_store_close(store);
    return NULL;
}

static struct indexer *start_indexer(const char *db_path)
{
    struct indexer *ix = calloc(1, sizeof *ix);
    if (!ix)
        return NULL;
    snprintf(ix->db_path, sizeof ix->db_path, "%s", db_path);
    atomic_store(&ix->total, -1);
    if (pthread_create(&ix->thread, NULL, indexer_main, ix) != 0) {
        free(ix);
        return NULL;
    }
    return ix;
}

static void stop_indexer(struct indexer *ix)
{
    if (!ix)
        return;
    atomic_store(&ix->stop, 1);
    pthread_join(ix->thread, NULL);
    free(ix);
}

/* " | search 45%" while the index is being built; "" once complete. */
static void search_state(const struct ui *ui, char *buf, size_t len)
{
    buf[0] = '\0';
    const struct indexer *ix = ui->indexer;
    if (!ix || atomic_load(&ix->failed)) {
        snprintf(buf, len, " | no search (db read-only)");
        return;
    }
    long long total = atomic_load(&ix->total), done = atomic_load(&ix->indexed);
    if (total > 0 && done < total)
        snprintf(buf, len, " | search %lld%%", done * 100 / total);
}


/* Every key, with what it does: the help screen is drawn from this table. */
static const struct {
    const char *keys, *what;
} bindings[] = {
    {"1-5, Tab", "switch screen: Overview, Developers, Keys, Models, Requests"},
    {"w", "cycle the time window: 1h, 24h, 7d, 30d, all"},
    {"Up/Down, j/k, wheel", "move"},
    {"PgUp/PgDn, Home/End", "move a page, to the first / last"},
    {"Enter", "open: a developer's, key's or model's requests; a request's detail"},
    {"/", "filter: a name on tables; on Requests dev:NAME key:NAME model:PART status:error|ok|429 cost>0.5 cost<2 thread:ID, and words or \"a phrase\" searched in prompts and responses"},
    {"s, S", "tables: sort by spend, requests, errors, last seen, name (S backwards)"},
    {":since T, :until T", "a custom window (T: 2026-11-01, 2026-11-01T10:00, 24h, 7d); :all or w ends it"},
    {"f", "Requests: follow new requests as they arrive (on / off)"},
    {"n, p", "detail: next / previous request"},
    {"t", "detail: the whole thread of this request"},
    {"e", "detail: export the request as JSON to ./tollgate-ID.json"},
    {"Esc", "back: from detail, help, or a drill-down, keeping the cursor"},
    {"q", "quit (back, in detail)"},
    {"R", "Keys: revoke the key; Developers: all their keys (shows the impact, asks for the name)"},
    {"?", "this help"},
};

static int64_t window_since(const struct ui *ui)
{
    if (ui->custom_since >= 0 || ui->custom_until >= 0)
        return ui->custom_since >= 0 ? ui->custom_since : 0;
    int64_t span = windows[ui->window].span_ms;
    return span ? tg_now_ms() - span : 0;
}

static int64_t window_until(const struct ui *ui)
{
    return ui->custom_until >= 0 ? ui->custom_until : INT64_MAX;
}

static const char *window_name(struct ui *ui)
{
    if (ui->custom_since < 0 && ui->custom_until < 0)
        return windows[ui->window].label;
    char a[40] = "start", b[40] = "now";
    if (ui->custom_since >= 0)
        tg_time_format_iso(ui->custom_since, a, sizeof a);
    if (ui->custom_until >= 0)
        tg_time_format_iso(ui->custom_until, b, sizeof b);
    snprintf(ui->window_label, sizeof ui->window_label, "%.16s..%.16s", a, b);
    return ui->window_label;
}

/* Draws UTF-8 text in at most `cols` terminal columns (wide characters count
 * two), so CJK and emoji never push a table out of line. */
static int draw_text(int y, int x, const char *text, int cols)
{
    mbstate_t state;
    memset(&state, 0, sizeof state);
    int used = 0;
    const char *p = text;
    move(y, x);
    while (*p && used < cols) {
        wchar_t wc;
        size_t n = mbrtowc(&wc, p, MB_CUR_MAX, &state);
        if (n == 0 || n == (size_t)-1 || n == (size_t)-2)
            break;
        int w = wcwidth(wc);
        if (w < 0)
            w = 1, wc = L'?';
        if (used + w > cols)
            break;
        addnwstr(&wc, 1);
        used += w;
        p += n;
    }
    return used;
}

static void draw_padded(int y, int x, const char *text, int cols)
{
    int used = draw_text(y, x, text, cols);
    for (; used < cols; used++)
        addch(' ');
}

static void free_table(struct ui *ui)
{
    if (ui->table_loaded)
        tg_spend_report_free(&ui->table);
    ui->table_loaded = false;
}

static enum tg_spend_by by_for(enum view s)
{
    return s == SCREEN_DEVELOPERS ? TG_BY_DEVELOPER : s == SCREEN_KEYS ? TG_BY_KEY : TG_BY_MODEL;
}

static const char *const sort_names[] = {"spend", "requests", "errors", "last seen", "name"};
#define NSORTS 5

static int compare_rows(const void *a, const void *b, void *arg)
{
    const struct tg_spend_row *x = a, *y = b;
    switch (*(int *)arg) {
    case 1: return (y->requests > x->requests) - (y->requests < x->requests);
    case 2: return (y->errors > x->errors) - (y->errors < x->errors);
    case 3: return (y->last_ms > x->last_ms) - (y->last_ms < x->last_ms);
    case 4: return strcmp(x->name, y->name);
    default: return (y->cost > x->cost) - (y->cost < x->cost);
    }
}

static void load_table(struct ui *ui, enum tg_spend_by by)
{
    free_table(ui);
    struct tg_spend_filter f = {window_since(ui), ui->custom_until >= 0 ? ui->custom_until : TG_SPEND_OPEN, NULL,
                                NULL, NULL};
    char err[256];
    if (tg_spend_query(ui->store, by, &f, 0, &ui->table, err, sizeof err) == 0)
        ui->table_loaded = true;
    else
        snprintf(ui->status, sizeof ui->status, "%s", err);
    if (ui->table_loaded && ui->sort)
        qsort_r(ui->table.rows, ui->table.count, sizeof *ui->table.rows, compare_rows, &ui->sort);
}

static void load_requests(struct ui *ui, int64_t before_ts, int64_t before_id)
{
    char err[256];
    int n = tg_browse_requests(ui->store, window_since(ui), window_until(ui), &ui->filter, before_ts, before_id, ui->page,
                               LINES > 4 ? (LINES - 4 < PAGE_MAX ? LINES - 4 : PAGE_MAX) : 1, err, sizeof err);
    if (n < 0)
        snprintf(ui->status, sizeof ui->status, "%s", err);
    ui->page_count = n < 0 ? 0 : n;
}

static void load_key_statuses(struct ui *ui)
{
    char err[200];
    tg_key_rows_free(&ui->keys);
    if (tg_keys_list(ui->store, tg_now_ms(), NULL, &ui->keys, err, sizeof err) != 0)
        memset(&ui->keys, 0, sizeof ui->keys);
}

static const struct tg_key_row *key_named(const struct ui *ui, const char *name)
{
    for (size_t i = 0; i < ui->keys.count; i++) {
        if (strcmp(tg_key_label(&ui->keys.rows[i]), name) == 0)
            return &ui->keys.rows[i];
    }
    return NULL;
}

/* Hours for a day or less, days beyond. */
static enum tg_spend_by timeline_unit(const struct ui *ui)
{
    int64_t span = window_until(ui) == INT64_MAX ? tg_now_ms() - window_since(ui)
                                                  : window_until(ui) - window_since(ui);
    return span <= 2 * TG_DAY_MS ? TG_BY_HOUR : TG_BY_DAY;
}

static void load_timeline(struct ui *ui)
{
    if (ui->timeline_loaded)
        tg_spend_report_free(&ui->timeline);
    ui->timeline_loaded = false;
    struct tg_spend_filter f = {window_since(ui), ui->custom_until >= 0 ? ui->custom_until : TG_SPEND_OPEN, NULL,
                                NULL, NULL};
    char err[200];
    ui->timeline_loaded = tg_spend_query(ui->store, timeline_unit(ui), &f, 0, &ui->timeline, err, sizeof err) == 0;
}

static void free_tops(struct ui *ui)
{
    if (!ui->tops_loaded)
        return;
    tg_spend_report_free(&ui->tops[0]);
    tg_spend_report_free(&ui->tops[1]);
    ui->tops_loaded = false;
}

static void load_tops(struct ui *ui)
{
    free_tops(ui);
    struct tg_spend_filter f = {window_since(ui), ui->custom_until >= 0 ? ui->custom_until : TG_SPEND_OPEN, NULL,
                                NULL, NULL};
    char err[200];
    if (tg_spend_query(ui->store, TG_BY_KEY, &f, 20, &ui->tops[0], err, sizeof err) != 0)
        return;
    if (tg_spend_query(ui->store, TG_BY_MODEL, &f, 20, &ui->tops[1], err, sizeof err) != 0) {
        tg_spend_report_free(&ui->tops[0]);
        return;
    }
    ui->tops_loaded = true;
}

static void reload(struct ui *ui)
{
    if (ui->screen == SCREEN_OVERVIEW)
        ui->tops_pending = true; /* the totals first; the chart and the tops a moment later */
    if (ui->screen == SCREEN_KEYS) /* only the Keys table marks revoked keys */
        load_key_statuses(ui);
    if (ui->screen == SCREEN_REQUESTS)
        load_requests(ui, INT64_MAX, INT64_MAX);
    else if (ui->screen == SCREEN_OVERVIEW)
        load_table(ui, TG_BY_DEVELOPER);
    else
        load_table(ui, by_for(ui->screen));
}

static void draw_header(struct ui *ui)
{
    if (ui->colour)
        attron(COLOR_PAIR(1));
    move(0, 0);
    clrtoeol();
    int x = draw_text(0, 0, "tollgate ", COLS);
    for (int s = 0; s < NSCREENS && x < COLS; s++) {
        char label[32];
        snprintf(label, sizeof label, s == (int)ui->screen ? "[%d %s]" : " %d %s ", s + 1, screen_names[s]);
        if (s == (int)ui->screen)
            attron(A_BOLD);
        x += draw_text(0, x, label, COLS - x);
        attroff(A_BOLD);
    }
    const char *db = ui->opt->db_path ? ui->opt->db_path : "";
    const char *base = strrchr(db, '/');
    char shown[128];
    tg_sanitize(base ? base + 1 : db, shown, sizeof shown);
    int w = (int)strlen(shown);
    if (w && x + w + 2 < COLS) /* the db, when it fits */
        draw_text(0, COLS - w, shown, w);
    if (ui->colour)
        attroff(COLOR_PAIR(1));
}

/* The status bar: the window and how fresh the data is (the collector's
 * liveness), then the keys that matter here, or a message. */
static void draw_status(struct ui *ui)
{
    char ago[32] = "no logs", line[1500];
    int64_t newest = tg_browse_newest_ms(ui->store);
    if (newest >= 0) {
        int64_t s = (tg_now_ms() - newest) / 1000;
        if (s < 0)
            s = 0;
        if (s < 120) snprintf(ago, sizeof ago, "newest %llds ago", (long long)s);
        else if (s < 7200) snprintf(ago, sizeof ago, "newest %lldm ago", (long long)(s / 60));
        else if (s < 172800) snprintf(ago, sizeof ago, "newest %lldh ago", (long long)(s / 3600));
        else snprintf(ago, sizeof ago, "newest %lldd ago", (long long)(s / 86400));
    }
    const char *hint = ui->in_detail ? "Esc back  Up/Down/PgUp/PgDn scroll  ? help"
                                     : "? help  q quit  w window  1-5 Tab screens  Enter open";
    char filt[300] = "";
    if (ui->screen == SCREEN_REQUESTS && ui->filter_text[0])
        snprintf(filt, sizeof filt, " | /%s", ui->filter_text);
    else if (ui->screen != SCREEN_REQUESTS && ui->screen != SCREEN_OVERVIEW && ui->table_filter[0])
        snprintf(filt, sizeof filt, " | /%s", ui->table_filter);
    char search[64];
    search_state(ui, search, sizeof search);
    snprintf(line, sizeof line, " %s%s%s | %s%s | %s", window_name(ui),
             ui->follow && ui->screen == SCREEN_REQUESTS ? " follow" : "", filt, ago, search,
             ui->status[0] ? ui->status : hint);
    attron(A_REVERSE);
    draw_padded(LINES - 1, 0, line, COLS);
    attroff(A_REVERSE);
}

/* A share bar of `width` cells for part / whole. */
static void draw_bar(int y, int x, int64_t part, int64_t whole, int width)
{
    int n = whole > 0 ? (int)((double)part / (double)whole * width + 0.5) : 0;
    move(y, x);
    for (int i = 0; i < width; i++)
        addch(i < n ? '#' : ' ');
}

/* "5m", "3h", "2d": how long ago, to fit a narrow column. */
static void ago_text(int64_t ms, char *buf, size_t len)
{
    if (ms < 0) {
        snprintf(buf, len, "-");
        return;
    }
    int64_t s = (tg_now_ms() - ms) / 1000;
    if (s < 0)
        s = 0;
    if (s < 3600) snprintf(buf, len, "%lldm", (long long)(s / 60));
    else if (s < 172800) snprintf(buf, len, "%lldh", (long long)(s / 3600));
    else snprintf(buf, len, "%lldd", (long long)(s / 86400));
}

static bool row_matches(const struct ui *ui, const struct tg_spend_row *r)
{
    return !ui->table_filter[0] || ui->screen == SCREEN_OVERVIEW || strstr(r->name, ui->table_filter) != NULL;
}

static int visible_rows(const struct ui *ui)
{
    int n = 0;
    for (size_t i = 0; i < ui->table.count; i++)
        n += row_matches(ui, &ui->table.rows[i]);
    return n;
}

/* The nth row that passes the name filter. */
static const struct tg_spend_row *visible_row(const struct ui *ui, int nth)
{
    for (size_t i = 0; i < ui->table.count; i++) {
        if (row_matches(ui, &ui->table.rows[i]) && nth-- == 0)
            return &ui->table.rows[i];
    }
    return NULL;
}

/* Developers, Keys, Models: one column description drives every table. */
static void draw_spend_table(struct ui *ui, int y0, int height, const char *title, bool selectable)
{
    if (!ui->table_loaded)
        return;
    const struct tg_spend_report *t = &ui->table;
    int name_w = COLS - 61 > 12 ? COLS - 61 : 12;
    if (name_w > 40)
        name_w = 40;
    attron(A_BOLD);
    draw_padded(y0, 0, title, name_w);
    mvprintw(y0, name_w, " %-8s %10s %8s %7s %6s %6s %5s", "SHARE", "SPEND", "REQS", "TOKENS", "ERRORS", "P95",
             "LAST");
    attroff(A_BOLD);
    int *cursor = &ui->cursor[ui->screen], *top = &ui->top[ui->screen];
    int shown = visible_rows(ui);
    if (*cursor >= shown)
        *cursor = shown ? shown - 1 : 0;
    if (*cursor < *top)
        *top = *cursor;
    if (*cursor >= *top + height - 1)
        *top = *cursor - height + 2;
    for (int i = 0; i < height - 1 && *top + i < shown; i++) {
        const struct tg_spend_row *r = visible_row(ui, *top + i);
        int y = y0 + 1 + i;
        bool selected = selectable && *top + i == *cursor;
        if (selected)
            attron(A_REVERSE);
        char name[300], spend[32], reqs[32], tokens[32], errors[32], p95[32];
        tg_sanitize(r->name, name, 256);
        const struct tg_key_row *key = ui->screen == SCREEN_KEYS ? key_named(ui, r->name) : NULL;
        if (key && strcmp(key->status, "revoked") == 0)
            strcat(name, " (revoked)");
        tg_nanos_format_human(r->cost, spend, sizeof spend);
        tg_format_count(r->requests, reqs, sizeof reqs);
        tg_format_tokens(r->total_tokens, tokens, sizeof tokens);
        snprintf(errors, sizeof errors, "%.1f%%", r->requests ? 100.0 * (double)r->errors / (double)r->requests : 0.0);
        tg_format_ms(tg_latency_quantile_ms(&r->latency, 0.95), p95, sizeof p95);
        char last[16];
        ago_text(r->last_ms, last, sizeof last);
        draw_padded(y, 0, name, name_w);
        addch(' ');
        draw_bar(y, name_w + 1, r->cost, t->total.cost, 8);
        mvprintw(y, name_w + 9, " %10s %8s %7s %6s %6s %5s", spend, reqs, tokens, errors, p95, last);
        clrtoeol();
        if (selected)
            attroff(A_REVERSE);
    }
}

/* Spend over time as vertical bars, eighth-block resolution, scaled to the
 * busiest hour or day of the window. */
static void draw_timeline(struct ui *ui, int y0, int height)
{
    static const char *const blocks[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    const struct tg_spend_report *t = &ui->timeline;
    if (t->count == 0)
        return;
    /* one slot per hour or day of the window, so quiet days show as gaps */
    int64_t unit = timeline_unit(ui) == TG_BY_HOUR ? TG_HOUR_MS : TG_DAY_MS;
    int64_t last_slot = (window_until(ui) == INT64_MAX ? tg_now_ms() : window_until(ui) - 1) / unit;
    int64_t first_slot = window_since(ui) > 0 ? window_since(ui) / unit : t->rows[0].group_id;
    if (t->rows[t->count - 1].group_id > last_slot)
        last_slot = t->rows[t->count - 1].group_id;
    int usable = COLS - 2;
    if (last_slot - first_slot + 1 > usable) /* the newest that fit */
        first_slot = last_slot - usable + 1;
    int slots = (int)(last_slot - first_slot + 1);
    int per = usable / slots > 0 ? usable / slots : 1;
    if (per > 4)
        per = 4;
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

/* One of the Overview's three columns: name, share bar, spend. */
static void draw_top(const struct tg_spend_report *t, const char *title, int y0, int x0, int width, int height)
{
    if (width < 20)
        return;
    attron(A_BOLD);
    draw_text(y0, x0, title, width - 1);
    attroff(A_BOLD);
    int name_w = width - 15;
    for (int i = 0; i < height - 1 && i < (int)t->count; i++) {
        const struct tg_spend_row *r = &t->rows[i];
        char name[256], spend[32];
        tg_sanitize(r->name, name, sizeof name);
        tg_nanos_format_human(r->cost, spend, sizeof spend);
        draw_padded(y0 + 1 + i, x0, name, name_w);
        draw_bar(y0 + 1 + i, x0 + name_w, r->cost, t->total.cost, 4);
        mvprintw(y0 + 1 + i, x0 + name_w + 4, " %9s", spend);
    }
}

static void draw_overview(struct ui *ui)
{
    if (!ui->table_loaded)
        return;
    const struct tg_spend_row *t = &ui->table.total;
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
    mvprintw(2, 0, "Spend %s", spend);
    attroff(A_BOLD);
    printw("  (estimated %s", est);
    if (t->unpriced)
        printw(", %lld unpriced", (long long)t->unpriced);
    printw(")  requests %s  tokens %s", reqs, tokens);
    mvprintw(3, 0, "errors %.1f%%  cache hits %.0f%% of prompt  latency p50 %s p95 %s", error_rate, cache, p50, p95);
    int table_at = 5;
    if (LINES >= 20 && ui->timeline_loaded && ui->timeline.count > 0) {
        draw_timeline(ui, 5, 5);
        table_at = 12;
    }
    int width = COLS / 3;
    draw_top(&ui->table, "TOP DEVELOPERS", table_at, 0, width, LINES - table_at - 1);
    if (ui->tops_loaded) {
        draw_top(&ui->tops[0], "TOP KEYS", table_at, width, width, LINES - table_at - 1);
        draw_top(&ui->tops[1], "TOP MODELS", table_at, 2 * width, COLS - 2 * width, LINES - table_at - 1);
    }
}

static void draw_requests(struct ui *ui)
{
    attron(A_BOLD);
    mvprintw(1, 0, "%-11s %-9s %-13s %-17s %6s %8s %6s %3s", "UTC", "DEVELOPER", "KEY", "MODEL", "TOKENS", "COST",
             "LATNCY", "ST");
    attroff(A_BOLD);
    int *cursor = &ui->cursor[SCREEN_REQUESTS];
    if (*cursor >= ui->page_count)
        *cursor = ui->page_count ? ui->page_count - 1 : 0;
    for (int i = 0; i < ui->page_count && i < LINES - 3; i++) {
        const struct tg_request_row *r = &ui->page[i];
        int y = 2 + i;
        if (i == *cursor)
            attron(A_REVERSE);
        if (ui->colour && r->is_error)
            attron(COLOR_PAIR(2));
        char when[40], tokens[32], cost[32], lat[32];
        tg_time_format_iso(r->ts_ms, when, sizeof when);
        when[16] = '\0';
        when[10] = ' ';
        tg_format_tokens(r->prompt_tokens + r->completion_tokens, tokens, sizeof tokens);
        tg_nanos_format_human(r->cost, cost, sizeof cost);
        if (r->cost_kind == 1)
            strcat(cost, "~");
        tg_format_ms(r->latency_ms, lat, sizeof lat);
        move(y, 0);
        clrtoeol();
        draw_text(y, 0, when + 5, 11); /* "11-24 04:47" */
        addch(' ');
        draw_padded(y, 12, r->developer, 9);
        addch(' ');
        draw_padded(y, 22, r->key, 13);
        addch(' ');
        draw_padded(y, 36, r->model, 17);
        char tail[160];
        snprintf(tail, sizeof tail, " %6s %8s %6s %3d", tokens, cost, lat, r->status_code);
        draw_text(y, 53, tail, COLS > 53 ? COLS - 53 : 0);
        if (ui->colour && r->is_error)
            attroff(COLOR_PAIR(2));
        if (i == *cursor)
            attroff(A_REVERSE);
    }
    if (ui->page_count == 0)
        mvprintw(3, 2, "No requests in this window (w changes it).");
}

static void draw_detail(struct ui *ui)
{
    int height = LINES - 2;
    if (ui->detail_top > (int)ui->detail.count - height)
        ui->detail_top = (int)ui->detail.count - height;
    if (ui->detail_top < 0)
        ui->detail_top = 0;
    for (int i = 0; i < height && ui->detail_top + i < (int)ui->detail.count; i++)
        draw_padded(1 + i, 0, ui->detail.lines[ui->detail_top + i], COLS);
}

static void draw_help(void)
{
    attron(A_BOLD);
    mvprintw(1, 0, "Keys");
    attroff(A_BOLD);
    for (size_t i = 0; i < sizeof bindings / sizeof bindings[0] && (int)i + 3 < LINES - 1; i++) {
        draw_padded(3 + (int)i, 2, bindings[i].keys, 22);
        draw_text(3 + (int)i, 25, bindings[i].what, COLS > 25 ? COLS - 25 : 0);
    }
}

static void draw(struct ui *ui)
{
    erase();
    draw_header(ui);
    if (ui->in_help)
        draw_help();
    else if (ui->in_detail)
        draw_detail(ui);
    else if (ui->screen == SCREEN_OVERVIEW)
        draw_overview(ui);
    else if (ui->screen == SCREEN_REQUESTS)
        draw_requests(ui);
    else
        draw_spend_table(ui, 1, LINES - 2, ui->screen == SCREEN_DEVELOPERS ? "DEVELOPER"
                                            : ui->screen == SCREEN_KEYS   ? "KEY"
                                                                           : "MODEL",
                         true);
    draw_status(ui);
    refresh();
}

static void open_detail(struct ui *ui)
{
    if (ui->page_count == 0)
        return;
    char err[200];
    tg_detail_free(&ui->detail);
    if (tg_browse_detail(ui->store, ui->page[ui->cursor[SCREEN_REQUESTS]].row_id, &ui->detail, err, sizeof err) != 0) {
        snprintf(ui->status, sizeof ui->status, " %s", err);
        return;
    }
    ui->in_detail = true;
    ui->detail_top = 0;
}

/* Requests keep constant memory: moving past either end of the page fetches
 * the neighbouring rows by keyset from the db. */
static void move_requests(struct ui *ui, int delta)
{
    int *cursor = &ui->cursor[SCREEN_REQUESTS];
    int target = *cursor + delta;
    if (ui->page_count == 0)
        return;
    if (target >= 0 && target < ui->page_count) {
        *cursor = target;
        return;
    }
    if (target >= ui->page_count) { /* older: the page starts `shift` rows further on */
        int shift = target - ui->page_count + 1;
        if (shift > ui->page_count)
            shift = ui->page_count;
        struct tg_request_row anchor = ui->page[shift - 1];
        int before = ui->page_count;
        struct tg_request_row *saved = malloc(sizeof ui->page);
        if (saved)
            memcpy(saved, ui->page, sizeof ui->page);
        load_requests(ui, anchor.ts_ms, anchor.row_id);
        if (ui->page_count < before && saved) { /* the oldest row is on screen already */
            memcpy(ui->page, saved, sizeof ui->page);
            ui->page_count = before;
        }
        free(saved);
        *cursor = ui->page_count - 1;
        return;
    }
    struct tg_request_row newer[PAGE_MAX]; /* newer: the rows just above the first shown */
    char err[200];
    int want = -target < PAGE_MAX ? -target : PAGE_MAX;
    int n = tg_browse_requests_newer(ui->store, window_since(ui), window_until(ui), &ui->filter, ui->page[0].ts_ms,
                                     ui->page[0].row_id, newer, want, err, sizeof err);
    if (n > 0) /* start the page at the newest of them, inclusive */
        load_requests(ui, newer[n - 1].ts_ms, newer[n - 1].row_id + 1);
    *cursor = 0;
}

/* A one-line editor on the bottom line. False when cancelled with Esc. */
static bool read_line(const char *prompt, char *buf, size_t len)
{
    timeout(-1);
    curs_set(1);
    bool done = false, ok = false;
    while (!done) {
        move(LINES - 1, 0);
        clrtoeol();
        char shown[600];
        tg_sanitize(buf, shown, sizeof shown);
        draw_text(LINES - 1, 0, prompt, COLS);
        draw_text(LINES - 1, (int)strlen(prompt), shown, COLS - (int)strlen(prompt) - 1);
        refresh();
        wint_t ch;
        int kind = get_wch(&ch);
        if (kind == ERR)
            continue;
        if (kind == KEY_CODE_YES) {
            if (ch == KEY_BACKSPACE) {
                size_t n = strlen(buf);
                while (n > 0 && ((unsigned char)buf[n - 1] & 0xC0) == 0x80)
                    n--;
                if (n > 0)
                    n--;
                buf[n] = '\0';
            } else if (ch == KEY_ENTER) {
                done = ok = true;
            }
            continue;
        }
        if (ch == 27) {
            done = true;
        } else if (ch == '\n' || ch == '\r') {
            done = ok = true;
        } else if (ch == 127 || ch == 8) {
            size_t n = strlen(buf);
            while (n > 0 && ((unsigned char)buf[n - 1] & 0xC0) == 0x80)
                n--;
            if (n > 0)
                n--;
            buf[n] = '\0';
        } else if (ch == 21) { /* ^U */
            buf[0] = '\0';
        } else if (ch >= 32) {
            char mb[MB_LEN_MAX];
            mbstate_t st;
            memset(&st, 0, sizeof st);
            size_t n = wcrtomb(mb, (wchar_t)ch, &st);
            size_t used = strlen(buf);
            if (n != (size_t)-1 && used + n + 1 < len) {
                memcpy(buf + used, mb, n);
                buf[used + n] = '\0';
            }
        }
    }
    curs_set(0);
    timeout(1000);
    return ok;
}

static void edit_filter(struct ui *ui)
{
    if (ui->screen == SCREEN_OVERVIEW)
        return;
    if (ui->screen != SCREEN_REQUESTS) {
        char text[128];
        snprintf(text, sizeof text, "%s", ui->table_filter);
        if (read_line("/", text, sizeof text)) {
            snprintf(ui->table_filter, sizeof ui->table_filter, "%s", text);
            ui->cursor[ui->screen] = ui->top[ui->screen] = 0;
        }
        return;
    }
    char text[256], err[200];
    snprintf(text, sizeof text, "%s", ui->filter_text);
    if (!read_line("/", text, sizeof text))
        return;
    struct tg_request_filter f;
    if (tg_filter_parse(text, &f, err, sizeof err) != 0) {
        snprintf(ui->status, sizeof ui->status, "%s", err);
        return;
    }
    ui->filter = f;
    snprintf(ui->filter_text, sizeof ui->filter_text, "%s", text);
    ui->cursor[SCREEN_REQUESTS] = 0;
    load_requests(ui, INT64_MAX, INT64_MAX);
    char query[600];
    if (f.text[0] && tg_search_query(f.text, query, sizeof query) != 0)
        snprintf(ui->status, sizeof ui->status, "free text needs 3 characters or more: it was left out");
}

/* ":since 2026-11-01", ":until 2026-11-20", ":all". */
static void command_line(struct ui *ui)
{
    char text[128] = "";
    if (!read_line(":", text, sizeof text))
        return;
    char verb[16] = "", arg[100] = "";
    sscanf(text, "%15s %99s", verb, arg);
    int64_t ms;
    if (strcmp(verb, "all") == 0) {
        ui->custom_since = ui->custom_until = -1;
        ui->window = NWINDOWS - 1;
    } else if ((strcmp(verb, "since") == 0 || strcmp(verb, "until") == 0) &&
               tg_time_parse_arg(arg, tg_now_ms(), &ms) == 0) {
        if (verb[0] == 's')
            ui->custom_since = ms;
        else
            ui->custom_until = ms;
    } else {
        char clean[200];
        tg_sanitize(text, clean, sizeof clean);
        snprintf(ui->status, sizeof ui->status, "unknown command '%s': try :since 2026-11-01, :until 7d, :all", clean);
        return;
    }
    ui->cursor[ui->screen] = ui->top[ui->screen] = 0;
    reload(ui);
}

/* Enter on a developer, key or model: its requests, and Esc comes back here. */
static void drill_down(struct ui *ui)
{
    const struct tg_spend_row *r = visible_row(ui, ui->cursor[ui->screen]);
    if (!r)
        return;
    static const char *const prefix[] = {[SCREEN_DEVELOPERS] = "dev", [SCREEN_KEYS] = "key",
                                         [SCREEN_MODELS] = "model"};
    char text[256], err[200];
    bool spaced = strchr(r->name, ' ') != NULL;
    snprintf(text, sizeof text, "%s:%s%s%s", prefix[ui->screen], spaced ? "\"" : "", r->name, spaced ? "\"" : "");
    if (tg_filter_parse(text, &ui->filter, err, sizeof err) != 0)
        return;
    snprintf(ui->filter_text, sizeof ui->filter_text, "%s", text);
    ui->return_to = (int)ui->screen;
    ui->screen = SCREEN_REQUESTS;
    ui->cursor[SCREEN_REQUESTS] = 0;
    load_requests(ui, INT64_MAX, INT64_MAX);
}

static void leave_drill_down(struct ui *ui)
{
    tg_filter_clear(&ui->filter);
    ui->filter_text[0] = '\0';
    ui->screen = (enum view)ui->return_to;
    ui->return_to = -1;
    reload(ui);
}

static void show_thread(struct ui *ui)
{
    if (ui->page_count == 0)
        return;
    char thread[128], text[160], err[200];
    tg_browse_thread(ui->store, ui->page[ui->cursor[SCREEN_REQUESTS]].row_id, thread, sizeof thread);
    if (!thread[0] || strchr(thread, ' ')) {
        snprintf(ui->status, sizeof ui->status, "this request has no thread");
        return;
    }
    snprintf(text, sizeof text, "thread:%s", thread);
    if (tg_filter_parse(text, &ui->filter, err, sizeof err) != 0)
        return;
    snprintf(ui->filter_text, sizeof ui->filter_text, "%s", text);
    ui->in_detail = false;
    ui->window = NWINDOWS - 1; /* a thread may reach further back than the window */
    ui->cursor[SCREEN_REQUESTS] = 0;
    load_requests(ui, INT64_MAX, INT64_MAX);
}

/* Writes the stored log, byte for byte, to ./tollgate-ID.json (mode 0600). */
static void export_request(struct ui *ui)
{
    if (ui->page_count == 0)
        return;
    char *raw = NULL, *log_id = NULL, err[200];
    size_t len;
    if (tg_browse_raw(ui->store, ui->page[ui->cursor[SCREEN_REQUESTS]].row_id, &raw, &len, &log_id, err,
                      sizeof err) != 0) {
        snprintf(ui->status, sizeof ui->status, "export failed: %s", err);
        free(log_id);
        return;
    }
    char name[200];
    size_t n = 0;
    for (const char *p = log_id; *p && n < 100; p++) /* a file name from the id: safe characters only */
        name[n++] = (isalnum((unsigned char)*p) || *p == '-' || *p == '_') ? *p : '_';
    name[n] = '\0';
    char path[256];
    snprintf(path, sizeof path, "tollgate-%s.json", name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, raw, len) == (ssize_t)len;
    if (fd >= 0)
        close(fd);
    snprintf(ui->status, sizeof ui->status, ok ? "exported to %s" : "could not write %s", path);
    free(raw);
    free(log_id);
}

static void *revoke_main(void *arg)
{
    struct revoke_job *job = arg;
    char err[512];
    struct tg_store *store = NULL;
    struct tg_gateway_setup setup;
    struct tg_gateway_setup_options so = {NULL, NULL, &job->cancel, NULL};
    if (tg_store_open(job->db_path, TG_STORE_SMALL_CACHE, &store, err, sizeof err) != 0 ||
        tg_gateway_setup_open(&so, &setup, err, sizeof err) != 0) {
        snprintf(job->message, sizeof job->message, "%s", err);
        job->failed = job->count;
        tg_store_close(store);
        atomic_store(&job->done, 1);
        return NULL;
    }
    for (int i = 0; i < job->count; i++) {
        struct tg_key_rows found;
        if (tg_keys_find(store, job->which[i], tg_now_ms(), &found, err, sizeof err) != 0) {
            snprintf(job->message, sizeof job->message, "%s: not found", job->which[i]);
            job->failed++;
            tg_key_rows_free(&found);
            continue;
        }
        struct tg_revoke_result result;
        if (tg_revoke_key(store, &setup.gw, &found.rows[0], job->actor, "revoked from the screens", false,
                          &result) == 0)
            job->ok++;
        else
            job->failed++;
        snprintf(job->message, sizeof job->message, "%s", result.message);
        tg_key_rows_free(&found);
    }
    if (job->count > 1)
        snprintf(job->message, sizeof job->message, "%d revoked, %d failed (see tollgate audit)", job->ok,
                 job->failed);
    tg_gateway_setup_close(&setup);
    tg_store_close(store);
    atomic_store(&job->done, 1);
    return NULL;
}

/* The impact, in a box: what the user is about to cut off. */
static void draw_impact(const struct tg_key_row *keys[], int n, const char *title)
{
    int width = COLS - 4 < 76 ? COLS - 4 : 76, height = 7 + n;
    int y0 = (LINES - height) / 2 > 1 ? (LINES - height) / 2 : 1, x0 = (COLS - width) / 2;
    for (int y = y0; y < y0 + height && y < LINES - 1; y++) {
        move(y, x0);
        for (int x = 0; x < width; x++)
            addch(y == y0 || y == y0 + height - 1 ? '-' : (x == 0 || x == width - 1) ? '|' : ' ');
    }
    attron(A_BOLD);
    draw_text(y0 + 1, x0 + 2, title, width - 4);
    attroff(A_BOLD);
    for (int i = 0; i < n; i++) {
        const struct tg_key_row *k = keys[i];
        char name[96], owner[96], spend[32], last[48], line[400];
        tg_sanitize(tg_key_label(k), name, sizeof name);
        tg_sanitize(k->owner ? k->owner : "(unknown owner)", owner, sizeof owner);
        tg_nanos_format_human(k->spend_30d, spend, sizeof spend);
        if (k->last_used_ms >= 0) {
            tg_time_format_iso(k->last_used_ms, last, sizeof last);
            last[16] = '\0';
        } else {
            snprintf(last, sizeof last, "never");
        }
        snprintf(line, sizeof line, "%s (%s)  owner %s  last used %s  30 days %s, %lld requests", name, k->status,
                 owner, last, spend, (long long)k->requests_30d);
        draw_text(y0 + 3 + i, x0 + 2, line, width - 4);
    }
    draw_text(y0 + 4 + n, x0 + 2, "The gateway will refuse these keys at once. Esc cancels.", width - 4);
    refresh();
}

static void wait_for_revoke(struct ui *ui, struct revoke_job *job)
{
    static const char spin[] = "|/-\\";
    timeout(100);
    for (int tick = 0; !atomic_load(&job->done); tick++) {
        char line[128];
        snprintf(line, sizeof line, " revoking %c  (Esc stops waiting; the result still goes to the audit log)",
                 spin[tick % 4]);
        attron(A_REVERSE);
        draw_padded(LINES - 1, 0, line, COLS);
        attroff(A_REVERSE);
        refresh();
        if (getch() == 27) {
            atomic_store(&job->cancel, 1);
            pthread_detach(job->thread); /* it finishes on its own and frees nothing of ours */
            snprintf(ui->status, sizeof ui->status, "stopped waiting: see `tollgate audit` for the result");
            timeout(1000);
            return;
        }
    }
    pthread_join(job->thread, NULL);
    char clean[900];
    tg_sanitize(job->message, clean, sizeof clean);
    snprintf(ui->status, sizeof ui->status, "%s%s", job->failed ? "FAILED: " : "", clean);
    free(job);
    timeout(1000);
    reload(ui);
}

/* R: on Keys the selected key, on Developers all of that developer's keys. */
static void revoke_selected(struct ui *ui)
{
    if (ui->screen != SCREEN_KEYS && ui->screen != SCREEN_DEVELOPERS)
        return;
    const struct tg_spend_row *r = visible_row(ui, ui->cursor[ui->screen]);
    if (!r)
        return;
    load_key_statuses(ui); /* fresh: another process may have revoked one */
    const struct tg_key_row *targets[2];
    int n = 0;
    for (size_t i = 0; i < ui->keys.count && n < 2; i++) {
        const struct tg_key_row *k = &ui->keys.rows[i];
        bool match = ui->screen == SCREEN_KEYS ? strcmp(tg_key_label(k), r->name) == 0
                                               : k->owner && strcmp(k->owner, r->name) == 0;
        if (match && strcmp(k->status, "revoked") != 0)
            targets[n++] = k;
    }
    if (n == 0) {
        snprintf(ui->status, sizeof ui->status, "nothing to revoke: no active key here");
        return;
    }
    char title[300], prompt[300], typed[256] = "", name[256];
    tg_sanitize(r->name, name, sizeof name);
    snprintf(title, sizeof title, ui->screen == SCREEN_KEYS ? "Revoke the key %s?" : "Revoke every key of %s?", name);
    draw_impact(targets, n, title);
    snprintf(prompt, sizeof prompt, "Type %s to confirm: ", name);
    if (!read_line(prompt, typed, sizeof typed) || strcmp(typed, r->name) != 0) {
        snprintf(ui->status, sizeof ui->status, "not revoked");
        return;
    }
    struct revoke_job *job = calloc(1, sizeof *job);
    if (!job)
        return;
    snprintf(job->db_path, sizeof job->db_path, "%s", ui->opt->db_path);
    snprintf(job->actor, sizeof job->actor, "%s", cli_actor());
    for (int i = 0; i < n; i++)
        snprintf(job->which[job->count++], sizeof job->which[0], "%s",
                 targets[i]->key_id ? targets[i]->key_id : tg_key_label(targets[i]));
    if (pthread_create(&job->thread, NULL, revoke_main, job) != 0) {
        free(job);
        snprintf(ui->status, sizeof ui->status, "could not start the revocation");
        return;
    }
    wait_for_revoke(ui, job);
}

static void switch_screen(struct ui *ui, enum view s)
{
    if (ui->return_to >= 0) { /* leaving a drill-down */
        tg_filter_clear(&ui->filter);
        ui->filter_text[0] = '\0';
        ui->return_to = -1;
    }
    ui->screen = s;
    ui->in_detail = ui->in_help = false;
    reload(ui);
}

static void handle_key(struct ui *ui, int ch)
{
    ui->status[0] = '\0';
    if (ui->in_help) {
        ui->in_help = false;
        return;
    }
    if (ui->in_detail) {
        switch (ch) {
        case 27: case 'q': case KEY_LEFT: ui->in_detail = false; break;
        case KEY_DOWN: case 'j': ui->detail_top++; break;
        case KEY_UP: case 'k': ui->detail_top--; break;
        case KEY_NPAGE: case ' ': ui->detail_top += LINES - 3; break;
        case KEY_PPAGE: ui->detail_top -= LINES - 3; break;
        case KEY_HOME: case 'g': ui->detail_top = 0; break;
        case KEY_END: case 'G': ui->detail_top = (int)ui->detail.count; break;
        case KEY_MOUSE: {
            MEVENT event;
            if (getmouse(&event) == OK)
                ui->detail_top += event.bstate & BUTTON4_PRESSED ? -3 : event.bstate & BUTTON5_PRESSED ? 3 : 0;
            break;
        }
        case '?': ui->in_help = true; break;
        case 'n': move_requests(ui, 1); open_detail(ui); break;
        case 'p': move_requests(ui, -1); open_detail(ui); break;
        case 't': show_thread(ui); break;
        case 'e': export_request(ui); break;
        }
        return;
    }
    int page = LINES - 4 > 1 ? LINES - 4 : 1;
    int *cursor = &ui->cursor[ui->screen];
    switch (ch) {
    case 'q': ui->quit = true; break;
    case 27: if (ui->return_to >= 0 && ui->screen == SCREEN_REQUESTS) leave_drill_down(ui); break;
    case '/': edit_filter(ui); break;
    case 'f':
        if (ui->screen == SCREEN_REQUESTS) {
            ui->follow = !ui->follow;
            if (ui->follow) {
                ui->cursor[SCREEN_REQUESTS] = 0;
                load_requests(ui, INT64_MAX, INT64_MAX);
            }
        }
        break;
    case '?': ui->in_help = true; break;
    case 'R': revoke_selected(ui); break;
    case ':': command_line(ui); break;
    case 's': case 'S':
        if (ui->screen != SCREEN_OVERVIEW && ui->screen != SCREEN_REQUESTS) {
            ui->sort = (ui->sort + (ch == 's' ? 1 : NSORTS - 1)) % NSORTS;
            reload(ui);
            snprintf(ui->status, sizeof ui->status, "sorted by %s", sort_names[ui->sort]);
        }
        break;
    case '1': case '2': case '3': case '4': case '5': switch_screen(ui, (enum view)(ch - '1')); break;
    case '\t': switch_screen(ui, (enum view)((ui->screen + 1) % NSCREENS)); break;
    case KEY_BTAB: switch_screen(ui, (enum view)((ui->screen + NSCREENS - 1) % NSCREENS)); break;
    case 'w':
        if (ui->custom_since >= 0 || ui->custom_until >= 0)
            ui->custom_since = ui->custom_until = -1;
        else
            ui->window = (ui->window + 1) % NWINDOWS;
        ui->cursor[ui->screen] = ui->top[ui->screen] = 0;
        reload(ui);
        break;
    case '\n': case KEY_ENTER:
        if (ui->screen == SCREEN_REQUESTS) open_detail(ui);
        else if (ui->screen != SCREEN_OVERVIEW) drill_down(ui);
        break;
    case KEY_DOWN: case 'j':
        if (ui->screen == SCREEN_REQUESTS) move_requests(ui, 1); else (*cursor)++;
        break;
    case KEY_UP: case 'k':
        if (ui->screen == SCREEN_REQUESTS) move_requests(ui, -1); else if (*cursor > 0) (*cursor)--;
        break;
    case KEY_NPAGE: if (ui->screen == SCREEN_REQUESTS) move_requests(ui, page); else *cursor += page; break;
    case KEY_PPAGE:
        if (ui->screen == SCREEN_REQUESTS) move_requests(ui, -page); else *cursor = *cursor > page ? *cursor - page : 0;
        break;
    case KEY_HOME: case 'g': *cursor = 0; if (ui->screen == SCREEN_REQUESTS) load_requests(ui, INT64_MAX, INT64_MAX); break;
    case KEY_END: case 'G': if (ui->screen != SCREEN_REQUESTS && ui->table_loaded) *cursor = visible_rows(ui) - 1; break;
    case KEY_RESIZE: if (ui->screen == SCREEN_REQUESTS) load_requests(ui, INT64_MAX, INT64_MAX); break;
    case KEY_MOUSE: {
        MEVENT event;
        if (getmouse(&event) != OK)
            break;
        int step = event.bstate & BUTTON4_PRESSED ? -3 : event.bstate & BUTTON5_PRESSED ? 3 : 0;
        if (step && ui->screen == SCREEN_REQUESTS)
            move_requests(ui, step);
        else if (step)
            *cursor = *cursor + step > 0 ? *cursor + step : 0;
        break;
    }
    }
}

int ui_run(struct tg_store *store, const struct ui_options *options)
{
    setlocale(LC_ALL, "");
    if (!isatty(0) || !isatty(1)) {
        fprintf(stderr, "tollgate: the screens need a terminal; try `tollgate report`\n");
        return 2;
    }
    struct ui *ui = calloc(1, sizeof *ui);
    if (!ui)
        return 2;
    ui->store = store;
    ui->opt = options;
    ui->window = 3; /* 30d */
    ui->return_to = -1;
    ui->custom_since = ui->custom_until = -1;
    tg_filter_clear(&ui->filter);
    initscr();
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    mousemask(BUTTON4_PRESSED | BUTTON5_PRESSED, NULL); /* the wheel scrolls */
    timeout(1000); /* wake once a second to look for new data */
    ui->colour = has_colors() && !getenv("NO_COLOR");
    if (ui->colour) {
        start_color();
        use_default_colors();
        init_pair(1, COLOR_CYAN, -1);
        init_pair(2, COLOR_RED, -1); /* failed requests; 8 colours suffice */
    }
    ui->data_version = tg_browse_data_version(store);
    ui->indexer = options->db_path ? start_indexer(options->db_path) : NULL;
    reload(ui);
    while (!ui->quit) {
        draw(ui);
        if (ui->tops_pending) {
            ui->tops_pending = false;
            load_timeline(ui);
            load_tops(ui);
            continue;
        }
        int ch = getch();
        if (ch == ERR) { /* idle: refresh when another process committed */
            int64_t v = tg_browse_data_version(store);
            if (v != ui->data_version && !ui->in_detail) {
                ui->data_version = v;
                if (ui->screen != SCREEN_REQUESTS) {
                    int keep = ui->cursor[ui->screen];
                    reload(ui);
                    ui->cursor[ui->screen] = keep;
                } else if (ui->follow) {
                    ui->cursor[SCREEN_REQUESTS] = 0;
                    load_requests(ui, INT64_MAX, INT64_MAX);
                } else if (ui->page_count > 0) { /* same rows, fresh values, the cursor stays */
                    struct tg_request_row first = ui->page[0];
                    load_requests(ui, first.ts_ms, first.row_id + 1);
                }
            }
            continue;
        }
        handle_key(ui, ch);
    }
    endwin();
    stop_indexer(ui->indexer);
    free_table(ui);
    tg_key_rows_free(&ui->keys);
    free_tops(ui);
    if (ui->timeline_loaded)
        tg_spend_report_free(&ui->timeline);
    tg_detail_free(&ui->detail);
    free(ui);
    return 0;
}
