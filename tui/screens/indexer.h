/* Fills the search index behind the screens, on its own read-write
 * connection and thread, a few hundred requests per transaction so the
 * collector is never kept waiting; then keeps up with new requests. Progress
 * and failure are atomics the screens read. */
#ifndef TG_SCREENS_INDEXER_H
#define TG_SCREENS_INDEXER_H

#include <stddef.h>

struct indexer;

/* NULL when the thread could not start. */
struct indexer *indexer_start(const char *db_path);
/* Stops and joins the thread; NULL is fine. */
void indexer_stop(struct indexer *ix);
/* " | search 45%" while the index is being built, "" once complete, or why
 * there is no search. */
void indexer_state(const struct indexer *ix, char *buf, size_t len);

#endif
