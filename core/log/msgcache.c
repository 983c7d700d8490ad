#include "log/msgcache.h"

#include <stdlib.h>
#include <string.h>

struct entry {
    unsigned char digest[TG_DIGEST_LEN];
    int64_t id; /* 0: empty slot */
};

struct generation {
    struct entry *slots;
    size_t count;
};

struct tg_msgcache {
    size_t capacity; /* entries a generation takes before it is retired */
    size_t mask;     /* slots - 1; slots = a power of two >= 2 * capacity */
    struct generation current, older;
};

/* A SHA-256 digest is already uniform: its first bytes are a fine slot index. */
static size_t slot_of(const unsigned char *digest)
{
    uint64_t h;
    memcpy(&h, digest, sizeof h);
    return (size_t)h;
}

static struct entry *find(const struct tg_msgcache *cache, const struct generation *g, const unsigned char *digest)
{
    for (size_t i = slot_of(digest) & cache->mask;; i = (i + 1) & cache->mask) {
        struct entry *e = &g->slots[i];
        if (e->id == 0 || memcmp(e->digest, digest, TG_DIGEST_LEN) == 0)
            return e;
    }
}

struct tg_msgcache *tg_msgcache_new(size_t capacity)
{
    struct tg_msgcache *cache = calloc(1, sizeof *cache);
    if (!cache)
        return NULL;
    size_t slots = 64;
    while (slots < 2 * capacity)
        slots *= 2;
    cache->capacity = capacity ? capacity : 1;
    cache->mask = slots - 1;
    cache->current.slots = calloc(slots, sizeof(struct entry));
    cache->older.slots = calloc(slots, sizeof(struct entry));
    if (!cache->current.slots || !cache->older.slots) {
        tg_msgcache_free(cache);
        return NULL;
    }
    return cache;
}

void tg_msgcache_free(struct tg_msgcache *cache)
{
    if (!cache)
        return;
    free(cache->current.slots);
    free(cache->older.slots);
    free(cache);
}

static void empty(const struct tg_msgcache *cache, struct generation *g)
{
    memset(g->slots, 0, (cache->mask + 1) * sizeof(struct entry));
    g->count = 0;
}

void tg_msgcache_clear(struct tg_msgcache *cache)
{
    empty(cache, &cache->current);
    empty(cache, &cache->older);
}

size_t tg_msgcache_count(const struct tg_msgcache *cache)
{
    return cache->current.count + cache->older.count;
}

static void retire_when_full(struct tg_msgcache *cache)
{
    if (cache->current.count < cache->capacity)
        return;
    struct generation dropped = cache->older;
    cache->older = cache->current;
    cache->current = dropped;
    empty(cache, &cache->current);
}

void tg_msgcache_put(struct tg_msgcache *cache, const unsigned char digest[TG_DIGEST_LEN], int64_t id)
{
    retire_when_full(cache);
    struct entry *e = find(cache, &cache->current, digest);
    if (e->id == 0) {
        memcpy(e->digest, digest, TG_DIGEST_LEN);
        cache->current.count++;
    }
    e->id = id;
}

int64_t tg_msgcache_get(struct tg_msgcache *cache, const unsigned char digest[TG_DIGEST_LEN])
{
    struct entry *e = find(cache, &cache->current, digest);
    if (e->id != 0)
        return e->id;
    e = find(cache, &cache->older, digest);
    if (e->id == 0)
        return 0;
    int64_t id = e->id; /* still in use: keep it past the next retirement */
    tg_msgcache_put(cache, digest, id);
    return id;
}
