#define _XOPEN_SOURCE_EXTENDED 1
#include "screens/app.h"

#include <locale.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/sanitize.h"
#include "base/timeutil.h"
#include "query/browse.h"
#include "query/filter.h"
#include "screens/budgets.h"
#include "screens/detail.h"
#include "screens/help.h"
#include "screens/indexer.h"
#include "screens/jobs.h"
#include "screens/lineedit.h"
#include "screens/overview.h"
#include "screens/requests.h"
#include "screens/table.h"

#define IDLE_TIMEOUT_MS 1000  /* wake once a second to look for new data */
#define ESC_DELAY_MS 25
#define JOIN_TICK_MS 100
#define JOIN_NOTICE_MS 300    /* a quit that waits longer says why */
#define HEADER_DB_MAX 128

/* The tabs, in the order of the keys 1-6 and Tab. */
static const struct screen_ops *const screens[NSCREENS] = {
    [SCREEN_OVERVIEW] = &overview_screen, [SCREEN_DEVELOPERS] = &developers_screen, [SCREEN_KEYS] = &keys_screen,
    [SCREEN_MODELS] = &models_screen,     [SCREEN_REQUESTS] = &requests_screen,
    [SCREEN_BUDGETS] = &budgets_screen,
};

static const char default_hint[] = "? help  q quit  w window  1-6 Tab screens  Enter open";

const struct screen_ops *app_screen(enum screen_id id)
{
    return screens[id];
}

static const struct screen_ops *current(const struct ui *ui)
{
    return screens[ui->screen];
}

static void load(struct ui *ui)
{
    current(ui)->load(ui);
}

/* Back to the first row of the screen, for a new window. */
static void rewind_screen(struct ui *ui)
{
    if (current(ui)->rewind)
        current(ui)->rewind(ui);
    else
        load(ui);
}

void app_switch(struct ui *ui, enum screen_id id)
{
    if (current(ui)->leave)
        current(ui)->leave(ui);
    ui->screen = id;
    ui->overlay = NULL;
    load(ui);
}

static void draw_header(struct ui *ui)
{
    if (ui->colour)
        attron(COLOR_PAIR(COLOUR_HEADER));
    move(0, 0);
    clrtoeol();
    int x = draw_text(0, 0, "tollgate ", COLS);
    for (int s = 0; s < NSCREENS && x < COLS; s++) {
        char label[32];
        bool shown = s == (int)ui->screen;
        snprintf(label, sizeof label, shown ? "[%d %s]" : " %d %s ", s + 1, screens[s]->name);
        if (shown)
            attron(A_BOLD);
        x += draw_text(0, x, label, COLS - x);
        attroff(A_BOLD);
    }
    const char *db = ui->opt->db_path ? ui->opt->db_path : "";
    const char *base = strrchr(db, '/');
    char name[HEADER_DB_MAX];
    tg_sanitize(base ? base + 1 : db, name, sizeof name);
    int w = (int)strlen(name);
    if (w && x + w + 2 < COLS) /* the db, when it fits */
        draw_text(0, COLS - w, name, w);
    if (ui->colour)
        attroff(COLOR_PAIR(COLOUR_HEADER));
}

/* "newest 5s ago": how fresh the data is, which says whether the collector is alive. */
static void freshness(struct ui *ui, char *buf, size_t len)
{
    int64_t newest = tg_browse_newest_ms(ui->store);
    if (newest < 0) {
        snprintf(buf, len, "no logs");
        return;
    }
    int64_t s = (tg_now_ms() - newest) / 1000;
    if (s < 0)
        s = 0;
    if (s < 120) snprintf(buf, len, "newest %llds ago", (long long)s);
    else if (s < 7200) snprintf(buf, len, "newest %lldm ago", (long long)(s / 60));
    else if (s < 172800) snprintf(buf, len, "newest %lldh ago", (long long)(s / 3600));
    else snprintf(buf, len, "newest %lldd ago", (long long)(s / 86400));
}

/* The status bar: the window and how fresh the data is, then the keys that
 * matter here, or a message. */
static void draw_status(struct ui *ui)
{
    char window[64], ago[32], state[TG_FILTER_NAME_MAX + 80] = "", search[64], line[sizeof state + 1300];
    ui_window_name(ui, window, sizeof window);
    freshness(ui, ago, sizeof ago);
    if (current(ui)->describe)
        current(ui)->describe(ui, state, sizeof state);
    indexer_state(ui->indexer, search, sizeof search);
    const char *hint = ui->overlay && ui->overlay->hint ? ui->overlay->hint : default_hint;
    snprintf(line, sizeof line, " %s%s | %s%s | %s", window, state, ago, search, ui->status[0] ? ui->status : hint);
    if (ui->status[0] && (int)strlen(line) > COLS) /* a message is worth more than the window's name */
        snprintf(line, sizeof line, " %s", ui->status);
    draw_status_line(line);
}

static void draw(struct ui *ui)
{
    erase();
    draw_header(ui);
    if (ui->overlay)
        ui->overlay->draw(ui);
    else
        current(ui)->draw(ui);
    draw_status(ui);
    refresh();
}

static void key_quit(struct ui *ui, int ch)
{
    (void)ch;
    ui->quit = true;
}

static void key_help(struct ui *ui, int ch)
{
    (void)ch;
    help_open(ui);
}

static void key_screen(struct ui *ui, int ch)
{
    int next = ch == '\t' ? ((int)ui->screen + 1) % NSCREENS
             : ch == KEY_BTAB ? ((int)ui->screen + NSCREENS - 1) % NSCREENS
                              : ch - '1';
    app_switch(ui, (enum screen_id)next);
}

