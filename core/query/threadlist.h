/* The Threads view's list: the threads with requests in a window, the most
 * expensive first, each with its totals over the requests inside the window.
 *
 * A window the time index says holds few requests (under 40,000) is read and
 * grouped by thread, as before. A bigger one is answered from the per-thread
 * rollup (schema 15, store/threads.h): its index by cost is walked from the
 * top, skipping threads that do not touch the window; a thread wholly inside
 * the window brings its rollup totals, one that crosses an edge is counted
 * over its rows inside the window (through the time index, over its span
 * only); the walk stops as soon as a thread's whole cost is below the
 * `limit`-th best cost in the window found so far, since no thread's cost in
 * the window exceeds its whole cost. Either way the rows, order and totals
 * are those of grouping the window's requests. Until the rollup's backfill is
 * done (tg_store_threads_ready) every window is grouped. */
#ifndef TG_THREADLIST_H
#define TG_THREADLIST_H

#include <stddef.h>
#include <stdint.h>

#include "base/money.h"
#include "query/filter.h"
#include "store/store.h"

/* A thread of the window: its totals over the requests inside the window. */
struct tg_thread_row {
    char thread[TG_FILTER_NAME_MAX]; /* as logged: for the filter; sanitise to show it */
    char developer[64];              /* sanitised */
    tg_nanos cost;
    int64_t turns, first_ms, last_ms;
    int64_t first_request; /* row id of its first request in the window */
};

/* Up to `limit` threads with requests in [since, until), the most expensive
 * first (then by thread id). Returns how many, or -1 with err. */
int tg_threads_by_cost(struct tg_store *store, int64_t since_ms, int64_t until_ms, struct tg_thread_row *rows,
                       int limit, char *err, size_t errlen);

/* Which way tg_threads_by_cost answered last (for tests and benchmarks):
 * 'g' grouped the window's requests, 'r' walked the rollup. */
char tg_threads_last_path(void);

/* For tests: windows under this many requests are grouped (0: none, every
 * window walks the rollup once it is ready; negative: back to 40,000). */
void tg_threads_set_group_below(int requests);

#endif
