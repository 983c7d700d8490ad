#include "store/idfilter.h"

#include <stdlib.h>

/* The ids' FNV-1a hashes are mixed again (splitmix64's finalizer): their low
 * bits, which pick the bits in a word, are weak on similar ids. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t mask_of(uint64_t x)
{
    return (1ull << (x & 63)) | (1ull << ((x >> 6) & 63)) | (1ull << ((x >> 12) & 63)) | (1ull << ((x >> 18) & 63));
}

/* The word of an id: the top 32 bits of the mix scaled to the word count. */
static size_t word_of(const struct store_id_filter *f, uint64_t x)
{
    return (size_t)(((x >> 32) * (uint64_t)f->nwords) >> 32);
}

int store_id_filter_init(struct store_id_filter *f, size_t capacity)
{
    store_id_filter_free(f);
    size_t nwords = capacity / 4 + 1; /* 16 bits an id */
    if (nwords > UINT32_MAX)
        return -1;
    f->words = calloc(nwords, sizeof *f->words);
    if (!f->words)
        return -1;
    f->nwords = nwords;
    f->capacity = capacity;
    f->count = 0;
    return 0;
}

void store_id_filter_free(struct store_id_filter *f)
{
    free(f->words);
    f->words = NULL;
    f->nwords = f->count = f->capacity = 0;
}

void store_id_filter_add(struct store_id_filter *f, uint64_t hash)
{
    uint64_t x = mix(hash);
    f->words[word_of(f, x)] |= mask_of(x);
    f->count++;
}

bool store_id_filter_maybe(const struct store_id_filter *f, uint64_t hash)
{
    uint64_t x = mix(hash), m = mask_of(x);
    return (f->words[word_of(f, x)] & m) == m;
}

bool store_id_filter_full(const struct store_id_filter *f)
{
    return f->count > f->capacity;
}
