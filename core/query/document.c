#include "query/document.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "base/sanitize.h"

#define TAB_STOP 4
#define MIN_WIDTH 8

struct line {
    char *text; /* sanitised */
    uint32_t len;
    int indent;
};

struct section {
    char *title; /* sanitised; NULL: no header */
    uint32_t title_len;
    int level;
    enum tg_doc_kind kind;
    bool folded;
    size_t first_line, nlines;
    size_t bytes;
};

/* Where a hit or a row is, in document order: the section, then 0 for its
 * header or 1 + the line, then the byte. */
struct place {
    uint32_t section, pos, start;
};

struct hit {
    struct place at;
    uint32_t len;
};

struct tg_doc {
    struct section *sections;
    size_t nsections, sections_cap;
    struct line *lines;
    size_t nlines, lines_cap;
    struct tg_doc_row *rows;
    size_t nrows, rows_cap;
    size_t *section_row; /* each section's first row in the layout, SIZE_MAX when hidden */
    struct hit *hits;
    size_t nhits, hits_cap;
};

/* Grows an array of `size`-byte items to hold one more; false when out of memory. */
static bool grow(void **items, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return true;
    size_t n = *cap ? *cap * 2 : 64;
    void *p = realloc(*items, n * size);
    if (!p)
        return false;
    *items = p;
    *cap = n;
    return true;
}

struct tg_doc *tg_doc_new(void)
{
    return calloc(1, sizeof(struct tg_doc));
}

void tg_doc_free(struct tg_doc *doc)
{
    if (!doc)
        return;
    for (size_t i = 0; i < doc->nsections; i++)
        free(doc->sections[i].title);
    for (size_t i = 0; i < doc->nlines; i++)
        free(doc->lines[i].text);
    free(doc->sections);
    free(doc->lines);
    free(doc->rows);
    free(doc->section_row);
    free(doc->hits);
    free(doc);
}

void tg_doc_set_title(struct tg_doc *doc, size_t section, const char *title)
{
    struct section *s = &doc->sections[section];
    free(s->title);
    s->title = title ? tg_sanitize_dup(title) : NULL;
    s->title_len = s->title ? (uint32_t)strlen(s->title) : 0;
}

size_t tg_doc_section(struct tg_doc *doc, int level, enum tg_doc_kind kind, const char *title, bool folded)
{
    if (!grow((void **)&doc->sections, &doc->sections_cap, doc->nsections, sizeof *doc->sections))
        return doc->nsections ? doc->nsections - 1 : 0;
    size_t i = doc->nsections++;
    doc->sections[i] = (struct section){.level = level, .kind = kind, .folded = folded && title,
                                        .first_line = doc->nlines};
    tg_doc_set_title(doc, i, title);
    return i;
}

static void add_line(struct tg_doc *doc, int indent, const char *text, size_t len)
{
    if (!doc->nsections || !grow((void **)&doc->lines, &doc->lines_cap, doc->nlines, sizeof *doc->lines))
        return;
    char *plain = malloc(len * TAB_STOP + 1);
    if (!plain)
        return;
    size_t n = 0;
    int column = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\t') {
            do
                plain[n++] = ' ';
            while (++column % TAB_STOP);
            continue;
        }
        plain[n++] = text[i];
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            column++;
    }
    plain[n] = '\0';
    char *clean = tg_sanitize_dup(plain);
    free(plain);
    if (!clean)
        return;
    doc->lines[doc->nlines++] = (struct line){clean, (uint32_t)strlen(clean), indent};
    doc->sections[doc->nsections - 1].nlines++;
}

void tg_doc_textn(struct tg_doc *doc, int indent, const char *text, size_t len)
{
    if (!doc->nsections)
        return;
    doc->sections[doc->nsections - 1].bytes += len;
    const char *p = text, *end = text + len;
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        size_t n = (size_t)(stop - p);
        if (nl && n && p[n - 1] == '\r')
            n--;
        add_line(doc, indent, p, n);
        if (!nl)
            break;
        p = nl + 1;
    }
}

void tg_doc_text(struct tg_doc *doc, int indent, const char *text)
{
    tg_doc_textn(doc, indent, text, strlen(text));
}

void tg_doc_add_size(struct tg_doc *doc, size_t section, size_t bytes)
{
    doc->sections[section].bytes += bytes;
}

