#include "query/filter.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/search.h"

void tg_filter_clear(struct tg_request_filter *f)
{
    memset(f, 0, sizeof *f);
    f->status = -1;
    f->cost_above = f->cost_below = -1;
}

/* The next word: a "quoted phrase" or a run up to white space. */
static const char *next_word(const char *p, char *word, size_t len, int *quoted)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    size_t n = 0;
    *quoted = *p == '"';
    if (*quoted) {
        p++;
        while (*p && *p != '"') {
            if (n + 1 < len)
                word[n++] = *p;
            p++;
        }
        if (*p == '"')
            p++;
    } else {
        while (*p && !isspace((unsigned char)*p)) {
            /* dev:"Alice Martin": a quoted value keeps its spaces (drilling
             * down from a name with a space writes it so) */
            if (*p == '"' && n > 0 && word[n - 1] == ':' && strchr(p + 1, '"')) {
                const char *close = strchr(p + 1, '"');
                for (p++; p < close; p++) {
                    if (n + 1 < len)
                        word[n++] = *p;
                }
                p++;
                continue;
            }
            if (n + 1 < len)
                word[n++] = *p;
            p++;
        }
    }
    word[n] = '\0';
    return p;
}

static void append_text(struct tg_request_filter *f, const char *word)
{
    size_t n = strlen(f->text);
    snprintf(f->text + n, sizeof f->text - n, "%s%s", n ? " " : "", word);
}

static int parse_cost(const char *text, tg_nanos *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !isfinite(v) || v < 0 || v > 1e6)
        return -1;
    *out = (tg_nanos)llround(v * 1e9);
    return 0;
}

static int parse_status(const char *v, int *status)
{
    if (strcmp(v, "error") == 0 || strcmp(v, "errors") == 0) {
        *status = 0;
        return 0;
    }
    if (strcmp(v, "ok") == 0) {
        *status = 1;
        return 0;
    }
    char *end;
    long code = strtol(v, &end, 10);
    if (end == v || *end || code < 100 || code > 999)
        return -1;
    *status = (int)code;
    return 0;
}

static char *field_slot(struct tg_request_filter *f, enum tg_filter_field field)
{
    switch (field) {
    case TG_FILTER_DEVELOPER: return f->developer;
    case TG_FILTER_KEY: return f->key;
    case TG_FILTER_MODEL: return f->model;
    case TG_FILTER_THREAD: return f->thread;
    }
    return NULL;
}

int tg_filter_set(struct tg_request_filter *f, enum tg_filter_field field, const char *value)
{
    char *slot = field_slot(f, field);
    size_t n = strlen(value);
    if (!slot || n == 0 || n >= TG_FILTER_NAME_MAX)
        return -1;
    memcpy(slot, value, n + 1);
    return 0;
}

#define FIELDS_HELP "fields are dev key model status cost thread"

/* "devv:hiro", "tokens>5": a word shaped like a field that is none is a
 * mistake, not text to search for (quoted, it is searched). True with err. */
static bool unknown_field(const char *w, char *err, size_t errlen)
{
    size_t n = 0;
    while (isalpha((unsigned char)w[n]))
        n++;
    if (n == 0 || n > 20 || (w[n] != ':' && w[n] != '<' && w[n] != '>' && w[n] != '=') || !w[n + 1])
        return false;
    if (w[n] == ':' && w[n + 1] == '/') /* a URL such as https://...: text */
        return false;
    snprintf(err, errlen, "unknown field %.*s%c \u2014 " FIELDS_HELP " (\"quoted\" is text)", (int)n, w, w[n]);
    return true;
}

