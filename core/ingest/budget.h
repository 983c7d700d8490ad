/* A byte budget shared by threads: the memory the collector's request bodies
 * may hold at once, whether being received, parsed or waiting for their
 * commit. Without it 16 concurrent posts of 15 MB took 560 MB. A request takes
 * its bytes before keeping them and gives them back when it completes; what
 * does not fit is refused (the collector answers 503 with Retry-After). After
 * a burst, once nothing is held, the heap's free pages go back to the system
 * (glibc keeps them otherwise). Lock-free: one atomic counter. */
#ifndef TG_BUDGET_H
#define TG_BUDGET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct tg_budget {
    size_t limit; /* bytes; SIZE_MAX for none */
    atomic_size_t held;
    atomic_size_t released_since_trim;
};

/* limit 0: no limit. Also makes glibc give large blocks pages of their own. */
void tg_budget_init(struct tg_budget *budget, size_t limit);

/* Takes n bytes; false (nothing taken) when held + n would pass the limit. */
bool tg_budget_take(struct tg_budget *budget, size_t n);

/* Gives n taken bytes back; trims the heap when that empties the budget after
 * enough was given back since the last trim. */
void tg_budget_give(struct tg_budget *budget, size_t n);

size_t tg_budget_held(struct tg_budget *budget);

#endif
