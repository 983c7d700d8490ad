/* Full-text search of prompts and responses: the index (SQLite FTS5,
 * trigram tokenizer, detail=none). Each text is indexed once: a row is a run
 * of chunks (see body.h) as first seen, with the edges of its neighbours then,
 * and search_users maps chunks back to every request that uses them, so a
 * hit is found in all the requests that resend it (searchfind.h). Bodies of
 * the older layouts are indexed whole, one row per request. The index is
 * filled behind the inserts, in small transactions, by whoever has a
 * read-write connection and time (the screens do it in the background), so
 * imports and the collector never pay for it. */
#ifndef TG_SEARCH_H
#define TG_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query/searchmerge.h"
#include "store/store.h"

/* Chunk ids per row of search_users. */
#define TG_SEARCH_BUCKET_SHIFT 6

/* Indexes up to `limit` requests not indexed yet, in one transaction. Returns
 * how many it indexed (0 when the index is complete), or -1 with err. */
int tg_search_index_more(struct tg_store *store, int limit, char *err, size_t errlen);

/* A request's body goes or changes (prune, migrate): tg_search_forget before,
 * tg_search_add after it changed. A body in chunks needs nothing taken out
 * (its text stays indexed while its chunks are stored; requests without a
 * body are never found); one of an older layout is shown again what was
 * indexed. Both do nothing for requests the indexer has not reached. In the
 * caller's open batch; 0, or -1 with err. */
int tg_search_forget(struct tg_store *store, int64_t request_id, char *err, size_t errlen);
int tg_search_add(struct tg_store *store, int64_t request_id, char *err, size_t errlen);

/* Chunks [first, first + count) are about to be deleted (prune's sweep, in
 * its batch): their rows leave the index while their text can still be read. */
int tg_search_forget_chunks(struct tg_store *store, int64_t first, int64_t count, char *err, size_t errlen);

/* Chunks of [first, first + count) that used() refuses are about to be cut
 * out of their pack (prune's partial repack): the runs made only of them
 * leave the index. A run that also holds a chunk still used stays whole, so
 * that chunk's text is still found. 0, or -1 with err. */
int tg_search_forget_unused(struct tg_store *store, int64_t first, int64_t count,
                            bool (*used)(void *ctx, int64_t chunk_id), void *ctx, char *err, size_t errlen);

/* How far the index has got: the last request id indexed and the last id
 * stored (ids are dense, so their ratio is the share indexed). */
void tg_search_progress(struct tg_store *store, int64_t *indexed, int64_t *total);

/* Whether the text is long enough to search for (3 characters, as the
 * trigrams need, a run of spaces and JSON punctuation counting as one);
 * writes it quoted (for the filter's description and tests). -1 when
 * shorter. */
int tg_search_query(const char *text, char *out, size_t len);

#endif
