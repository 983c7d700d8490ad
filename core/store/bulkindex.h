/* Private to core/store (see store_int.h): a bulk batch that has added many
 * logs drops the secondary indexes of requests and builds them again just
 * before it commits, in the same transaction. Inserting a log into four
 * indexes with random keys cost about half the writer's time on small logs;
 * building an index from sorted rows costs a fraction of that per row. A
 * crash or a rollback leaves the indexes as they were; readers never see the
 * batch, so never see them missing. */
#ifndef TG_STORE_BULKINDEX_H
#define TG_STORE_BULKINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "store/store_int.h"

/* In the batch, once its logs are in: after twice as many new logs as the db
 * held at the batch's start (and at least BULK_INDEX_MIN_LOGS), a bulk store
 * drops the indexes. -1 on error (err filled; the caller rolls back). */
int store_bulk_index_added(struct tg_store *store, char *err, size_t errlen);
/* Before the commit: builds the dropped indexes again. */
int store_bulk_index_before_commit(struct tg_store *store, char *err, size_t errlen);
/* The batch ended (committed or rolled back). */
void store_bulk_index_forget(struct tg_store *store);

#endif
