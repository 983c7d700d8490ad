#define _XOPEN_SOURCE_EXTENDED 1
#include "screens/detail.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query/browse.h"
#include "query/filter.h"
#include "screens/help.h"
#include "screens/requests.h"

#define FIRST_ROW 1
#define EXPORT_NAME_MAX 100 /* characters of the log id kept in the file name */

static struct {
    struct tg_detail lines;
    int top;
} dt;

void detail_free(void)
{
    tg_detail_free(&dt.lines);
}

static int height(void)
{
    return LINES - 2; /* the header, the status bar */
}

void detail_open(struct ui *ui, int64_t row_id)
{
    char err[200];
    tg_detail_free(&dt.lines);
    if (tg_browse_detail(ui->store, row_id, &dt.lines, err, sizeof err) != 0) {
        ui_status(ui, " %s", err);
        return;
    }
    ui->overlay = &detail_screen;
    dt.top = 0;
}

static void draw(struct ui *ui)
{
    (void)ui;
    if (dt.top > (int)dt.lines.count - height())
        dt.top = (int)dt.lines.count - height();
    if (dt.top < 0)
        dt.top = 0;
    for (int i = 0; i < height() && dt.top + i < (int)dt.lines.count; i++)
        draw_padded(FIRST_ROW + i, 0, dt.lines.lines[dt.top + i], COLS);
}

/* A new file for an export, never one that is there already: a symlink
 * planted under the name is not followed (O_EXCL, O_NOFOLLOW) and an earlier
 * export is not overwritten; tollgate-ID.json, else tollgate-ID-2.json, ... */
static int create_export_file(const char *stem, char *path, size_t len)
{
    for (int i = 1; i < 100; i++) {
        if (i == 1)
            snprintf(path, len, "tollgate-%s.json", stem);
        else
            snprintf(path, len, "tollgate-%s-%d.json", stem, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

static bool write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

/* Writes the stored log, byte for byte, to a new ./tollgate-ID.json (mode 0600). */
static void export_request(struct ui *ui)
{
    const struct tg_request_row *row = requests_selected();
    if (!row)
        return;
    char *raw = NULL, *log_id = NULL, err[200];
    size_t len;
    if (tg_browse_raw(ui->store, row->row_id, &raw, &len, &log_id, err, sizeof err) != 0) {
        ui_status(ui, "export failed: %s", err);
        free(log_id);
        return;
    }
    char name[EXPORT_NAME_MAX + 1];
    size_t n = 0;
    for (const char *p = log_id; *p && n < EXPORT_NAME_MAX; p++) /* a file name from the id: safe characters only */
        name[n++] = (isalnum((unsigned char)*p) || *p == '-' || *p == '_') ? *p : '_';
    name[n] = '\0';
    char path[256], dir[1024];
    if (!getcwd(dir, sizeof dir))
        snprintf(dir, sizeof dir, ".");
    int fd = create_export_file(name, path, sizeof path);
    if (fd < 0) {
        ui_status(ui, "could not create %s in %s: %s", path, dir, strerror(errno));
    } else if (!write_all(fd, raw, len) || close(fd) != 0) {
        int e = errno;
        unlink(path); /* nothing half-written */
        ui_status(ui, "could not write %s in %s: %s", path, dir, strerror(e));
    } else {
        ui_status(ui, "exported to %s (in %s)", path, dir);
    }
    free(raw);
    free(log_id);
}

static void show_thread(struct ui *ui)
{
    const struct tg_request_row *row = requests_selected();
    if (!row)
        return;
    char thread[TG_FILTER_NAME_MAX];
    tg_browse_thread(ui->store, row->row_id, thread, sizeof thread);
    if (!thread[0]) {
        ui_status(ui, "this request has no thread");
        return;
    }
    ui->overlay = NULL;
    requests_show_thread(ui, thread);
}

static void scroll_by(int delta)
{
    dt.top += delta; /* draw keeps it inside the text */
}

static void key_back(struct ui *ui, int ch) { (void)ch; ui->overlay = NULL; }
static void key_down(struct ui *ui, int ch) { (void)ui, (void)ch; scroll_by(1); }
static void key_up(struct ui *ui, int ch) { (void)ui, (void)ch; scroll_by(-1); }
static void key_page_down(struct ui *ui, int ch) { (void)ui, (void)ch; scroll_by(LINES - 3); }
static void key_page_up(struct ui *ui, int ch) { (void)ui, (void)ch; scroll_by(-(LINES - 3)); }
static void key_first(struct ui *ui, int ch) { (void)ui, (void)ch; dt.top = 0; }
static void key_last(struct ui *ui, int ch) { (void)ui, (void)ch; dt.top = (int)dt.lines.count; }
static void key_wheel(struct ui *ui, int ch) { (void)ui, (void)ch; scroll_by(mouse_wheel_step()); }
static void key_help(struct ui *ui, int ch) { (void)ch; help_open(ui); }
static void key_thread(struct ui *ui, int ch) { (void)ch; show_thread(ui); }
static void key_export(struct ui *ui, int ch) { (void)ch; export_request(ui); }

static void key_next(struct ui *ui, int ch)
{
    requests_step(ui, ch == 'n' ? 1 : -1);
    const struct tg_request_row *row = requests_selected();
    if (row)
        detail_open(ui, row->row_id);
}

static const struct binding keys[] = {
    {{KEY_ESCAPE, 'q', KEY_LEFT}, "back to the requests, keeping the cursor", key_back},
    {{KEY_DOWN, 'j'}, "scroll down", key_down},
    {{KEY_UP, 'k'}, "scroll up", key_up},
    {{KEY_NPAGE, ' '}, "a page down", key_page_down},
    {{KEY_PPAGE}, "a page up", key_page_up},
    {{KEY_HOME, 'g'}, "to the top", key_first},
    {{KEY_END, 'G'}, "to the end", key_last},
    {{KEY_MOUSE}, "scroll", key_wheel},
    {{'n', 'p'}, "the next / previous request", key_next},
    {{'t'}, "the whole thread of this request", key_thread},
    {{'e'}, "export the request as JSON to a new ./tollgate-ID.json", key_export},
    {{'?'}, "this help", key_help},
    {{0}, NULL, NULL},
};

const struct screen_ops detail_screen = {
    .name = "Request",
    .hint = "Esc back  Up/Down/PgUp/PgDn scroll  ? help",
    .draw = draw,
    .keys = keys,
};
