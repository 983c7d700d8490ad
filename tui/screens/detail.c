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
#include <wchar.h>

#include "base/paths.h"
#include "base/strbuf.h"
#include "log/pricing.h"
#include "query/browse.h"
#include "query/document.h"
#include "query/filter.h"
#include "query/requestdoc.h"
#include "screens/detailio.h"
#include "screens/help.h"
#include "screens/lineedit.h"
#include "screens/requests.h"

#define FIRST_ROW 1
#define EXPORT_NAME_MAX 100 /* characters of the log id kept in the file name */
#define MARKER_COLS 2       /* "▸ " before a header */
#define SIDEWAYS_STEP 8
#define MAX_HITS_PER_ROW 32
#define HIT_CONTEXT_ROWS 3 /* rows shown above a hit jumped to */

static struct {
    struct tg_doc *doc;
    int64_t row_id;
    size_t top, cursor; /* rows of the layout */
    int hscroll;
    bool nowrap;
    int laid_out_cols; /* the width of the layout; 0: lay out again */
    char query[256];
    struct tg_pricing *pricing;
    bool pricing_loaded;
} dt;

void detail_free(void)
{
    tg_doc_free(dt.doc);
    dt.doc = NULL;
    tg_pricing_free(dt.pricing);
    dt.pricing = NULL;
}

/* The document's first row (the request's id) stays pinned under the
 * header, so a reader deep in a long prompt knows which request it is. */
#define PINNED_ROWS 1

static int height(void)
{
    return LINES - 2 - PINNED_ROWS > 1 ? LINES - 2 - PINNED_ROWS : 1; /* the header, the pin, the status bar */
}

/* The first row that scrolls. */
static size_t first_row(void)
{
    return tg_doc_row_count(dt.doc) > PINNED_ROWS ? PINNED_ROWS : 0;
}

static int text_cols(void)
{
    return COLS - MARKER_COLS > 8 ? COLS - MARKER_COLS : 8;
}

/* The pricing table, read once when a detail first needs it: the built-in
 * table, then the user's pricing.json. A gateway's cost needs none. */
static const struct tg_pricing *pricing(void)
{
    if (dt.pricing_loaded)
        return dt.pricing;
    dt.pricing_loaded = true;
    char err[256], dir[4096], file[4200];
    dt.pricing = tg_pricing_new();
    if (dt.pricing && tg_pricing_merge_builtin(dt.pricing, err, sizeof err) == 0 &&
        tg_paths_config_dir(dir, sizeof dir, err, sizeof err) == 0) {
        snprintf(file, sizeof file, "%s/pricing.json", dir);
        if (access(file, F_OK) == 0)
            tg_pricing_merge_file(dt.pricing, file, err, sizeof err);
    }
    return dt.pricing;
}

/* Lays the document out again, keeping the cursor on the text it was on. */
static void relayout(void)
{
    const struct tg_doc_row *was = tg_doc_row_at(dt.doc, dt.cursor);
    struct tg_doc_row keep = was ? *was : (struct tg_doc_row){0};
    size_t offset = dt.cursor >= dt.top ? dt.cursor - dt.top : 0;
    tg_doc_layout(dt.doc, text_cols(), !dt.nowrap);
    dt.laid_out_cols = COLS;
    size_t row = tg_doc_row_of_section(dt.doc, keep.section);
    if (row == SIZE_MAX)
        row = 0;
    for (size_t r = row; was && r < tg_doc_row_count(dt.doc); r++) {
        const struct tg_doc_row *now = tg_doc_row_at(dt.doc, r);
        if (now->section != keep.section || (now->line == keep.line && now->start > keep.start))
            break;
        if (now->line == keep.line && now->start <= keep.start)
            row = r;
    }
    dt.cursor = row;
    dt.top = row > offset ? row - offset : 0;
}

static void place_cursor(size_t row, size_t context)
{
    dt.cursor = row;
    dt.top = row > context ? row - context : 0;
}

