/* Private to core/store (see store_int.h): the keys the Requests screen sorts
 * by (cost, tokens, latency) in sorted runs (schema 16). The tables
 * sort_cost, sort_tokens and sort_latency hold (key, request id) for every
 * request up to a watermark (SORT_KEYS_MARK in sync_state); the requests
 * past it, a bounded tail, are sorted at query time (query/requestlist.c).
 * A commit whose tail has grown enough merges it in key order, so each run
 * walks the tables once instead of each log dirtying a page at random. */
#ifndef TG_STORE_SORTKEYS_H
#define TG_STORE_SORTKEYS_H

#include <stddef.h>

#include "store/store_int.h"

#define SORT_KEYS_MARK "sort keys up to"

int store_prepare_sort_keys(struct tg_store *store, char *err, size_t errlen);

/* In the batch about to commit, under the write lock: merges the tail when
 * it is due. */
int store_sort_keys_before_commit(struct tg_store *store, char *err, size_t errlen);

#endif
