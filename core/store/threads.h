/* Private to core/store (see store_int.h): the per-thread rollup (schema 15).
 * `threads` holds, for each thread id, its first and last request time, its
 * number of requests, their cost, the lowest developer id among them and the
 * id of its first request, so the Threads view pages the most expensive
 * threads through an index instead of grouping a month of rows.
 *
 * New requests are counted live, but not at every commit: each thread's row
 * and its place in the cost index lie anywhere in their b-trees, so counting
 * at each of the collector's group commits rewrote pages all over both (a
 * fifth of its rate at 1M requests). A commit counts the requests past the
 * live mark once they are count_step many (16,384), in the same transaction
 * as the mark, so a retried log, refused by its id, never counts twice and a
 * rolled back batch leaves nothing; readers add the requests past the mark
 * from their rows (query/threadlist.c). A thread that loses requests (prune)
 * is counted again from its remaining rows up to the mark at the commit. The migration only marks every request
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
/* sync_state: requests with ids past it (and past "ends at") are not counted
 * yet; absent on a db whose rollup is not kept live */
#define THREADS_LIVE_MARK "threads live up to"

int store_threads_init(struct tg_store *store);
void store_threads_free(struct tg_store *store);

/* Adds one request to its thread's sum in the open batch (nothing for a
 * request without a thread). */
int store_threads_add(struct tg_store *store, const char *thread, int64_t ts_ms, int64_t cost_nanos,
                      int64_t developer_id, int64_t request_id, char *err, size_t errlen);
/* In the batch about to commit: the requests past the live mark counted when
 * they are enough, the sums into their rows, then the threads marked for a
 * recount counted again from their rows up to the mark. */
int store_threads_flush(struct tg_store *store, char *err, size_t errlen);
/* The batch ended (committed or not). */
void store_threads_forget(struct tg_store *store);

/* Counts what the migration left to count, a transaction at a time. */
int store_threads_backfill(struct tg_store *store, char *err, size_t errlen);

#endif
