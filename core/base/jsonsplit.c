#include "base/jsonsplit.h"

#include <stdbool.h>
#include <string.h>

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_space(const char *t, size_t i, size_t len)
{
    while (i < len && is_space(t[i]))
        i++;
    return i;
}

/* From an opening quote to just past the closing one; len when unterminated.
 * Strings are most of a log's bytes (prompts, responses): memchr finds the
 * next quote, and an odd run of backslashes before it means it is escaped. */
static size_t skip_string(const char *t, size_t i, size_t len)
{
    for (i++; i < len;) {
        const char *q = memchr(t + i, '"', len - i);
        if (!q)
            return len;
        size_t at = (size_t)(q - t), slashes = 0;
        while (at - slashes > i && t[at - slashes - 1] == '\\')
            slashes++;
        if (slashes % 2 == 0)
            return at + 1;
        i = at + 1;
    }
    return len;
}

/* Past one value: strings and nested brackets are followed, anything else runs
 * to the next comma or closing bracket at this depth. */
static size_t skip_value(const char *t, size_t i, size_t len, bool *ok)
{
    int depth = 0;
    while (i < len) {
        char c = t[i];
        if (c == '"') {
            i = skip_string(t, i, len);
            continue;
        }
        if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            if (depth == 0)
                return i;
            depth--;
        } else if (c == ',' && depth == 0) {
            return i;
        }
        i++;
    }
    *ok = false;
    return len;
}

int tg_json_split_array(const char *text, size_t len, tg_json_element_fn fn, void *ctx, size_t *error_at)
{
    size_t i = skip_space(text, 0, len);
    *error_at = i;
    if (i >= len || text[i] != '[')
        return -1;
    i = skip_space(text, i + 1, len);
    long index = 0;
    if (i < len && text[i] == ']')
        goto end;
    for (;;) {
        size_t start = i;
        bool ok = true;
        size_t stop = skip_value(text, i, len, &ok);
        size_t trimmed = stop;
        while (trimmed > start && is_space(text[trimmed - 1]))
            trimmed--;
        *error_at = stop;
        if (!ok || trimmed == start)
            return -1;
        int rc = fn(ctx, text + start, trimmed - start, index++);
        if (rc != 0)
            return rc;
        if (text[stop] == ']') {
            i = stop;
            break;
        }
        i = skip_space(text, stop + 1, len); /* past the comma */
    }
end:
    i = skip_space(text, i + 1, len);
    *error_at = i;
    return i == len ? 0 : -1;
}

/* One member from i (at its key's quote): past it, at the comma or the closing
 * brace. len when it is not a member. */
static size_t split_member(const char *t, size_t i, size_t len, tg_json_member_fn fn, void *ctx, int *rc)
{
    if (i >= len || t[i] != '"')
        return len;
    size_t key_end = skip_string(t, i, len);
    if (key_end >= len)
        return len;
    size_t colon = skip_space(t, key_end, len);
    if (colon >= len || t[colon] != ':')
        return len;
    size_t start = skip_space(t, colon + 1, len);
    bool ok = true;
    size_t stop = skip_value(t, start, len, &ok);
    size_t trimmed = stop;
    while (trimmed > start && is_space(t[trimmed - 1]))
        trimmed--;
    if (!ok || trimmed == start)
        return len;
    *rc = fn(ctx, t + i + 1, key_end - i - 2, t + start, trimmed - start);
    return stop;
}

int tg_json_split_object(const char *text, size_t len, tg_json_member_fn fn, void *ctx, size_t *error_at)
{
    size_t i = skip_space(text, 0, len);
    *error_at = i;
    if (i >= len || text[i] != '{')
        return -1;
    i = skip_space(text, i + 1, len);
    if (i < len && text[i] == '}')
        goto end;
    for (;;) {
        int rc = 0;
        size_t stop = split_member(text, i, len, fn, ctx, &rc);
        *error_at = stop;
        if (stop >= len)
            return -1;
        if (rc != 0)
            return rc;
        if (text[stop] == '}') {
            i = stop;
            break;
        }
        if (text[stop] != ',')
            return -1;
        i = skip_space(text, stop + 1, len);
    }
end:
    i = skip_space(text, i + 1, len);
    *error_at = i;
    return i == len ? 0 : -1;
}
