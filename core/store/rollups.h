/* Private to core/store (see store_int.h): the hourly and daily rollups. A
 * batch sums its logs per (hour, developer, key, model) in memory and adds
 * each sum to its hourly and its daily row when it commits, in the same
 * transaction as the requests, so spend questions never scan raw rows. */
#ifndef TG_STORE_ROLLUPS_H
#define TG_STORE_ROLLUPS_H

#include <stddef.h>

#include "store/store_int.h"

/* The SQL functions rollups add up with: tg_latency_merge(a, b), merging two
 * latency histogram blobs, and the aggregate tg_latency_sum(blob) (for
 * building coarser rollups from finer ones). */
int store_rollups_register_functions(sqlite3 *db);

int store_rollups_init(struct tg_store *store);
void store_rollups_free(struct tg_store *store);
int store_prepare_rollups(struct tg_store *store, char *err, size_t errlen);

/* Adds one stored log to the batch's sum for its key. */
int store_rollups_add(struct tg_store *store, const struct tg_log *log, const struct rollup_key *k, char *err,
                      size_t errlen);
/* In the batch about to commit: the sums into their rows. */
int store_rollups_flush(struct tg_store *store, char *err, size_t errlen);
/* The batch ended (committed or not): its sums are forgotten. */
void store_rollups_forget(struct tg_store *store);

#endif