size_t tg_doc_section_count(const struct tg_doc *doc) { return doc->nsections; }
enum tg_doc_kind tg_doc_section_kind(const struct tg_doc *doc, size_t s) { return doc->sections[s].kind; }
int tg_doc_section_level(const struct tg_doc *doc, size_t s) { return doc->sections[s].level; }
bool tg_doc_folded(const struct tg_doc *doc, size_t s) { return doc->sections[s].folded; }

/* One past the last section under s (those of a higher level that follow it). */
static size_t end_of_children(const struct tg_doc *doc, size_t s)
{
    size_t i = s + 1;
    while (i < doc->nsections && doc->sections[i].level > doc->sections[s].level)
        i++;
    return i;
}

size_t tg_doc_section_size(const struct tg_doc *doc, size_t s)
{
    size_t bytes = 0, end = end_of_children(doc, s);
    for (size_t i = s; i < end; i++)
        bytes += doc->sections[i].bytes;
    return bytes;
}

void tg_doc_set_folded(struct tg_doc *doc, size_t s, bool folded)
{
    if (s < doc->nsections && doc->sections[s].title)
        doc->sections[s].folded = folded;
}

void tg_doc_toggle(struct tg_doc *doc, size_t s)
{
    if (s < doc->nsections)
        tg_doc_set_folded(doc, s, !doc->sections[s].folded);
}

void tg_doc_toggle_all(struct tg_doc *doc)
{
    bool any_open = false;
    for (size_t i = 0; i < doc->nsections; i++)
        any_open |= doc->sections[i].title && !doc->sections[i].folded;
    for (size_t i = 0; i < doc->nsections; i++)
        tg_doc_set_folded(doc, i, any_open);
}

/* The code point at s (well-formed UTF-8: the text is sanitised) and its length. */
static size_t decode(const unsigned char *s, wchar_t *wc)
{
    if (s[0] < 0x80) {
        *wc = s[0];
        return 1;
    }
    size_t n = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
    uint32_t cp = s[0] & (0x3F >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return *wc = L'?', 1;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    *wc = (wchar_t)cp;
    return n;
}

static int char_width(const unsigned char *s, size_t *n)
{
    if (s[0] >= 0x20 && s[0] < 0x7f) {
        *n = 1;
        return 1;
    }
    wchar_t wc;
    *n = decode(s, &wc);
    int w = wcwidth(wc);
    return w < 0 ? 1 : w; /* the screen draws what it cannot measure as one '?' */
}

int tg_doc_width(const char *text, size_t len)
{
    int cols = 0;
    for (size_t i = 0, n; i < len; i += n)
        cols += char_width((const unsigned char *)text + i, &n);
    return cols;
}

static void add_row(struct tg_doc *doc, size_t section, uint32_t line, size_t start, size_t end)
{
    if (!grow((void **)&doc->rows, &doc->rows_cap, doc->nrows, sizeof *doc->rows))
        return;
    doc->rows[doc->nrows++] = (struct tg_doc_row){(uint32_t)section, line, (uint32_t)start, (uint32_t)end};
}

/* Where the row that starts at `from` ends: at the last space that fits, else
 * at the last character that fits (at least one, so a row never stays empty). */
static size_t wrap_end(const char *text, size_t len, size_t from, int cols)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = from, after_space = 0, n;
    int used = 0;
    while (i < len) {
        int w = char_width(s + i, &n);
        if (used + w > cols && i > from && s[i] == ' ')
            return i + 1; /* a space past the edge ends the row unseen */
        if (used + w > cols && i > from)
            return after_space > from ? after_space : i;
        used += w;
        i += n;
        if (s[i - n] == ' ')
            after_space = i;
    }
    return len;
}

static void layout_text(struct tg_doc *doc, size_t section, uint32_t line, const char *text, size_t len, int cols,
                        bool wrap)
{
    if (!wrap || len == 0) {
        add_row(doc, section, line, 0, len);
        return;
    }
    for (size_t from = 0; from < len;) {
        size_t end = wrap_end(text, len, from, cols);
        add_row(doc, section, line, from, end);
        from = end;
    }
}

static int columns_for(int width, int indent)
{
    return width - indent > MIN_WIDTH ? width - indent : MIN_WIDTH;
}

