#define _XOPEN_SOURCE_EXTENDED 1
#include "screens/lineedit.h"

#include <limits.h>
#include <ncurses.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "base/sanitize.h"
#include "screens/screen.h"

#define IDLE_TIMEOUT_MS 1000 /* the screens' usual getch timeout, restored on the way out */

static void drop_last_char(char *buf)
{
    size_t n = strlen(buf);
    while (n > 0 && ((unsigned char)buf[n - 1] & 0xC0) == 0x80)
        n--;
    if (n > 0)
        n--;
    buf[n] = '\0';
}

static void append_char(char *buf, size_t len, wint_t ch)
{
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

static void draw_line(const char *prompt, const char *buf)
{
    move(LINES - 1, 0);
    clrtoeol();
    char shown[600];
    tg_sanitize(buf, shown, sizeof shown);
    draw_text(LINES - 1, 0, prompt, COLS);
    draw_text(LINES - 1, (int)strlen(prompt), shown, COLS - (int)strlen(prompt) - 1);
    refresh();
}

/* One key: 1 done (Enter), -1 cancelled (Esc), 0 go on. */
static int edit(char *buf, size_t len, int kind, wint_t ch)
{
    if (kind == KEY_CODE_YES) {
        if (ch == KEY_BACKSPACE)
            drop_last_char(buf);
        return ch == KEY_ENTER ? 1 : 0;
    }
    switch (ch) {
    case KEY_ESCAPE: return -1;
    case '\n': case '\r': return 1;
    case KEY_DEL: case KEY_CTRL('H'): drop_last_char(buf); return 0;
    case KEY_CTRL('U'): buf[0] = '\0'; return 0;
    }
    if (ch >= ' ')
        append_char(buf, len, ch);
    return 0;
}

bool lineedit_read(const char *prompt, char *buf, size_t len)
{
    timeout(-1);
    curs_set(1);
    int state = 0;
    while (state == 0) {
        draw_line(prompt, buf);
        wint_t ch;
        int kind = get_wch(&ch);
        if (kind != ERR)
            state = edit(buf, len, kind, ch);
    }
    curs_set(0);
    timeout(IDLE_TIMEOUT_MS);
    return state > 0;
}
