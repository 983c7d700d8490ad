#include "base/sanitize.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"

/* How the character at s is written: as it is (returns its length, with
 * *esc_len 0), or as an escape put in esc (returns the bytes it stands for):
 * \n, \t, \xNN for a control or a bad byte (C1 controls byte by byte), \u202e
 * for an invisible or bidi character (its whole sequence). */
static size_t classify(const unsigned char *s, char esc[16], size_t *esc_len)
{
    *esc_len = 0;
    if (s[0] >= 0x20 && s[0] < 0x7f)
        return 1;
    size_t n;
    uint32_t cp = tg_utf8_decode((const char *)s, strnlen((const char *)s, 4), &n);
    bool invisible = n >= 2 && tg_utf8_invisible(cp);
    if (n >= 2 && cp >= 0xA0 && !invisible)
        return n;
    int w;
    if (invisible)
        w = snprintf(esc, 16, cp > 0xFFFF ? "\\U%08x" : "\\u%04x", (unsigned)cp);
    else if (s[0] == '\n')
        w = snprintf(esc, 16, "\\n");
    else if (s[0] == '\t')
        w = snprintf(esc, 16, "\\t");
    else
        w = snprintf(esc, 16, "\\x%02x", s[0]);
    *esc_len = (size_t)w;
    return invisible ? n : 1;
}

size_t tg_sanitize(const char *s, char *out, size_t out_len)
{
    if (out_len == 0)
        return 0;
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        char esc[16];
        size_t esc_len, n = classify(p, esc, &esc_len);
        const char *piece = esc_len ? esc : (const char *)p;
        size_t piece_len = esc_len ? esc_len : n;
        if (o + piece_len + 1 > out_len)
            break;
        memcpy(out + o, piece, piece_len);
        o += piece_len;
        p += n;
    }
    out[o] = '\0';
    return o;
}

char *tg_sanitize_dup(const char *s)
{
    size_t cap = strlen(s) * 4 + 1; /* every byte as \xNN at worst (\u202e is 6 for 3 bytes) */
    char *out = malloc(cap);
    if (out)
        tg_sanitize(s, out, cap);
    return out;
}
