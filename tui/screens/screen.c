#define _XOPEN_SOURCE_EXTENDED 1
#include "screens/screen.h"

#include <ctype.h>
#include <ncurses.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "base/timeutil.h"
#include "query/window.h"

/* What w cycles through, from 30d (the default) on to all, then 1h: the
 * rolling spans and the calendar ones (query/window.h) between them. */
static const struct {
    const char *label;
    int64_t span_ms; /* 0 = all, or a named window */
    const char *named;
} windows[] = {
    {"1h", TG_HOUR_MS, NULL},      {"today", 0, "today"}, {"24h", TG_DAY_MS, NULL},
    {"week", 0, "week"},           {"7d", 7 * TG_DAY_MS, NULL}, {"month", 0, "month"},
    {"last-month", 0, "last-month"}, {"30d", 30 * TG_DAY_MS, NULL}, {"all", 0, NULL},
};
#define NWINDOWS ((int)(sizeof windows / sizeof windows[0]))
#define DEFAULT_WINDOW 7 /* 30d */

int ui_window_default(void)
{
    return DEFAULT_WINDOW;
}

static bool utc(const struct ui *ui)
{
    return ui->opt && ui->opt->utc;
}

void ui_status(struct ui *ui, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ui->status, sizeof ui->status, fmt, ap);
    va_end(ap);
}

static bool custom_window(const struct ui *ui)
{
    return ui->custom_since >= 0 || ui->custom_until >= 0;
}

void ui_window_next(struct ui *ui)
{
    if (custom_window(ui))
        ui->custom_since = ui->custom_until = -1;
    else
        ui->window = (ui->window + 1) % NWINDOWS;
}

void ui_window_all(struct ui *ui)
{
    ui->custom_since = ui->custom_until = -1;
    ui->window = NWINDOWS - 1;
}

int64_t ui_window_since(const struct ui *ui)
{
    if (custom_window(ui))
        return ui->custom_since >= 0 ? ui->custom_since : 0;
    int64_t since, until;
    if (windows[ui->window].named &&
        tg_window_named(windows[ui->window].named, tg_now_ms(), utc(ui), &since, &until) == 0)
        return since;
    int64_t span = windows[ui->window].span_ms;
    return span ? tg_now_ms() - span : 0;
}

int64_t ui_window_until(const struct ui *ui)
{
    if (custom_window(ui))
        return ui->custom_until >= 0 ? ui->custom_until : INT64_MAX;
    int64_t since, until;
    if (windows[ui->window].named &&
        tg_window_named(windows[ui->window].named, tg_now_ms(), utc(ui), &since, &until) == 0 && until >= 0)
        return until;
    return INT64_MAX;
}

struct tg_spend_filter ui_spend_filter(const struct ui *ui)
{
    int64_t until = ui_window_until(ui);
    struct tg_spend_filter f = {ui_window_since(ui), until == INT64_MAX ? TG_SPEND_OPEN : until, NULL, NULL, NULL,
                                utc(ui)};
    return f;
}

bool ui_window_previous(const struct ui *ui, struct tg_spend_filter *out)
{
    *out = ui_spend_filter(ui);
    if (!custom_window(ui) && windows[ui->window].named)
        return tg_window_named_previous(windows[ui->window].named, tg_now_ms(), utc(ui), &out->since_ms,
                                        &out->until_ms) == 0;
    int64_t since = ui_window_since(ui), until = ui_window_until(ui);
    if (since <= 0)
        return false; /* all of time has nothing before it */
    int64_t end = until == INT64_MAX ? tg_now_ms() : until;
    out->since_ms = since - (end - since);
    out->until_ms = since;
    return out->since_ms < out->until_ms;
}

int ui_window_set(struct ui *ui, bool since, const char *text, char *err, size_t errlen)
{
    int64_t ms;
    if (tg_window_parse_time(since ? ":since" : ":until", text, tg_now_ms(), utc(ui), &ms, err, errlen) != 0)
        return -1;
    int64_t new_since = since ? ms : custom_window(ui) ? ui->custom_since : ui_window_since(ui);
    int64_t new_until = !since ? ms : custom_window(ui) ? ui->custom_until : -1;
    if (!custom_window(ui) && !since && new_since == 0)
        new_since = -1;
    if (new_since > 0 && new_until >= 0 && new_until <= new_since) {
        char a[40], b[40];
        tg_time_format_iso(new_since, a, sizeof a);
        tg_time_format_iso(new_until, b, sizeof b);
        snprintf(err, errlen, "the window would end (%.16s) before it starts (%.16s): nothing to show", b, a);
        return -1;
    }
    ui->custom_since = new_since;
    ui->custom_until = new_until;
    return 0;
}