/* Shows hit i: opens what folds it away, and puts it in view. */
static bool go_to_hit(struct ui *ui, size_t hit)
{
    if (hit == SIZE_MAX)
        return false;
    tg_doc_reveal(dt.doc, hit);
    relayout();
    size_t row = tg_doc_row_of_hit(dt.doc, hit);
    if (row != SIZE_MAX)
        place_cursor(row, HIT_CONTEXT_ROWS);
    ui_status(ui, "/%s: hit %zu of %zu (n N)", dt.query, hit + 1, tg_doc_hit_count(dt.doc));
    return true;
}

static void search(struct ui *ui, const char *query, int direction)
{
    snprintf(dt.query, sizeof dt.query, "%s", query);
    if (tg_doc_search(dt.doc, dt.query) == 0) {
        ui_status(ui, "not found: /%s", dt.query);
        return;
    }
    go_to_hit(ui, tg_doc_next_hit(dt.doc, dt.cursor, direction));
}

/* Coming from a free-text search: its first hit (the whole text, else its first word). */
static void show_search_hit(struct ui *ui)
{
    const char *text = requests_search_text();
    char word[256];
    if (!text[0])
        return;
    snprintf(dt.query, sizeof dt.query, "%s", text);
    if (tg_doc_search(dt.doc, dt.query) == 0 && sscanf(text, "%255s", word) == 1) {
        snprintf(dt.query, sizeof dt.query, "%s", word);
        tg_doc_search(dt.doc, dt.query);
    }
    if (tg_doc_hit_count(dt.doc))
        go_to_hit(ui, 0);
}

void detail_open(struct ui *ui, int64_t row_id)
{
    char err[200];
    struct tg_doc *doc;
    size_t focus;
    if (tg_browse_document(ui->store, row_id, pricing(), &doc, &focus, err, sizeof err) != 0) {
        ui_status(ui, " %s", err);
        return;
    }
    tg_doc_free(dt.doc);
    dt.doc = doc;
    dt.row_id = row_id;
    dt.hscroll = 0;
    dt.query[0] = '\0';
    ui->overlay = &detail_screen;
    tg_doc_layout(dt.doc, text_cols(), !dt.nowrap);
    dt.laid_out_cols = COLS;
    size_t row = tg_doc_row_of_section(dt.doc, focus);
    place_cursor(row == SIZE_MAX ? 0 : row, 0);
    show_search_hit(ui);
}

/* Draws len bytes of sanitised UTF-8 at (y, x), skipping `skip` columns
 * first, in at most `cols` columns. Returns the columns drawn. */
static int draw_span(int y, int x, const char *text, size_t len, int skip, int cols)
{
    mbstate_t state;
    memset(&state, 0, sizeof state);
    int used = 0;
    move(y, x);
    for (size_t i = 0; i < len && used < cols;) {
        wchar_t wc;
        size_t n = mbrtowc(&wc, text + i, len - i, &state);
        if (n == 0 || n == (size_t)-1 || n == (size_t)-2)
            break;
        i += n;
        int w = wcwidth(wc);
        if (w < 0)
            w = 1, wc = L'?';
        if (skip > 0) {
            skip -= w;
            continue;
        }
        if (used + w > cols)
            break;
        addnwstr(&wc, 1);
        used += w;
    }
    return used;
}

static int hit_attr(const struct ui *ui)
{
    return A_BOLD | A_UNDERLINE | (ui->colour ? COLOR_PAIR(COLOUR_HIT) : A_REVERSE);
}

