#include "ingest/budget.h"

#include <malloc.h>
#include <stdint.h>

/* Trimming walks the heap: worth it after a burst, not after every request. */
#define TRIM_AFTER_BYTES (32u << 20)

void tg_budget_init(struct tg_budget *b, size_t limit)
{
    b->limit = limit ? limit : SIZE_MAX;
    atomic_init(&b->held, 0);
    atomic_init(&b->released_since_trim, 0);
    /* Blocks past 256 KB (the bodies) get pages of their own, returned when
     * freed. Left to adapt, glibc raises this threshold to the largest block
     * freed (up to 32 MB), and keeps the heap that later bodies grow. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

bool tg_budget_take(struct tg_budget *b, size_t n)
{
    size_t held = atomic_load(&b->held);
    do {
        if (n > b->limit || held > b->limit - n)
            return false;
    } while (!atomic_compare_exchange_weak(&b->held, &held, held + n));
    return true;
}

void tg_budget_give(struct tg_budget *b, size_t n)
{
    if (!n)
        return;
    size_t left = atomic_fetch_sub(&b->held, n) - n;
    size_t released = atomic_fetch_add(&b->released_since_trim, n) + n;
    /* the exchange lets one thread of those that see the same burst end trim */
    if (left == 0 && released >= TRIM_AFTER_BYTES &&
        atomic_exchange(&b->released_since_trim, 0) >= TRIM_AFTER_BYTES)
        malloc_trim(0);
}

size_t tg_budget_held(struct tg_budget *b)
{
    return atomic_load(&b->held);
}