size_t tg_doc_layout(struct tg_doc *doc, int width, bool wrap)
{
    doc->nrows = 0;
    free(doc->section_row);
    doc->section_row = malloc((doc->nsections + 1) * sizeof *doc->section_row);
    if (!doc->section_row)
        return 0;
    int hidden_above = INT_MAX; /* sections deeper than this are inside a folded one */
    for (size_t i = 0; i < doc->nsections; i++) {
        const struct section *s = &doc->sections[i];
        doc->section_row[i] = SIZE_MAX;
        if (s->level > hidden_above)
            continue;
        hidden_above = INT_MAX;
        doc->section_row[i] = doc->nrows;
        if (s->title)
            layout_text(doc, i, TG_DOC_NO_LINE, s->title, s->title_len, columns_for(width, 2 * s->level), wrap);
        if (s->folded) {
            hidden_above = s->level;
            continue;
        }
        for (size_t l = 0; l < s->nlines; l++) {
            const struct line *ln = &doc->lines[s->first_line + l];
            layout_text(doc, i, (uint32_t)l, ln->text, ln->len, columns_for(width, ln->indent), wrap);
        }
    }
    return doc->nrows;
}

size_t tg_doc_row_count(const struct tg_doc *doc) { return doc->nrows; }

const struct tg_doc_row *tg_doc_row_at(const struct tg_doc *doc, size_t row)
{
    return row < doc->nrows ? &doc->rows[row] : NULL;
}

static const char *row_source(const struct tg_doc *doc, const struct tg_doc_row *r, int *indent)
{
    const struct section *s = &doc->sections[r->section];
    if (r->line == TG_DOC_NO_LINE) {
        *indent = 2 * s->level;
        return s->title;
    }
    const struct line *ln = &doc->lines[s->first_line + r->line];
    *indent = ln->indent;
    return ln->text;
}

const char *tg_doc_row_text(const struct tg_doc *doc, size_t row, size_t *len, int *indent)
{
    const struct tg_doc_row *r = &doc->rows[row];
    *len = r->end - r->start;
    return row_source(doc, r, indent) + r->start;
}

size_t tg_doc_row_of_section(const struct tg_doc *doc, size_t section)
{
    return doc->section_row && section < doc->nsections ? doc->section_row[section] : SIZE_MAX;
}

size_t tg_doc_section_of_row(const struct tg_doc *doc, size_t row)
{
    return row < doc->nrows ? doc->rows[row].section : 0;
}

size_t tg_doc_owner_of_row(const struct tg_doc *doc, size_t row)
{
    size_t s = tg_doc_section_of_row(doc, row);
    if (s >= doc->nsections || doc->sections[s].title)
        return s;
    for (size_t i = s; i-- > 0;) {
        if (doc->sections[i].level < doc->sections[s].level)
            return i;
    }
    return s;
}

/* -1, 0, 1 as a comes before, with or after b. */
static int compare(struct place a, struct place b)
{
    if (a.section != b.section)
        return a.section < b.section ? -1 : 1;
    if (a.pos != b.pos)
        return a.pos < b.pos ? -1 : 1;
    return a.start < b.start ? -1 : a.start > b.start;
}

static struct place row_place(const struct tg_doc_row *r, bool at_end)
{
    return (struct place){r->section, r->line == TG_DOC_NO_LINE ? 0 : r->line + 1, at_end ? r->end : r->start};
}

static void find_in(struct tg_doc *doc, uint32_t section, uint32_t pos, const char *text, size_t len,
                    const char *query, size_t qlen)
{
    for (size_t i = 0; i + qlen <= len; i++) {
        if (tolower((unsigned char)text[i]) != tolower((unsigned char)query[0]) ||
            strncasecmp(text + i, query, qlen) != 0)
            continue;
        if (!grow((void **)&doc->hits, &doc->hits_cap, doc->nhits, sizeof *doc->hits))
            return;
        doc->hits[doc->nhits++] = (struct hit){{section, pos, (uint32_t)i}, (uint32_t)qlen};
        i += qlen - 1;
    }
}

size_t tg_doc_search(struct tg_doc *doc, const char *query)
{
    doc->nhits = 0;
    char *needle = query ? tg_sanitize_dup(query) : NULL; /* matched as shown */
    size_t qlen = needle ? strlen(needle) : 0;
    for (size_t s = 0; qlen && s < doc->nsections; s++) {
        const struct section *sec = &doc->sections[s];
        if (sec->title)
            find_in(doc, (uint32_t)s, 0, sec->title, sec->title_len, needle, qlen);
        for (size_t l = 0; l < sec->nlines; l++) {
            const struct line *ln = &doc->lines[sec->first_line + l];
            find_in(doc, (uint32_t)s, (uint32_t)l + 1, ln->text, ln->len, needle, qlen);
        }
    }
    free(needle);
    return doc->nhits;
}

