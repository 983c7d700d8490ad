/* Numbers for people, shared by the plain commands and the screens: counts
 * with thousands separators, token counts in k/M/B, durations in ms or s; and
 * table cells padded or cut by display width, for every printed table. */
#ifndef TG_FORMAT_H
#define TG_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* "1,234,567" */
void tg_format_count(int64_t v, char *buf, size_t len);
/* "950", "12.3k", "4.56M", "1.20B" */
void tg_format_tokens(int64_t v, char *buf, size_t len);
/* "850ms", "12.3s", "-" when unknown */
void tg_format_ms(int64_t ms, char *buf, size_t len);

enum tg_align { TG_ALIGN_LEFT, TG_ALIGN_RIGHT };

/* text (already sanitised) made exactly `width` display columns into buf: padded
 * with spaces on the right (TG_ALIGN_LEFT) or the left, or when wider, cut and
 * ending in "…". width <= 0 copies it as it is. Returns buf. */
const char *tg_format_cell(const char *text, int width, enum tg_align align, char *buf, size_t len);

#endif
