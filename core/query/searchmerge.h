/* Upkeep of the search index (search.h): merging its segments, after a
 * build or a prune, and dropping pruned requests from search_users. FTS5
 * writes each batch as a segment; merging rewrites them and leaves the old
 * ones as free pages, so it is for an index in many segments or one with
 * removals to drop. */
#ifndef TG_SEARCHMERGE_H
#define TG_SEARCHMERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

/* Merges the index into one segment, dropping what was taken out (FTS5 only
 * marks removals): after building most of it, about a sixth smaller than
 * FTS5's own merging leaves it, but it rewrites the whole index. In steps of
 * a short transaction each, beside a running collector. tg_search_compact
 * also drops pruned requests from search_users (after a prune). */
int tg_search_merge(struct tg_store *store, char *err, size_t errlen);
/* One step of it (*more: steps are left), for a caller that may stop between. */
int tg_search_merge_step(struct tg_store *store, bool *more, char *err, size_t errlen);
int tg_search_compact(struct tg_store *store, char *err, size_t errlen);

/* How many segments the index is in (-1 when unknown). A build writes one
 * segment a batch; merging them saves little space while few (each repeats
 * the trigrams it shares with the others) and leaves the old ones as free
 * pages, so the builders merge only past TG_SEARCH_SEGMENTS_OK. */
#define TG_SEARCH_SEGMENTS_OK 16
int tg_search_segments(struct tg_store *store);

#endif
