#include "store/idrun.h"

#include <stdlib.h>
#include <string.h>

/* A table of at least this many slots; kept across batches up to KEEP_SLOTS
 * (16 bytes a slot). */
#define MIN_SLOTS 4096
#define KEEP_SLOTS (1u << 20)

/* splitmix64's finalizer: FNV-1a's low bits are not spread enough to index
 * a table by. */
static size_t slot_of(int64_t hash, size_t cap)
{
    uint64_t x = (uint64_t)hash;
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return (size_t)x & (cap - 1);
}

static void put(struct store_id_pair *slots, size_t cap, struct store_id_pair p)
{
    size_t i = slot_of(p.hash, cap);
    while (slots[i].id != 0)
        i = (i + 1) & (cap - 1);
    slots[i] = p;
}

static int grow(struct store_id_run *run)
{
    size_t cap = run->cap ? run->cap * 2 : MIN_SLOTS;
    struct store_id_pair *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < run->cap; i++) {
        if (run->slots[i].id != 0)
            put(slots, cap, run->slots[i]);
    }
    free(run->slots);
    run->slots = slots;
    run->cap = cap;
    return 0;
}

int store_id_run_add(struct store_id_run *run, int64_t hash, int64_t id)
{
    if ((run->count + 1) * 2 > run->cap && grow(run) != 0) /* at most half full */
        return -1;
    put(run->slots, run->cap, (struct store_id_pair){hash, id});
    run->count++;
    return 0;
}

int64_t store_id_run_next(const struct store_id_run *run, int64_t hash, size_t *pos)
{
    if (run->count == 0)
        return 0;
    /* *pos: 0 to start, else one past the slot last returned */
    size_t i = *pos ? *pos & (run->cap - 1) : slot_of(hash, run->cap);
    for (; run->slots[i].id != 0; i = (i + 1) & (run->cap - 1)) {
        if (run->slots[i].hash == hash) {
            *pos = i + 1;
            return run->slots[i].id;
        }
    }
    return 0;
}

static int by_key(const void *a, const void *b)
{
    const struct store_id_pair *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

size_t store_id_run_sort(struct store_id_run *run)
{
    size_t n = 0;
    for (size_t i = 0; i < run->cap; i++) {
        if (run->slots[i].id != 0)
            run->slots[n++] = run->slots[i];
    }
    qsort(run->slots, n, sizeof *run->slots, by_key);
    return n;
}

void store_id_run_clear(struct store_id_run *run)
{
    if (run->cap > KEEP_SLOTS) {
        store_id_run_free(run);
        return;
    }
    if (run->count > 0)
        memset(run->slots, 0, run->cap * sizeof *run->slots);
    run->count = 0;
}

void store_id_run_free(struct store_id_run *run)
{
    free(run->slots);
    run->slots = NULL;
    run->cap = run->count = 0;
}
