#include "base/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(struct strbuf *sb, size_t extra)
{
    if (sb->failed)
        return -1;
    if (sb->len + extra + 1 <= sb->cap)
        return 0;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < sb->len + extra + 1)
        cap *= 2;
    char *p = realloc(sb->data, cap);
    if (!p) {
        sb->failed = 1;
        return -1;
    }
    sb->data = p;
    sb->cap = cap;
    return 0;
}

void strbuf_append(struct strbuf *sb, const char *data, size_t len)
{
    if (grow(sb, len) != 0)
        return;
    memcpy(sb->data + sb->len, data, len);
    sb->len += len;
    sb->data[sb->len] = '\0';
}

void strbuf_puts(struct strbuf *sb, const char *s)
{
    strbuf_append(sb, s, strlen(s));
}

void strbuf_putc(struct strbuf *sb, char c)
{
    strbuf_append(sb, &c, 1);
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || grow(sb, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

void strbuf_json_string(struct strbuf *sb, const char *s)
{
    strbuf_putc(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': strbuf_puts(sb, "\\\""); break;
        case '\\': strbuf_puts(sb, "\\\\"); break;
        case '\n': strbuf_puts(sb, "\\n"); break;
        case '\r': strbuf_puts(sb, "\\r"); break;
        case '\t': strbuf_puts(sb, "\\t"); break;
        default:
            if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] < 0xA0) { /* C1 controls: never raw */
                strbuf_printf(sb, "\\u%04x", p[1]);
                p++;
            } else if (*p < 0x20 || *p == 0x7f)
                strbuf_printf(sb, "\\u%04x", *p);
            else
                strbuf_putc(sb, (char)*p);
        }
    }
    strbuf_putc(sb, '"');
}

void strbuf_reset(struct strbuf *sb)
{
    sb->len = 0;
    if (sb->data)
        sb->data[0] = '\0';
}

void strbuf_free(struct strbuf *sb)
{
    free(sb->data);
    sb->data = NULL;
    sb->len = sb->cap = 0;
    sb->failed = 0;
}

char *strbuf_detach(struct strbuf *sb)
{
    char *p = sb->data;
    if (!p)
        p = calloc(1, 1);
    sb->data = NULL;
    sb->len = sb->cap = 0;
    return p;
}

void strbuf_reserve(struct strbuf *sb, size_t n)
{
    grow(sb, n);
}
