/* A request shown as a document, the way a pager shows a file: sections
 * (the request's fields, its cost, each system block, the tools, each message)
 * that fold, their text split into lines, and the rows those lines make at a
 * given width, wrapped by display width (wide CJK characters count two,
 * combining marks none) or not wrapped at all for sideways scrolling; and a
 * search whose hits the rows can highlight. Every line is sanitised when it is
 * added, so whatever the screen draws from here is safe for a terminal. No
 * terminal code here: the detail screen only draws rows. */
#ifndef TG_DOCUMENT_H
#define TG_DOCUMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"

enum tg_doc_kind {
    TG_DOC_PLAIN,    /* fields, cost: text with no role */
    TG_DOC_GROUP,    /* PROMPT, RESPONSE, tools: a title over the sections below it */
    TG_DOC_SYSTEM,   /* one system block */
    TG_DOC_TOOL,     /* one tool offered to the model */
    TG_DOC_MESSAGE,  /* one message (its tool results under its calls) */
};

#define TG_DOC_NO_LINE UINT32_MAX /* a row that is its section's header */

struct tg_doc_row {
    uint32_t section;
    uint32_t line;        /* the section's line, or TG_DOC_NO_LINE for its header */
    uint32_t start, end;  /* the bytes of the line (or header) this row shows */
};

struct tg_doc;

struct tg_doc *tg_doc_new(void);
void tg_doc_free(struct tg_doc *doc);

/* Starts a section; later text goes into it. level 0 is a top section; a
 * section folds every following section of a higher level up to the next
 * of its own level or lower. title NULL: no header row (the request's
 * fields, shown first). Returns its index. */
size_t tg_doc_section(struct tg_doc *doc, int level, enum tg_doc_kind kind, const char *title, bool folded);

/* Replaces a section's title (a group's, once its sections and sizes are known). */
void tg_doc_set_title(struct tg_doc *doc, size_t section, const char *title);

/* Adds text to the current section: each '\n' starts a new line (a '\r'
 * before it is dropped), tabs become spaces up to the next multiple of
 * four, and the rest is sanitised. indent: spaces before each row of it. */
void tg_doc_text(struct tg_doc *doc, int indent, const char *text);
void tg_doc_textn(struct tg_doc *doc, int indent, const char *text, size_t len);
/* Adds to the bytes the section header reports (the text added counts already). */
void tg_doc_add_size(struct tg_doc *doc, size_t section, size_t bytes);

size_t tg_doc_section_count(const struct tg_doc *doc);
enum tg_doc_kind tg_doc_section_kind(const struct tg_doc *doc, size_t section);
int tg_doc_section_level(const struct tg_doc *doc, size_t section);
bool tg_doc_folded(const struct tg_doc *doc, size_t section);
/* The size shown on a header: the section's own text, or for a group the
 * text of every section under it. */
size_t tg_doc_section_size(const struct tg_doc *doc, size_t section);

/* Folding. Changes take effect at the next tg_doc_layout. */
void tg_doc_set_folded(struct tg_doc *doc, size_t section, bool folded);
void tg_doc_toggle(struct tg_doc *doc, size_t section);
/* z: folds every section with a header when any is open, else opens all. */
void tg_doc_toggle_all(struct tg_doc *doc);

/* Lays the visible sections out as rows `width` columns wide (at least 8);
 * without wrap, one row per line. Returns the number of rows. */
size_t tg_doc_layout(struct tg_doc *doc, int width, bool wrap);
size_t tg_doc_row_count(const struct tg_doc *doc);
const struct tg_doc_row *tg_doc_row_at(const struct tg_doc *doc, size_t row);
/* The text a row shows (not NUL-terminated at `len`) and the spaces before it. */
const char *tg_doc_row_text(const struct tg_doc *doc, size_t row, size_t *len, int *indent);
/* The row of a section's header (or its first line when it has none). */
size_t tg_doc_row_of_section(const struct tg_doc *doc, size_t section);

/* Columns that text takes on a terminal (wide characters two, combining ones
 * none); the text must be sanitised (no control characters). */
int tg_doc_width(const char *text, size_t len);

/* Finds every occurrence of `query` (ASCII letters in any case) in the
 * headers and lines, folded sections included. Returns the number of hits. */
size_t tg_doc_search(struct tg_doc *doc, const char *query);
size_t tg_doc_hit_count(const struct tg_doc *doc);
/* Opens the sections that hide hit i (lay out again after it). */
void tg_doc_reveal(struct tg_doc *doc, size_t hit);
/* The row showing the start of hit i in the current layout, or SIZE_MAX
 * when it is folded away. */
size_t tg_doc_row_of_hit(const struct tg_doc *doc, size_t hit);
/* The hit to go to from a row, in document order, folded sections included:
 * direction > 0 the first after the row, < 0 the last before it, 0 the first
 * on or after it; wrapping around the ends. SIZE_MAX when there are none. */
size_t tg_doc_next_hit(const struct tg_doc *doc, size_t row, int direction);
/* The hits on a row as byte ranges of the row's text: up to max of them. */
size_t tg_doc_row_hits(const struct tg_doc *doc, size_t row, size_t *from, size_t *to, size_t max);

/* The section a row belongs to. */
size_t tg_doc_section_of_row(const struct tg_doc *doc, size_t row);
/* The section Enter folds and y copies for a row: its own when it has a
 * header, else the one it continues (the message a reminder interrupts). */
size_t tg_doc_owner_of_row(const struct tg_doc *doc, size_t row);
/* A section's text as shown (header, then its lines, indented), and with
 * children, theirs: what `y` copies. Whole: every section. */
void tg_doc_section_copy(const struct tg_doc *doc, size_t section, struct strbuf *out);
void tg_doc_copy_all(const struct tg_doc *doc, struct strbuf *out);

#endif
