/* Text that does not compress much and that no other call repeats, from a
 * seeded xorshift, for the unit tests of the chunk packs. Header-only. */
#ifndef TG_TEST_WORDS_H
#define TG_TEST_WORDS_H

#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"

static inline uint64_t test_xorshift(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* At least n bytes of "w<hex> " words drawn from a vocabulary of that many. */
static inline void test_random_words(struct strbuf *sb, uint64_t *state, size_t n, unsigned vocabulary)
{
    size_t start = sb->len;
    while (sb->len - start < n)
        strbuf_printf(sb, "w%llx ", (unsigned long long)(test_xorshift(state) % vocabulary));
}

#endif
