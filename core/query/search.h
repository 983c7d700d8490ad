/* Full-text search of prompts and responses (SQLite FTS5, trigram tokenizer).
 * The index is filled behind the inserts, in small transactions, by whoever
 * has a read-write connection and time (the screens do it in the background),
 * so imports and the collector never pay for it. */
#ifndef TG_SEARCH_H
#define TG_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Indexes up to `limit` requests not indexed yet, in one transaction. Returns
 * how many it indexed (0 when the index is complete), or -1 with err. */
int tg_search_index_more(struct tg_store *store, int limit, char *err, size_t errlen);

/* Takes one request out of the index before its body goes or changes (prune,
 * migrate): the index keeps no text of its own, so it is shown again what it
 * indexed. tg_search_add puts a request back after its body changed. Both do
 * nothing for requests the indexer has not reached. In the caller's open
 * batch; 0, or -1 with err. */
int tg_search_forget(struct tg_store *store, int64_t request_id, char *err, size_t errlen);
int tg_search_add(struct tg_store *store, int64_t request_id, char *err, size_t errlen);

/* Merges the index into one segment, dropping what was taken out: FTS5 only
 * marks removals, so a prune frees no space in the index until this runs. In
 * steps of a short transaction each, beside a running collector. */
int tg_search_compact(struct tg_store *store, char *err, size_t errlen);

/* How far the index has got: the last request id indexed and the last id
 * stored (ids are dense, so their ratio is the share indexed). */
void tg_search_progress(struct tg_store *store, int64_t *indexed, int64_t *total);

/* The text search matches, as an FTS5 query: the words as one phrase, which
 * the trigram tokenizer matches as a substring. -1 when shorter than 3 characters. */
int tg_search_query(const char *text, char *out, size_t len);

#endif
