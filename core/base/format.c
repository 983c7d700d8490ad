#include "base/format.h"

#include <stdio.h>
#include <string.h>

#include "base/utf8.h"

void tg_format_count(int64_t v, char *buf, size_t len)
{
    char digits[32], out[48];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v; /* INT64_MIN too */
    snprintf(digits, sizeof digits, "%llu", (unsigned long long)u);
    size_t n = strlen(digits), o = 0;
    if (v < 0)
        out[o++] = '-';
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    snprintf(buf, len, "%s", out);
}

void tg_format_tokens(int64_t v, char *buf, size_t len)
{
    if (v < 1000)
        snprintf(buf, len, "%lld", (long long)v);
    else if (v < 1000000)
        snprintf(buf, len, "%.1fk", (double)v / 1e3);
    else if (v < 1000000000)
        snprintf(buf, len, "%.2fM", (double)v / 1e6);
    else
        snprintf(buf, len, "%.2fB", (double)v / 1e9);
}

void tg_format_ms(int64_t ms, char *buf, size_t len)
{
    if (ms < 0)
        snprintf(buf, len, "-");
    else if (ms < 1000)
        snprintf(buf, len, "%lldms", (long long)ms);
    else
        snprintf(buf, len, "%.1fs", (double)ms / 1000.0);
}

const char *tg_format_cell(const char *text, int width, enum tg_align align, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    int cols = tg_utf8_width(text);
    size_t keep = strlen(text);
    const char *mark = "";
    if (width > 0 && cols > width) { /* cut, with room for the mark */
        keep = tg_utf8_fit(text, width - 1, &cols);
        mark = "\u2026";
        cols++;
    }
    int pad = width > cols ? width - cols : 0;
    if (align == TG_ALIGN_LEFT)
        snprintf(buf, len, "%.*s%s%*s", (int)keep, text, mark, pad, "");
    else
        snprintf(buf, len, "%*s%.*s%s", pad, "", (int)keep, text, mark);
    return buf;
}