static void key_window(struct ui *ui, int ch)
{
    (void)ch;
    ui_window_next(ui);
    rewind_screen(ui);
}

/* ":since 2026-11-01", ":until 2026-11-20", ":since today", ":all". */
static void key_command(struct ui *ui, int ch)
{
    (void)ch;
    char text[128] = "";
    if (!lineedit_read(":", text, sizeof text))
        return;
    char verb[16] = "", arg[100] = "", err[300];
    sscanf(text, "%15s %99s", verb, arg);
    if (strcmp(verb, "all") == 0) {
        ui_window_all(ui);
    } else if (strcmp(verb, "since") == 0 || strcmp(verb, "until") == 0) {
        if (ui_window_set(ui, verb[0] == 's', arg, err, sizeof err) != 0) {
            char clean[sizeof err];
            tg_sanitize(err, clean, sizeof clean);
            ui_status(ui, ":%s: %s", verb, clean);
            return;
        }
    } else {
        char clean[200];
        tg_sanitize(text, clean, sizeof clean);
        ui_status(ui, "unknown command '%s': try :since 2026-11-01, :since today, :until 7d, :all", clean);
        return;
    }
    rewind_screen(ui);
}

/* The keys every screen has (a detail has its own, see detail.c). */
static const struct binding global_keys[] = {
    {{'1', '2', '3', '4', '5', '\t', KEY_BTAB}, "switch screen: Overview, Developers, Keys, Models, Requests",
     key_screen},
    {{'6'}, "the Budgets screen: spend this period against each budget, forecast, key hygiene", key_screen},
    {{'w'}, "cycle the time window: 1h, today, 24h, week, 7d, month, last-month, 30d, all (calendar ones in the "
            "local time zone; tollgate --utc for UTC)",
     key_window},
    {{':'}, "a custom window: :since T, :until T (T: 2026-11-01, 2026-11-01T10:00, 24h, 7d, today, week, month, "
            "last-month); :all or w ends it",
     key_command},
    {{'?'}, "this help", key_help},
    {{'q'}, "quit (waits for a revocation still running)", key_quit},
    {{0}, NULL, NULL},
};

const struct binding *app_keys(void)
{
    return global_keys;
}

static void handle_key(struct ui *ui, int ch)
{
    ui->status[0] = '\0';
    const struct binding *b = ui->overlay ? binding_for(ui->overlay->keys, ch) : binding_for(current(ui)->keys, ch);
    if (!b && !ui->overlay)
        b = binding_for(global_keys, ch);
    if (b)
        b->run(ui, ch);
}

/* Idle: show what a background job that ended has to say, and follow what
 * other processes committed. */
static void idle(struct ui *ui)
{
    struct job_result result;
    if (jobs_collect_finished(ui->jobs, &result)) {
        jobs_result_text(&result, ui->status, sizeof ui->status);
        load(ui);
    }
    int64_t v = tg_browse_data_version(ui->store);
    if (v == ui->data_version || ui->overlay)
        return;
    ui->data_version = v;
    if (current(ui)->reread)
        current(ui)->reread(ui);
    else
        load(ui);
}

/* Quitting waits for the jobs still running: their results (audit rows) must
 * not be lost. Esc asks them to stop retrying. */
static void finish_jobs(struct ui *ui)
{
    timeout(JOIN_TICK_MS);
    for (int waited = 0; jobs_running(ui->jobs) > 0; waited += JOIN_TICK_MS) {
        if (waited >= JOIN_NOTICE_MS) {
            draw_status_line(" waiting for the revocation to finish before quitting (Esc: stop its retries)");
            refresh();
        }
        if (getch() == KEY_ESCAPE)
            jobs_cancel_all(ui->jobs);
    }
}

static void start_terminal(struct ui *ui)
{
    initscr();
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(ESC_DELAY_MS);
    mousemask(BUTTON4_PRESSED | BUTTON5_PRESSED, NULL); /* the wheel scrolls */
    timeout(IDLE_TIMEOUT_MS);
    ui->colour = has_colors() && !getenv("NO_COLOR");
    if (ui->colour) {
        start_color();
        use_default_colors();
        init_pair(COLOUR_HEADER, COLOR_CYAN, -1);
        init_pair(COLOUR_ERROR, COLOR_RED, -1); /* failed requests; 8 colours suffice */
        init_pair(COLOUR_HIT, COLOR_BLACK, COLOR_YELLOW); /* search hits in a request's detail */
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
    struct jobs *jobs = jobs_new();
    if (!ui || !jobs) {
        free(ui);
        jobs_free(jobs);
        return 2;
    }
    ui->store = store;
    ui->opt = options;
    ui->jobs = jobs;
    ui->window = ui_window_default();
    ui->custom_since = ui->custom_until = -1;
    start_terminal(ui);
    ui->data_version = tg_browse_data_version(store);
    ui->indexer = options->db_path ? indexer_start(options->db_path) : NULL;
    load(ui);
    while (!ui->quit) {
        draw(ui);
        if (current(ui)->load_more && current(ui)->load_more(ui))
            continue; /* drawn again with it */
        int ch = getch();
        if (ch == ERR)
            idle(ui);
        else
            handle_key(ui, ch);
    }
    finish_jobs(ui);
    endwin();
    indexer_stop(ui->indexer);
    jobs_free(ui->jobs);
    table_free();
    overview_free();
    budgets_free();
    detail_free();
    free(ui);
    return 0;
}