/* A row's text in pieces, the hits highlighted; sideways scroll applies to lines only. */
static void draw_row(const struct ui *ui, int y, size_t row, bool pinned)
{
    const struct tg_doc_row *r = tg_doc_row_at(dt.doc, row);
    size_t len;
    int indent;
    const char *text = tg_doc_row_text(dt.doc, row, &len, &indent);
    bool header = r->line == TG_DOC_NO_LINE;
    bool top_level_text = !header && tg_doc_section_level(dt.doc, r->section) == 0;
    int x = (top_level_text ? 0 : MARKER_COLS) + indent;
    if (header && r->start == 0)
        mvaddstr(y, indent, tg_doc_folded(dt.doc, r->section) ? "▸ " : "▾ ");
    if (header)
        attron(A_BOLD);
    int skip = header || pinned ? 0 : dt.hscroll;
    size_t from[MAX_HITS_PER_ROW], to[MAX_HITS_PER_ROW];
    size_t nhits = tg_doc_row_hits(dt.doc, row, from, to, MAX_HITS_PER_ROW), at = 0;
    for (size_t h = 0; h <= nhits && x < COLS; h++) {
        size_t end = h < nhits ? from[h] : len;
        int before = tg_doc_width(text + at, end - at);
        x += draw_span(y, x, text + at, end - at, skip, COLS - x);
        skip = skip > before ? skip - before : 0;
        if (h == nhits || x >= COLS)
            break;
        int width = tg_doc_width(text + from[h], to[h] - from[h]);
        attron(hit_attr(ui));
        x += draw_span(y, x, text + from[h], to[h] - from[h], skip, COLS - x);
        attroff(hit_attr(ui));
        skip = skip > width ? skip - width : 0;
        at = to[h];
    }
    attroff(A_BOLD);
}

static void keep_in_bounds(void)
{
    size_t rows = tg_doc_row_count(dt.doc), page = (size_t)height();
    if (dt.cursor >= rows)
        dt.cursor = rows ? rows - 1 : 0;
    if (dt.cursor < first_row())
        dt.cursor = first_row();
    if (dt.top < first_row())
        dt.top = first_row();
    if (dt.cursor < dt.top)
        dt.top = dt.cursor;
    if (dt.cursor >= dt.top + page)
        dt.top = dt.cursor - page + 1;
    if (dt.top + page > rows)
        dt.top = rows > page + first_row() ? rows - page : first_row();
}