size_t tg_doc_hit_count(const struct tg_doc *doc) { return doc->nhits; }

void tg_doc_reveal(struct tg_doc *doc, size_t hit)
{
    if (hit >= doc->nhits)
        return;
    size_t s = doc->hits[hit].at.section;
    if (doc->hits[hit].at.pos)
        tg_doc_set_folded(doc, s, false);
    int level = doc->sections[s].level;
    for (size_t i = s; i-- > 0 && level > 0;) {
        if (doc->sections[i].level < level) {
            tg_doc_set_folded(doc, i, false);
            level = doc->sections[i].level;
        }
    }
}

/* The last row whose start is at or before p; SIZE_MAX when none. */
static size_t row_before(const struct tg_doc *doc, struct place p)
{
    size_t lo = 0, hi = doc->nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (compare(row_place(&doc->rows[mid], false), p) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? lo - 1 : SIZE_MAX;
}

size_t tg_doc_row_of_hit(const struct tg_doc *doc, size_t hit)
{
    if (hit >= doc->nhits)
        return SIZE_MAX;
    struct place p = doc->hits[hit].at;
    size_t row = row_before(doc, p);
    if (row == SIZE_MAX)
        return SIZE_MAX;
    struct place r = row_place(&doc->rows[row], false);
    return r.section == p.section && r.pos == p.pos ? row : SIZE_MAX;
}

/* The first hit at or after p. */
static size_t first_hit_from(const struct tg_doc *doc, struct place p)
{
    size_t lo = 0, hi = doc->nhits;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (compare(doc->hits[mid].at, p) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t tg_doc_next_hit(const struct tg_doc *doc, size_t row, int direction)
{
    if (!doc->nhits)
        return SIZE_MAX;
    if (row >= doc->nrows)
        return direction < 0 ? doc->nhits - 1 : 0;
    const struct tg_doc_row *r = &doc->rows[row];
    if (direction < 0) {
        size_t i = first_hit_from(doc, row_place(r, false));
        return i ? i - 1 : doc->nhits - 1;
    }
    size_t i = first_hit_from(doc, row_place(r, direction > 0));
    return i < doc->nhits ? i : 0;
}

size_t tg_doc_row_hits(const struct tg_doc *doc, size_t row, size_t *from, size_t *to, size_t max)
{
    if (row >= doc->nrows || !doc->nhits)
        return 0;
    const struct tg_doc_row *r = &doc->rows[row];
    struct place line = row_place(r, false);
    line.start = 0;
    size_t n = 0;
    for (size_t i = first_hit_from(doc, line); i < doc->nhits && n < max; i++) {
        const struct hit *h = &doc->hits[i];
        if (h->at.section != line.section || h->at.pos != line.pos || h->at.start >= r->end)
            break;
        uint32_t end = h->at.start + h->len;
        if (end <= r->start)
            continue;
        from[n] = (h->at.start > r->start ? h->at.start : r->start) - r->start;
        to[n] = (end < r->end ? end : r->end) - r->start;
        n++;
    }
    return n;
}

static void copy_section(const struct tg_doc *doc, size_t s, struct strbuf *out)
{
    const struct section *sec = &doc->sections[s];
    if (sec->title) {
        strbuf_printf(out, "%*s", 2 * sec->level, "");
        strbuf_append(out, sec->title, sec->title_len);
        strbuf_putc(out, '\n');
    }
    for (size_t l = 0; l < sec->nlines; l++) {
        const struct line *ln = &doc->lines[sec->first_line + l];
        strbuf_printf(out, "%*s", ln->indent, "");
        strbuf_append(out, ln->text, ln->len);
        strbuf_putc(out, '\n');
    }
}

void tg_doc_section_copy(const struct tg_doc *doc, size_t section, struct strbuf *out)
{
    size_t end = end_of_children(doc, section);
    for (size_t s = section; s < end; s++)
        copy_section(doc, s, out);
}

void tg_doc_copy_all(const struct tg_doc *doc, struct strbuf *out)
{
    for (size_t s = 0; s < doc->nsections; s++)
        copy_section(doc, s, out);
}
