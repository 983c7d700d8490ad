#include "base/sanitize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of a well-formed, printable UTF-8 sequence at s, 0 otherwise. */
static size_t printable_sequence(const unsigned char *s)
{
    if (s[0] >= 0x20 && s[0] < 0x7f)
        return 1;
    if (s[0] < 0xC2)
        return 0;
    size_t n = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : s[0] < 0xF5 ? 4 : 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    }
    if (n == 2 && s[0] == 0xC2 && s[1] < 0xA0) /* C1 controls U+0080..U+009F */
        return 0;
    return n;
}

static size_t escape_for(unsigned char c, char *buf)
{
    if (c == '\n')
        return (size_t)snprintf(buf, 8, "\\n");
    if (c == '\t')
        return (size_t)snprintf(buf, 8, "\\t");
    return (size_t)snprintf(buf, 8, "\\x%02x", c);
}

size_t tg_sanitize(const char *s, char *out, size_t out_len)
{
    if (out_len == 0)
        return 0;
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        char esc[8];
        size_t n = printable_sequence(p);
        const char *piece = (const char *)p;
        size_t piece_len = n;
        if (n == 0) {
            piece_len = escape_for(*p, esc);
            piece = esc;
            n = 1;
        }
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
    size_t cap = strlen(s) * 4 + 1; /* every byte escaped at worst */
    char *out = malloc(cap);
    if (out)
        tg_sanitize(s, out, cap);
    return out;
}
