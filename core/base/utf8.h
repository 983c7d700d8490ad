/* Strict UTF-8 checking: logs come from anywhere, and bad bytes must be refused
 * at the door rather than stored and later sent to a terminal or a JSON reader.
 * And display width, so tables printed as text line up whatever the script. */
#ifndef TG_UTF8_H
#define TG_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or code
 * points above U+10FFFF). */
bool tg_utf8_valid(const char *s, size_t len);

/* The code point of the well-formed sequence at s (at most left bytes), its
 * length in *len; *len is 0 when the sequence is malformed. */
uint32_t tg_utf8_decode(const char *s, size_t left, size_t *len);

/* Whether a terminal would draw cp as nothing, or let it reorder or break the
 * text around it: bidi controls (U+202A-202E, U+2066-2069, U+200E/F, U+061C),
 * zero-width characters (U+200B-200D, U+2060, U+FEFF) and the other invisible
 * format characters (U+180E, U+2061-206F, U+FFF9-FFFB, tags U+E0000-E007F),
 * and the line and paragraph separators U+2028/2029. Text from logs shows
 * them as escapes (base/sanitize.h). */
bool tg_utf8_invisible(uint32_t cp);
/* Columns a terminal gives text (already sanitised: no control characters):
 * 2 for East Asian wide and fullwidth characters and most emoji, 0 for
 * combining marks, zero-width characters and variation selectors, 1 for the
 * rest (and for each byte of malformed UTF-8). Independent of the locale, so
 * piped output lines up the same everywhere. */
int tg_utf8_width(const char *s);

/* The longest start of s that fits in max_cols columns, never splitting a
 * character or leaving a combining mark behind: its length in bytes, and
 * its width in *cols (may be NULL). */
size_t tg_utf8_fit(const char *s, int max_cols, int *cols);

#endif
