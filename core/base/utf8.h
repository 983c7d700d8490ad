/* Strict UTF-8 checking: logs come from anywhere, and bad bytes must be refused
 * at the door rather than stored and later sent to a terminal or a JSON reader. */
#ifndef TG_UTF8_H
#define TG_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or code
 * points above U+10FFFF). */
bool tg_utf8_valid(const char *s, size_t len);

#endif
