/* Private to core/store (see store_int.h): which source a store's batches
 * come from (collector, import, a sync), and, in each batch that commits, the
 * newest log it saw and the time it committed, so `tollgate status` can say
 * whether logs still flow. Kept as rows of sync_state named "activity SOURCE"
 * (position: the newest log's epoch ms; updated_ms: the last commit), so no
 * schema change was needed. */
#ifndef TG_STORE_ACTIVITY_H
#define TG_STORE_ACTIVITY_H

#include <stddef.h>
#include <stdint.h>

struct tg_store;

/* Notes a log added in the open batch (stored or a duplicate). */
void store_activity_saw(struct tg_store *store, int64_t ts_ms);

/* In the open batch, before COMMIT: records the batch's activity when the
 * store has a source. 0, or -1 with err. */
int store_activity_before_commit(struct tg_store *store, char *err, size_t errlen);

/* Forgets the batch's newest log (commit or rollback). */
void store_activity_forget(struct tg_store *store);

#endif
