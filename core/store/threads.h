/* Private to core/store (see store_int.h): the per-thread rollup (schema 15).
 * `threads` holds, for each thread id, its first and last request time, its
 * number of requests, their cost, the lowest developer id among them and the
 * id of its first request, so the Threads view pages the most expensive
 * threads through an index instead of grouping a month of rows.
 *
 * A batch sums its logs per thread in memory and adds each sum to the
 * thread's row when it commits (same transaction as the requests, so a
 * retried log, refused by its id, never counts twice and a rolled back batch
 * leaves nothing). A thread that loses requests (prune) is counted again from
 * its remaining rows at the commit. The migration only marks every request
 * then stored as still to count; store_threads_backfill counts them, a
 * transaction per 100,000 request ids, resumably, when a writer opens the db.
 * Until it is done, tg_store_threads_ready is false and readers group the
 * requests themselves. */
#ifndef TG_STORE_THREADS_H
#define TG_STORE_THREADS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store_int.h"

/* sync_state: requests with ids in (counted, ends at] are not counted yet;
 * both entries go once they are. */
#define THREADS_COUNTED_MARK "threads counted up to"
#define THREADS_BACKFILL_MARK "threads backfill ends at"

int store_threads_init(struct tg_store *store);
void store_threads_free(struct tg_store *store);

/* Adds one stored request to its thread's sum in the open batch (nothing for
 * a request without a thread). */
int store_threads_add(struct tg_store *store, const char *thread, int64_t ts_ms, int64_t cost_nanos,
                      int64_t developer_id, int64_t request_id, char *err, size_t errlen);
/* In the batch about to commit: the sums into their rows, then the threads
 * marked for a recount counted again from their rows. */
int store_threads_flush(struct tg_store *store, char *err, size_t errlen);
/* The batch ended (committed or not). */
void store_threads_forget(struct tg_store *store);

/* Counts what the migration left to count, a transaction at a time. */
int store_threads_backfill(struct tg_store *store, char *err, size_t errlen);

#endif