static int apply_word(struct tg_request_filter *f, const char *w, char *err, size_t errlen)
{
    static const struct { const char *prefix; enum tg_filter_field field; } fields[] = {
        {"dev:", TG_FILTER_DEVELOPER}, {"developer:", TG_FILTER_DEVELOPER}, {"key:", TG_FILTER_KEY},
        {"model:", TG_FILTER_MODEL},   {"thread:", TG_FILTER_THREAD},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        size_t n = strlen(fields[i].prefix);
        if (strncmp(w, fields[i].prefix, n) == 0) {
            if (tg_filter_set(f, fields[i].field, w + n) == 0)
                return 0;
            if (w[n])
                snprintf(err, errlen, "'%s' takes at most %d bytes", fields[i].prefix, TG_FILTER_NAME_MAX - 1);
            else
                snprintf(err, errlen, "'%s' needs a value", fields[i].prefix);
            return -1;
        }
    }
    if (strncmp(w, "status:", 7) == 0) {
        if (parse_status(w + 7, &f->status) != 0) {
            snprintf(err, errlen, "status: wants error, ok or an HTTP code, not '%.40s'", w + 7);
            return -1;
        }
        return 0;
    }
    if (strncmp(w, "cost>", 5) == 0 || strncmp(w, "cost<", 5) == 0) {
        tg_nanos *slot = w[4] == '>' ? &f->cost_above : &f->cost_below;
        if (parse_cost(w + 5, slot) != 0) {
            snprintf(err, errlen, "%.5s wants dollars such as 0.5, not '%.40s'", w, w + 5);
            return -1;
        }
        return 0;
    }
    return unknown_field(w, err, errlen) ? -1 : (append_text(f, w), 0);
}

int tg_filter_parse(const char *expr, struct tg_request_filter *f, char *err, size_t errlen)
{
    tg_filter_clear(f);
    const char *p = expr;
    char word[TG_FILTER_NAME_MAX + 16]; /* the longest name and its prefix */
    while (*p) {
        int quoted;
        p = next_word(p, word, sizeof word, &quoted);
        if (!*word)
            continue;
        if (quoted)
            append_text(f, word);
        else if (apply_word(f, word, err, errlen) != 0)
            return -1;
    }
    char query[2 * sizeof f->text + 3];
    f->text_ignored = *f->text && tg_search_query(f->text, query, sizeof query) != 0;
    return 0;
}

/* Appends " prefix value" to buf (no space before the first word), the value
 * in quotes when `quote`; stops quietly when buf is full. */
static void add_word(char *buf, size_t len, size_t *n, const char *prefix, const char *value, bool quote)
{
    if (*n + 1 >= len)
        return;
    int w = snprintf(buf + *n, len - *n, "%s%s%s%s%s", *n ? " " : "", prefix, quote ? "\"" : "", value,
                     quote ? "\"" : "");
    if (w > 0)
        *n = *n + (size_t)w < len ? *n + (size_t)w : len - 1;
}

static void add_name(char *buf, size_t len, size_t *n, const char *prefix, const char *value)
{
    if (*value)
        add_word(buf, len, n, prefix, value, strpbrk(value, " \t") != NULL);
}

void tg_filter_describe(const struct tg_request_filter *f, char *buf, size_t len)
{
    if (len == 0)
        return;
    size_t n = 0;
    buf[0] = '\0';
    add_name(buf, len, &n, "dev:", f->developer);
    add_name(buf, len, &n, "key:", f->key);
    add_name(buf, len, &n, "model:", f->model);
    add_name(buf, len, &n, "thread:", f->thread);
    char number[64];
    if (f->status >= 0) {
        snprintf(number, sizeof number, "%d", f->status);
        add_word(buf, len, &n, "status:", f->status == 0 ? "error" : f->status == 1 ? "ok" : number, false);
    }
    if (f->cost_above >= 0) {
        snprintf(number, sizeof number, "%g", (double)f->cost_above / 1e9);
        add_word(buf, len, &n, "cost>", number, false);
    }
    if (f->cost_below >= 0) {
        snprintf(number, sizeof number, "%g", (double)f->cost_below / 1e9);
        add_word(buf, len, &n, "cost<", number, false);
    }
    if (*f->text)
        add_word(buf, len, &n, "", f->text, true);
}
