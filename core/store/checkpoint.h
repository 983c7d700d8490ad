/* Private to core/store (see store_int.h): the WAL checkpointer of a
 * long-running writer (TG_STORE_BACKGROUND_CHECKPOINTS), a thread with its
 * own connection that copies the WAL back into the db beside the writer. */
#ifndef TG_STORE_CHECKPOINT_H
#define TG_STORE_CHECKPOINT_H

#include <stddef.h>

#include "store/store_int.h"

/* Starts the thread and hooks the store's commits to wake it. */
int store_checkpointer_start(struct tg_store *store, const char *path, char *err, size_t errlen);
/* Stops and joins it, if it runs; before the store's connection closes. */
void store_checkpointer_stop(struct tg_store *store);

#endif
