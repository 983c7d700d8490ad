/* Text from logs (names, prompts, metadata) can hold terminal escape sequences.
 * Everything shown on a terminal goes through here first: control characters
 * become visible escapes and are never written as they are. */
#ifndef TG_SANITIZE_H
#define TG_SANITIZE_H

#include <stddef.h>

/* Copies s into out (always NUL-terminated, cut at a character boundary),
 * writing C0 and C1 controls, DEL and invalid UTF-8 bytes as \xNN, tab and
 * newline as \t and \n, and the characters a terminal would not show or that
 * reorder the text around them (bidi controls such as U+202E, zero-width
 * characters, U+2028/2029: tg_utf8_invisible) as \u202e (\U000e0041 past
 * U+FFFF). Returns the length written. */
size_t tg_sanitize(const char *s, char *out, size_t out_len);

/* Same into a new string the caller frees; NULL when out of memory. */
char *tg_sanitize_dup(const char *s);

#endif
