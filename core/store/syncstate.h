/* Private to core/store (see store_int.h): sync_state, where each gateway's
 * sync position lives (the public side is in store.h), and the store's own
 * marks kept beside them, which every writer reads under the write lock. */
#ifndef TG_STORE_SYNCSTATE_H
#define TG_STORE_SYNCSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store_int.h"

/* The sync_state entry holding the watermark of log_ids: every request up
 * to that id has its log id there; those after it are the "tail". */
#define IDS_MARK "log ids indexed up to"
/* The highest request id ever handed out (see migration 7). */
#define IDS_USED "request ids handed out up to"

/* What other writers may have changed, read in one statement. */
struct store_marks {
    char prune[32]; /* TG_STORE_PRUNE_MARK, "" when never set */
    int64_t ids_indexed, ids_used;
};

int store_prepare_marks(struct tg_store *store, char *err, size_t errlen);

/* Under the write lock: 0, or -1 (the caller formats the failure). */
int store_read_marks(struct tg_store *store, struct store_marks *m);

/* Saves a numeric mark in the open batch. */
int store_set_mark(struct tg_store *store, const char *source, int64_t value, char *err, size_t errlen);

#endif
