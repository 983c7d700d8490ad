/* Private to core/store (see store_int.h): a Bloom filter of log-id hashes,
 * so a bulk import or a collector skips the b-tree probe of log_ids for the
 * ids that cannot be stored (nearly all of them). It only ever says "maybe"
 * or "surely not": a maybe is still checked in the db, so duplicates stay
 * exact. One 64-bit word per id (blocked), 4 bits set in it, 16 bits an id at
 * capacity. */
#ifndef TG_STORE_IDFILTER_H
#define TG_STORE_IDFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_id_filter {
    uint64_t *words; /* NULL: no filter */
    size_t nwords;
    size_t count, capacity; /* ids added; past capacity the filter is too full to keep */
};

/* Sized for `capacity` ids; -1 when out of memory (the filter stays NULL). */
int store_id_filter_init(struct store_id_filter *f, size_t capacity);
void store_id_filter_free(struct store_id_filter *f);
void store_id_filter_add(struct store_id_filter *f, uint64_t hash);
/* false: no id of this hash was added. */
bool store_id_filter_maybe(const struct store_id_filter *f, uint64_t hash);
bool store_id_filter_full(const struct store_id_filter *f);

#endif
