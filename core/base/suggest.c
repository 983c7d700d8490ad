#include "base/suggest.h"

#include <stdio.h>
#include <string.h>

#define WORD_MAX 64

static unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static int min3(int a, int b, int c)
{
    int m = a < b ? a : b;
    return m < c ? m : c;
}

int tg_edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    n = n > WORD_MAX ? WORD_MAX : n;
    m = m > WORD_MAX ? WORD_MAX : m;
    /* three rows: the one before the previous is needed for swaps */
    int rows[3][WORD_MAX + 1];
    int *before = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= m; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = (int)i;
        unsigned char ca = fold((unsigned char)a[i - 1]);
        for (size_t j = 1; j <= m; j++) {
            unsigned char cb = fold((unsigned char)b[j - 1]);
            int cost = ca != cb;
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && ca == fold((unsigned char)b[j - 2]) && fold((unsigned char)a[i - 2]) == cb &&
                before[j - 2] + 1 < cur[j])
                cur[j] = before[j - 2] + 1;
        }
        int *spare = before;
        before = prev;
        prev = cur;
        cur = spare;
    }
    return prev[m];
}

int tg_suggest_limit(size_t word_len)
{
    return word_len <= 4 ? 1 : word_len <= 8 ? 2 : 3;
}

void tg_suggest_init(struct tg_suggest *s, const char *word)
{
    memset(s, 0, sizeof *s);
    s->word = word;
}

static int starts_with(const char *candidate, const char *word)
{
    size_t n = strlen(word);
    if (n < 3 || strlen(candidate) <= n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (fold((unsigned char)candidate[i]) != fold((unsigned char)word[i]))
            return 0;
    }
    return 1;
}

void tg_suggest_add(struct tg_suggest *s, const char *candidate)
{
    if (!candidate || !*candidate)
        return;
    for (size_t i = 0; i < s->count; i++) {
        if (strcmp(s->best[i], candidate) == 0)
            return;
    }
    int d = tg_edit_distance(s->word, candidate);
    if (d > tg_suggest_limit(strlen(s->word))) {
        if (!starts_with(candidate, s->word))
            return;
        d = tg_suggest_limit(strlen(s->word)); /* a prefix ranks with the farthest close ones */
    }
    size_t at = s->count;
    while (at > 0 && s->distance[at - 1] > d)
        at--;
    if (at >= TG_SUGGEST_MAX)
        return;
    size_t last = s->count < TG_SUGGEST_MAX ? s->count : TG_SUGGEST_MAX - 1;
    for (size_t i = last; i > at; i--) {
        s->best[i] = s->best[i - 1];
        s->distance[i] = s->distance[i - 1];
    }
    s->best[at] = candidate;
    s->distance[at] = d;
    if (s->count < TG_SUGGEST_MAX)
        s->count++;
}

void tg_suggest_format(const struct tg_suggest *s, const char *prefix, char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; i < s->count && used < len; i++) {
        const char *sep = i == 0 ? "" : i + 1 == s->count ? " or " : ", ";
        int w = snprintf(buf + used, len - used, "%s'%s%s'", sep, prefix ? prefix : "", s->best[i]);
        if (w < 0)
            return;
        used += (size_t)w;
    }
}