static void draw(struct ui *ui)
{
    if (!dt.doc)
        return;
    if (dt.laid_out_cols != COLS)
        relayout();
    keep_in_bounds();
    if (first_row()) {
        attron(A_BOLD);
        draw_row(ui, FIRST_ROW, 0, true);
        attroff(A_BOLD);
    }
    for (int i = 0; i < height(); i++) {
        size_t row = dt.top + (size_t)i;
        int y = FIRST_ROW + PINNED_ROWS + i;
        if (row >= tg_doc_row_count(dt.doc))
            break;
        if (row == dt.cursor)
            attron(A_REVERSE);
        draw_padded(y, 0, "", COLS);
        draw_row(ui, y, row, false);
        attroff(A_REVERSE);
    }
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
    char *raw = NULL, *log_id = NULL, err[200];
    size_t len;
    if (tg_browse_raw(ui->store, dt.row_id, &raw, &len, &log_id, err, sizeof err) != 0) {
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

static void open_pager(struct ui *ui)
{
    char *raw = NULL, *log_id = NULL, err[200];
    size_t len, safe_len;
    if (tg_browse_raw(ui->store, dt.row_id, &raw, &len, &log_id, err, sizeof err) != 0) {
        ui_status(ui, "no log to show: %s", err);
        free(log_id);
        return;
    }
    char *safe = tg_json_for_terminal(raw, len, &safe_len);
    if (safe)
        detailio_page(safe, safe_len, ui->status, sizeof ui->status);
    free(safe);
    free(raw);
    free(log_id);
}

static void copy(struct ui *ui, bool whole)
{
    struct strbuf text = STRBUF_INIT;
    if (whole)
        tg_doc_copy_all(dt.doc, &text);
    else
        tg_doc_section_copy(dt.doc, tg_doc_owner_of_row(dt.doc, dt.cursor), &text);
    if (text.failed || !text.data)
        ui_status(ui, "nothing to copy");
    else
        detailio_copy(text.data, text.len, ui->status, sizeof ui->status);
    strbuf_free(&text);
}

static void show_thread(struct ui *ui)
{
    char thread[TG_FILTER_NAME_MAX];
    tg_browse_thread(ui->store, dt.row_id, thread, sizeof thread);
    if (!thread[0]) {
        ui_status(ui, "this request has no thread");
        return;
    }
    ui->overlay = NULL;
    requests_show_thread(ui, thread);
}

static void move_cursor(long delta)
{
    long rows = (long)tg_doc_row_count(dt.doc), at = (long)dt.cursor + delta;
    dt.cursor = (size_t)(at < 0 ? 0 : at >= rows ? (rows ? rows - 1 : 0) : at);
}

static void page(long pages)
{
    long delta = pages * (height() - 1);
    long top = (long)dt.top + delta;
    dt.top = (size_t)(top < 0 ? 0 : top); /* draw keeps it inside the text */
    move_cursor(delta);
}

/* The next or previous section header from the cursor. */
static void jump_section(int direction)
{
    size_t rows = tg_doc_row_count(dt.doc);
    for (size_t r = dt.cursor + (size_t)direction; r < rows; r += (size_t)direction) {
        if (tg_doc_row_at(dt.doc, r)->line == TG_DOC_NO_LINE) {
            dt.cursor = r;
            return;
        }
    }
}

static void key_back(struct ui *ui, int ch) { (void)ch; ui->overlay = NULL; }
static void key_down(struct ui *ui, int ch) { (void)ui, (void)ch; move_cursor(1); }
static void key_up(struct ui *ui, int ch) { (void)ui, (void)ch; move_cursor(-1); }
static void key_page_down(struct ui *ui, int ch) { (void)ui, (void)ch; page(1); }
static void key_page_up(struct ui *ui, int ch) { (void)ui, (void)ch; page(-1); }
static void key_first(struct ui *ui, int ch) { (void)ui, (void)ch; dt.top = dt.cursor = 0; }
static void key_last(struct ui *ui, int ch) { (void)ui, (void)ch; move_cursor((long)tg_doc_row_count(dt.doc)); }
static void key_wheel(struct ui *ui, int ch) { (void)ui, (void)ch; move_cursor(mouse_wheel_step()); }
static void key_help(struct ui *ui, int ch) { (void)ch; help_open(ui); }
static void key_thread(struct ui *ui, int ch) { (void)ch; show_thread(ui); }
static void key_export(struct ui *ui, int ch) { (void)ch; export_request(ui); }
static void key_pager(struct ui *ui, int ch) { (void)ch; open_pager(ui); }
static void key_copy(struct ui *ui, int ch) { copy(ui, ch == 'Y'); }
static void key_section(struct ui *ui, int ch) { (void)ui; jump_section(ch == ']' ? 1 : -1); }

static void key_fold(struct ui *ui, int ch)
{
    (void)ui, (void)ch;
    size_t section = tg_doc_owner_of_row(dt.doc, dt.cursor);
    tg_doc_toggle(dt.doc, section);
    tg_doc_layout(dt.doc, text_cols(), !dt.nowrap);
    size_t row = tg_doc_row_of_section(dt.doc, section);
    dt.cursor = row == SIZE_MAX ? 0 : row;
}

static void key_fold_all(struct ui *ui, int ch)
{
    (void)ui, (void)ch;
    tg_doc_toggle_all(dt.doc);
    relayout();
}

static void key_wrap(struct ui *ui, int ch)
{
    (void)ch;
    dt.nowrap = !dt.nowrap;
    dt.hscroll = 0;
    relayout();
    ui_status(ui, dt.nowrap ? "wrap off: Left Right h l 0 $ scroll sideways" : "wrap on");
}

/* The widest row on the page, for $. */
static int widest_in_view(void)
{
    int widest = 0;
    for (size_t r = dt.top; r < dt.top + (size_t)height() && r < tg_doc_row_count(dt.doc); r++) {
        size_t len;
        int indent;
        const char *text = tg_doc_row_text(dt.doc, r, &len, &indent);
        int w = indent + tg_doc_width(text, len);
        widest = w > widest ? w : widest;
    }
    return widest;
}

static void key_sideways(struct ui *ui, int ch)
{
    if (!dt.nowrap) {
        ui_status(ui, "the text is wrapped: W turns wrapping off to scroll sideways");
        return;
    }
    if (ch == '0')
        dt.hscroll = 0;
    else if (ch == '$')
        dt.hscroll = widest_in_view() - text_cols() + 1;
    else
        dt.hscroll += ch == KEY_RIGHT || ch == 'l' ? SIDEWAYS_STEP : -SIDEWAYS_STEP;
    if (dt.hscroll < 0)
        dt.hscroll = 0;
}

static void key_search(struct ui *ui, int ch)
{
    (void)ch;
    char text[sizeof dt.query] = "";
    if (lineedit_read("/", text, sizeof text) && text[0])
        search(ui, text, 0);
}

/* n and N step through the hits of a search; with none, n is the next request. */
static void key_next(struct ui *ui, int ch)
{
    if (dt.query[0] && tg_doc_hit_count(dt.doc) && (ch == 'n' || ch == 'N')) {
        go_to_hit(ui, tg_doc_next_hit(dt.doc, dt.cursor, ch == 'n' ? 1 : -1));
        return;
    }
    if (ch == 'N')
        return;
    requests_step(ui, ch == 'n' || ch == '>' ? 1 : -1);
    const struct tg_request_row *row = requests_selected();
    if (row)
        detail_open(ui, row->row_id);
}

static const struct binding keys[] = {
    {{KEY_ESCAPE, 'q'}, "back to the requests, keeping the cursor", key_back},
    {{KEY_DOWN, 'j'}, "down a line", key_down},
    {{KEY_UP, 'k'}, "up a line", key_up},
    {{KEY_NPAGE, ' '}, "a page down", key_page_down},
    {{KEY_PPAGE}, "a page up", key_page_up},
    {{KEY_HOME, 'g'}, "to the top", key_first},
    {{KEY_END, 'G'}, "to the end", key_last},
    {{KEY_MOUSE}, "scroll", key_wheel},
    {{'\n', KEY_ENTER}, "fold or open the section under the cursor (a system block, a tool, a message)", key_fold},
    {{'z'}, "fold every section, or open them all", key_fold_all},
    {{'[', ']'}, "the previous / next section", key_section},
    {{'W'}, "wrap long lines (on at first) or not", key_wrap},
    {{KEY_LEFT, KEY_RIGHT, 'h', 'l', '0', '$'}, "with wrapping off: scroll sideways, back to the start, to the end",
     key_sideways},
    {{'/'}, "search this request; hits are highlighted", key_search},
    {{'n', 'N', '>', '<', 'p'},
     "next / previous hit of a search; without one n and p (and always > <) the next / previous request", key_next},
    {{'y', 'Y'}, "copy the section under the cursor / the whole request (OSC 52, or a 0600 file)", key_copy},
    {{'o'}, "open the stored log in $PAGER", key_pager},
    {{'t'}, "the whole thread of this request", key_thread},
    {{'e'}, "export the request as JSON to a new ./tollgate-ID.json", key_export},
    {{'?'}, "this help", key_help},
    {{0}, NULL, NULL},
};

const struct screen_ops detail_screen = {
    .name = "Request",
    .hint = "Esc back  Enter fold  z all  / search  W wrap  y copy  o pager  ? help",
    .draw = draw,
    .keys = keys,
};
