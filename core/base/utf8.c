#include "base/utf8.h"

#include <stdint.h>
#include <string.h>

uint32_t tg_utf8_decode(const char *str, size_t left, size_t *len)
{
    const unsigned char *s = (const unsigned char *)str;
    *len = 0;
    if (left == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80) {
        *len = 1;
        return c;
    }
    size_t n;
    uint32_t min, cp;
    if ((c & 0xE0) == 0xC0) { n = 2; min = 0x80; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 3; min = 0x800; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 4; min = 0x10000; cp = c & 0x07; }
    else return 0;
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    *len = n;
    return cp;
}

bool tg_utf8_invisible(uint32_t cp)
{
    return cp == 0x061C || cp == 0x180E || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
           (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB) ||
           (cp >= 0xE0000 && cp <= 0xE007F);
}

/* Whether the 8 bytes at p are all ASCII: logs are mostly ASCII, and this
 * check runs over every byte of every log. */
static bool ascii8(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return (w & 0x8080808080808080ULL) == 0;
}

bool tg_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (i + 8 <= len && ascii8(p + i)) {
            i += 8;
            continue;
        }
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n;
        tg_utf8_decode(s + i, len - i, &n);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}
