#include "log/msgcache.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

#define HUGE_PAGE (2u << 20)

static size_t table_bytes(size_t slots)
{
    size_t bytes = slots * sizeof(struct entry);
    return bytes < HUGE_PAGE ? bytes : (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
}

/* A table of zeroed slots. Those of a big window span megabytes probed at
 * random: in 4 KB pages nearly every probe also missed the TLB, so a big
 * table asks for 2 MB pages (where the kernel gives them on request). It is
 * mapped, not zeroed by hand: a store opened only to read (a report, the
 * screens) never touches it, and zeroing 20 MB cost every such open 2 ms. */
static struct entry *table_new(size_t slots)
{
    size_t bytes = table_bytes(slots);
    if (bytes < HUGE_PAGE)
        return calloc(slots, sizeof(struct entry));
    void *t = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(t, bytes, MADV_HUGEPAGE); /* a hint: without, 4 KB pages as before */
#endif
    return t;
}

static void table_free(struct entry *t, size_t slots)
{
    size_t bytes = table_bytes(slots);
    if (!t)
        return;
    if (bytes < HUGE_PAGE)
        free(t);
    else
        munmap(t, bytes);
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
    cache->current.slots = table_new(slots);
    cache->older.slots = table_new(slots);
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
    table_free(cache->current.slots, cache->mask + 1);
    table_free(cache->older.slots, cache->mask + 1);
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
    /* Both tables are megabytes, so each probe is a cache miss: the older
     * one's is started now, to overlap the current one's (a digest new to
     * both, as most on a parse lane are, cost two misses in a row). */
    __builtin_prefetch(&cache->older.slots[slot_of(digest) & cache->mask]);
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
