#include "screens/help.h"

#include <ncurses.h>
#include <stdio.h>

#include "screens/app.h"

#define KEYS_COLS 22
#define WHAT_X (2 + KEYS_COLS + 1)

static struct {
    const struct screen_ops *under; /* the overlay help was opened over, else NULL */
} hp;

void help_open(struct ui *ui)
{
    hp.under = ui->overlay;
    ui->overlay = &help_screen;
}

/* One section: a title, then a line per listed binding. Returns the next row. */
static int draw_section(int y, const char *title, const struct binding *keys)
{
    if (y >= LINES - 1 || !keys[0].run)
        return y;
    attron(A_BOLD);
    draw_text(y++, 0, title, COLS);
    attroff(A_BOLD);
    for (const struct binding *b = keys; b->run && y < LINES - 1; b++) {
        if (!b->what)
            continue;
        char label[64];
        binding_label(b, label, sizeof label);
        draw_padded(y, 2, label, KEYS_COLS);
        draw_text(y++, WHAT_X, b->what, COLS > WHAT_X ? COLS - WHAT_X : 0);
    }
    return y + 1;
}

static void draw(struct ui *ui)
{
    char title[64];
    if (hp.under) { /* a detail: only its own keys work there */
        snprintf(title, sizeof title, "Keys: %s", hp.under->name);
        draw_section(1, title, hp.under->keys);
        return;
    }
    const struct screen_ops *screen = app_screen(ui->screen);
    snprintf(title, sizeof title, "Keys: %s", screen->name);
    int y = draw_section(1, title, screen->keys);
    draw_section(y, "Keys: everywhere", app_keys());
}

static void key_close(struct ui *ui, int ch)
{
    (void)ch;
    ui->overlay = hp.under;
}

static const struct binding keys[] = {
    {{KEY_ANY}, "back", key_close},
    {{0}, NULL, NULL},
};

const struct screen_ops help_screen = {
    .name = "Help",
    .draw = draw,
    .keys = keys,
};
