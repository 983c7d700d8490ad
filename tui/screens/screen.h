/* What every screen shares: the state of the app they read and change (the
 * store, the time window, the status line), the table of operations each
 * screen fills in (struct screen_ops), key bindings as data (the same table
 * runs a key and draws the ? screen, so help cannot drift from behaviour), and
 * the drawing helpers that keep UTF-8 text inside its columns. */
#ifndef TG_SCREENS_SCREEN_H
#define TG_SCREENS_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query/spend.h"
#include "store/store.h"

/* Key codes ncurses has no name for. */
#define KEY_ESCAPE 27
#define KEY_CTRL(letter) ((letter) & 0x1f)
#define KEY_DEL 127
#define KEY_ANY (-2) /* in a binding: every key not bound before it */

struct ui_options {
    const char *db_path; /* shown in the header; the background connections open it */
    const char *actor;   /* who revokes, for the audit log */
    bool utc;            /* calendar windows (today, week, month) in UTC, not the local time zone */
};

/* Colour pairs, set up by app.c when the terminal has colour. */
enum { COLOUR_HEADER = 1, COLOUR_ERROR = 2, COLOUR_HIT = 3 };

enum screen_id {
    SCREEN_OVERVIEW, SCREEN_DEVELOPERS, SCREEN_KEYS, SCREEN_MODELS, SCREEN_REQUESTS, SCREEN_BUDGETS, NSCREENS
};

struct ui;

#define BINDING_KEYS 8
struct binding {
    int keys[BINDING_KEYS]; /* key codes, ended by 0 */
    const char *what;       /* on the ? screen; NULL for a binding not worth listing */
    void (*run)(struct ui *ui, int ch);
};

struct screen_ops {
    const char *name; /* the header's tab, the help's section */
    const char *hint; /* the status bar's keys when there is no message; NULL for the usual ones */
    void (*load)(struct ui *ui); /* fetch what draw shows, keeping the cursor */
    void (*draw)(struct ui *ui);
    const struct binding *keys; /* ended by an entry without run */
    /* optional hooks, NULL when not needed */
    void (*rewind)(struct ui *ui);   /* the window changed: back to the first row, then load */
    void (*reread)(struct ui *ui);   /* another process committed (default: load) */
    bool (*load_more)(struct ui *ui); /* the slow part, right after the first paint; true when it loaded */
    void (*leave)(struct ui *ui);    /* another screen is about to be shown */
    void (*describe)(const struct ui *ui, char *buf, size_t len); /* " | /filter" for the status bar */
};

struct indexer;
struct jobs;

struct ui {
    struct tg_store *store; /* read-only */
    const struct ui_options *opt;
    enum screen_id screen;
    const struct screen_ops *overlay; /* the detail or help drawn over the screen, else NULL */
    int window;                       /* an index into the windows of screen.c */
    int64_t custom_since, custom_until; /* :since / :until, -1 when unset */
    bool colour, quit;
    char status[1024]; /* a message for the status bar, "" for the hint */
    int64_t data_version;
    struct indexer *indexer;
    struct jobs *jobs;
};

void ui_status(struct ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The time window: the preset (1h, today, 24h, week, 7d, month, last-month,
 * 30d, all) unless :since / :until set one. */
int ui_window_default(void); /* the preset shown first: 30d */
void ui_window_next(struct ui *ui); /* w: the next preset, or back to it from a custom window */
void ui_window_all(struct ui *ui);
int64_t ui_window_since(const struct ui *ui);
int64_t ui_window_until(const struct ui *ui); /* INT64_MAX when open */
struct tg_spend_filter ui_spend_filter(const struct ui *ui);
void ui_window_name(const struct ui *ui, char *buf, size_t len);
/* The period before the window, of the same length (for a calendar window:
 * the previous day, week or month as far in): false when there is none. */
bool ui_window_previous(const struct ui *ui, struct tg_spend_filter *out);
/* :since / :until TEXT (a time, a duration back, or a calendar window's
 * start). 0, or -1 with err saying what is wrong; the window is unchanged. */
int ui_window_set(struct ui *ui, bool since, const char *text, char *err, size_t errlen);

/* The binding for ch in keys, or NULL. */
const struct binding *binding_for(const struct binding *keys, int ch);
/* "Up Down j k", "1-5 Tab" : the keys of a binding as the help shows them. */
void binding_label(const struct binding *b, char *buf, size_t len);

/* Rows a list may use between the header and the status bar, at least 1. */
int ui_page_rows(void);

/* Draws UTF-8 text in at most `cols` terminal columns (wide characters count
 * two); returns the columns used. draw_padded fills the rest with spaces. */
int draw_text(int y, int x, const char *text, int cols);
void draw_padded(int y, int x, const char *text, int cols);
/* A share bar of `width` cells for part / whole. */
void draw_bar(int y, int x, int64_t part, int64_t whole, int width);
/* The status bar's reversed line. */
void draw_status_line(const char *text);

/* "5m", "3h", "2d": how long ago, to fit a narrow column; "-" when never. */
void format_ago(int64_t ms, char *buf, size_t len);

/* The wheel: -3 up, 3 down, 0 for any other mouse event. */
int mouse_wheel_step(void);

#endif
