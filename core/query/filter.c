#include "query/filter.h"

#include <ctype.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int apply_word(struct tg_request_filter *f, const char *w, char *err, size_t errlen)
{
    static const struct { const char *prefix; size_t offset; } fields[] = {
        {"dev:", offsetof(struct tg_request_filter, developer)},
        {"developer:", offsetof(struct tg_request_filter, developer)},
        {"key:", offsetof(struct tg_request_filter, key)},
        {"model:", offsetof(struct tg_request_filter, model)},
        {"thread:", offsetof(struct tg_request_filter, thread)},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        size_t n = strlen(fields[i].prefix);
        if (strncmp(w, fields[i].prefix, n) == 0) {
            if (!w[n]) {
                snprintf(err, errlen, "'%s' needs a value", fields[i].prefix);
                return -1;
            }
            snprintf((char *)f + fields[i].offset, 128, "%s", w + n);
            return 0;
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
    append_text(f, w);
    return 0;
}

int tg_filter_parse(const char *expr, struct tg_request_filter *f, char *err, size_t errlen)
{
    tg_filter_clear(f);
    const char *p = expr;
    char word[256];
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
    return 0;
}

void tg_filter_describe(const struct tg_request_filter *f, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
#define ADD(...) (n += (size_t)snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__), n = n < len ? n : len - 1)
    if (*f->developer) ADD("dev:%s ", f->developer);
    if (*f->key) ADD("key:%s ", f->key);
    if (*f->model) ADD("model:%s ", f->model);
    if (*f->thread) ADD("thread:%s ", f->thread);
    if (f->status == 0) ADD("status:error ");
    else if (f->status == 1) ADD("status:ok ");
    else if (f->status > 1) ADD("status:%d ", f->status);
    if (f->cost_above >= 0) ADD("cost>%g ", (double)f->cost_above / 1e9);
    if (f->cost_below >= 0) ADD("cost<%g ", (double)f->cost_below / 1e9);
    if (*f->text) ADD("\"%s\"", f->text);
#undef ADD
}
