#include "screens/help.h"

#include <ncurses.h>
#include <stdio.h>
#include <string.h>

#include "screens/app.h"

#define KEYS_COLS 22
#define KEYS_X 2
#define WHAT_X (KEYS_X + KEYS_COLS + 1)
#define NARROW 50 /* below this many columns the text goes under its keys */
#define MAX_LINES 400

/* One line of the help as laid out for the width. */
struct help_line {
    char keys[64];  /* "" on a continuation */
    char text[256];
    bool title;
};

static struct {
    const struct screen_ops *under; /* the overlay help was opened over, else NULL */
    int top;
    struct help_line lines[MAX_LINES];
    int count;
} hp;

static const struct binding help_keys[];

void help_open(struct ui *ui)
{
    hp.under = ui->overlay;
    hp.top = 0;
    ui->overlay = &help_screen;
}

static struct help_line *new_line(void)
{
    if (hp.count == MAX_LINES)
        return NULL;
    struct help_line *l = &hp.lines[hp.count++];
    memset(l, 0, sizeof *l);
    return l;
}

/* The bindings' texts are ours and ASCII: a byte is a column. */
static void wrap_into(const char *keys, const char *text, int cols)
{
    const char *p = text;
    bool first = true;
    if (cols < 10)
        cols = 10;
    do {
        size_t len = strlen(p), cut = len;
        if ((int)len > cols) {
            cut = (size_t)cols;
            while (cut > 0 && p[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = (size_t)cols;
        }
        struct help_line *l = new_line();
        if (!l)
            return;
        snprintf(l->keys, sizeof l->keys, "%s", first ? keys : "");
        snprintf(l->text, sizeof l->text, "%.*s", (int)cut, p);
        p += cut;
        while (*p == ' ')
            p++;
        first = false;
    } while (*p);
}

/* A title, then each listed binding: its keys, and what it does wrapped to the width. */
static void add_section(const char *title, const struct binding *keys)
{
    if (!keys[0].run)
        return;
    struct help_line *t = new_line();
    if (!t)
        return;
    snprintf(t->text, sizeof t->text, "%s", title);
    t->title = true;
    bool narrow = COLS < NARROW;
    for (const struct binding *b = keys; b->run; b++) {
        if (!b->what)
            continue;
        char label[64];
        binding_label(b, label, sizeof label);
        if (narrow) {
            wrap_into(label, "", COLS - KEYS_X);
            wrap_into("", b->what, COLS - KEYS_X - 2);
        } else {
            wrap_into(label, b->what, COLS - WHAT_X);
        }
    }
    new_line();
}

static void lay_out(struct ui *ui)
{
    char title[64];
    hp.count = 0;
    if (hp.under) { /* a detail: only its own keys work there */
        snprintf(title, sizeof title, "Keys: %s", hp.under->name);
        add_section(title, hp.under->keys);
    } else {
        const struct screen_ops *screen = app_screen(ui->screen);
        snprintf(title, sizeof title, "Keys: %s", screen->name);
        add_section(title, screen->keys);
        add_section("Keys: everywhere", app_keys());
    }
    add_section("Keys: this help", help_keys);
}

static int page_rows(void)
{
    return LINES - 2 > 1 ? LINES - 2 : 1;
}

static void draw(struct ui *ui)
{
    lay_out(ui);
    if (hp.top > hp.count - page_rows())
        hp.top = hp.count - page_rows();
    if (hp.top < 0)
        hp.top = 0;
    bool narrow = COLS < NARROW;
    for (int i = 0; i < page_rows() && hp.top + i < hp.count; i++) {
        const struct help_line *l = &hp.lines[hp.top + i];
        int y = 1 + i;
        if (l->title) {
            attron(A_BOLD);
            draw_text(y, 0, l->text, COLS);
            attroff(A_BOLD);
        } else if (narrow) {
            draw_text(y, l->keys[0] ? KEYS_X : KEYS_X + 2, l->keys[0] ? l->keys : l->text, COLS - KEYS_X);
        } else {
            draw_padded(y, KEYS_X, l->keys, KEYS_COLS);
            draw_text(y, WHAT_X, l->text, COLS > WHAT_X ? COLS - WHAT_X : 0);
        }
    }
    if (hp.count > page_rows()) {
        char more[64];
        snprintf(more, sizeof more, "lines %d-%d of %d", hp.top + 1,
                 hp.top + page_rows() < hp.count ? hp.top + page_rows() : hp.count, hp.count);
        ui_status(ui, "%s  Down PgDn more  any other key closes", more);
    }
}

static void scroll_by(int delta)
{
    hp.top += delta; /* draw keeps it inside the text */
}

static void key_close(struct ui *ui, int ch)
{
    (void)ch;
    ui->overlay = hp.under;
}

static void key_down(struct ui *ui, int ch) { (void)ui, (void)ch; scroll_by(1); }
static void key_up(struct ui *ui, int ch) { (void)ui, (void)ch; scroll_by(-1); }
static void key_page_down(struct ui *ui, int ch) { (void)ui, (void)ch; scroll_by(page_rows() - 1); }
static void key_page_up(struct ui *ui, int ch) { (void)ui, (void)ch; scroll_by(-(page_rows() - 1)); }
static void key_first(struct ui *ui, int ch) { (void)ui, (void)ch; hp.top = 0; }
static void key_last(struct ui *ui, int ch) { (void)ui, (void)ch; hp.top = MAX_LINES; }
static void key_ignore(struct ui *ui, int ch) { (void)ui, (void)ch; }

static const struct binding help_keys[] = {
    {{KEY_DOWN, 'j'}, "down a line", key_down},
    {{KEY_UP, 'k'}, "up a line", key_up},
    {{KEY_NPAGE, ' '}, "a page down", key_page_down},
    {{KEY_PPAGE}, "a page up", key_page_up},
    {{KEY_HOME, 'g'}, "to the top", key_first},
    {{KEY_END, 'G'}, "to the end", key_last},
    {{KEY_RESIZE}, NULL, key_ignore},
    {{KEY_ANY}, "back", key_close},
    {{0}, NULL, NULL},
};

const struct screen_ops help_screen = {
    .name = "Help",
    .draw = draw,
    .keys = help_keys,
};