void ui_window_name(const struct ui *ui, char *buf, size_t len)
{
    if (!custom_window(ui)) {
        snprintf(buf, len, "%s", windows[ui->window].label);
        return;
    }
    char a[40] = "start", b[40] = "now";
    if (ui->custom_since >= 0)
        tg_time_format_iso(ui->custom_since, a, sizeof a);
    if (ui->custom_until >= 0)
        tg_time_format_iso(ui->custom_until, b, sizeof b);
    snprintf(buf, len, "%.16s..%.16s", a, b);
}

const struct binding *binding_for(const struct binding *keys, int ch)
{
    for (const struct binding *b = keys; b && b->run; b++) {
        for (int i = 0; i < BINDING_KEYS && b->keys[i]; i++) {
            if (b->keys[i] == ch || b->keys[i] == KEY_ANY)
                return b;
        }
    }
    return NULL;
}

static const char *key_title(int ch, char *buf, size_t len)
{
    static const struct {
        int code;
        const char *name;
    } names[] = {
        {KEY_UP, "Up"},       {KEY_DOWN, "Down"},   {KEY_LEFT, "Left"},    {KEY_RIGHT, "Right"},
        {KEY_PPAGE, "PgUp"},  {KEY_NPAGE, "PgDn"},  {KEY_HOME, "Home"},    {KEY_END, "End"},
        {'\n', "Enter"},      {KEY_ESCAPE, "Esc"},  {'\t', "Tab"},         {KEY_BTAB, "Shift-Tab"},
        {' ', "Space"},       {KEY_MOUSE, "wheel"}, {KEY_ANY, "any key"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (names[i].code == ch)
            return names[i].name;
    }
    snprintf(buf, len, ch > 32 && ch < 127 ? "%c" : "#%d", ch);
    return buf;
}

void binding_label(const struct binding *b, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < BINDING_KEYS && b->keys[i] && n + 1 < len; i++) {
        int ch = b->keys[i];
        if (ch == KEY_ENTER || ch == KEY_RESIZE)
            continue; /* the same as '\n' / not a key anyone presses */
        int last = i; /* a run of three or more such as 1 2 3 4 5 shows as 1-5 */
        while (last + 1 < BINDING_KEYS && b->keys[last + 1] == b->keys[last] + 1 && ch < 127 && isgraph(ch))
            last++;
        char one[16], other[16];
        const char *name = key_title(ch, one, sizeof one);
        int w = last - i >= 2 ? snprintf(buf + n, len - n, "%s%s-%s", n ? " " : "", name,
                                         key_title(b->keys[last], other, sizeof other))
                              : snprintf(buf + n, len - n, "%s%s", n ? " " : "", name);
        if (last - i >= 2)
            i = last;
        if (w > 0)
            n = n + (size_t)w < len ? n + (size_t)w : len - 1;
    }
}

int ui_page_rows(void)
{
    return LINES - 4 > 1 ? LINES - 4 : 1;
}

int draw_text(int y, int x, const char *text, int cols)
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

void draw_padded(int y, int x, const char *text, int cols)
{
    int used = draw_text(y, x, text, cols);
    for (; used < cols; used++)
        addch(' ');
}

void draw_bar(int y, int x, int64_t part, int64_t whole, int width)
{
    /* eighths of a cell where the terminal takes UTF-8, so 15% of a short
     * bar still shows as more than nothing */
    static const char *const eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
    bool blocks = MB_CUR_MAX > 1;
    double share = whole > 0 && part > 0 ? (double)part / (double)whole : 0;
    if (share > 1)
        share = 1;
    int n = (int)(share * width * (blocks ? 8 : 1) + 0.5);
    if (n == 0 && part > 0 && blocks)
        n = 1;
    move(y, x);
    int full = blocks ? n / 8 : n, used = 0;
    for (; used < full && used < width; used++)
        draw_text(y, x + used, blocks ? "█" : "#", 1);
    if (blocks && n % 8 && used < width) {
        draw_text(y, x + used, eighths[n % 8], 1);
        used++;
    }
    for (; used < width; used++)
        mvaddch(y, x + used, ' ');
}

void draw_status_line(const char *text)
{
    attron(A_REVERSE);
    draw_padded(LINES - 1, 0, text, COLS);
    attroff(A_REVERSE);
}

void format_ago(int64_t ms, char *buf, size_t len)
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

int mouse_wheel_step(void)
{
    MEVENT event;
    if (getmouse(&event) != OK)
        return 0;
    return event.bstate & BUTTON4_PRESSED ? -3 : event.bstate & BUTTON5_PRESSED ? 3 : 0;
}
