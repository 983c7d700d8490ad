/* "Did you mean": the closest of a list of names to a word someone typed
 * (a command, an option, a developer), by edit distance. Shared by the
 * command line and the queries that check a filter's names. */
#ifndef TG_SUGGEST_H
#define TG_SUGGEST_H

#include <stddef.h>

/* Optimal string alignment distance between a and b (insertions, deletions,
 * substitutions and swaps of two neighbours each cost 1), comparing ASCII
 * letters without case and other bytes as they are. Words longer than 64
 * bytes are compared on their first 64. */
int tg_edit_distance(const char *a, const char *b);

/* How far a candidate may be from a word of this length and still be offered:
 * 1 for up to 4 bytes, 2 for up to 8, else 3. */
int tg_suggest_limit(size_t word_len);

/* Keeps the best candidates for one word, fed one at a time: the closest
 * first (ties in the order fed), at most TG_SUGGEST_MAX, only those within
 * tg_suggest_limit or starting with the word (3 bytes or more). Pointers are
 * kept, not copied: candidates must outlive the struct. */
#define TG_SUGGEST_MAX 3
struct tg_suggest {
    const char *word;
    size_t count;
    const char *best[TG_SUGGEST_MAX];
    int distance[TG_SUGGEST_MAX];
};

void tg_suggest_init(struct tg_suggest *s, const char *word);
void tg_suggest_add(struct tg_suggest *s, const char *candidate);

/* "'report'", "'alice' or 'alicia'", "'a', 'b' or 'c'" into buf; "" when
 * there is none. prefix is put before each name (such as "--"). */
void tg_suggest_format(const struct tg_suggest *s, const char *prefix, char *buf, size_t len);

#endif
