/* Private to core/store (see store_int.h): the log ids a bulk batch stored,
 * as (hash, request id) pairs in memory until its commit writes them into
 * log_ids in key order. Inserting each as it came put every log's key at a
 * random place in the index (a b-tree descent and a page dirtied per log);
 * sorted, the commit walks the index once. Looked up by hash while the batch
 * is open, so a log id resent within the batch is still found. */
#ifndef TG_STORE_IDRUN_H
#define TG_STORE_IDRUN_H

#include <stddef.h>
#include <stdint.h>

struct store_id_pair {
    int64_t hash, id; /* id 0: an empty slot (request ids start at 1) */
};

struct store_id_run {
    struct store_id_pair *slots; /* open addressing, cap a power of two */
    size_t cap, count;
};

/* -1 when out of memory (the run is unchanged). */
int store_id_run_add(struct store_id_run *run, int64_t hash, int64_t id);
/* The request ids held under hash, one a call: start with *pos = 0; 0 when
 * there are no more. */
int64_t store_id_run_next(const struct store_id_run *run, int64_t hash, size_t *pos);
/* Gathers the pairs at run->slots[0 .. count), sorted by hash then id, and
 * returns count. The run is then only good for store_id_run_clear. */
size_t store_id_run_sort(struct store_id_run *run);
/* Empties it, keeping its memory when small. */
void store_id_run_clear(struct store_id_run *run);
void store_id_run_free(struct store_id_run *run);

#endif
