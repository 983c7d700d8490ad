/* Reading content-defined chunks one by one, for the search index (which
 * indexes each chunk's text once, not each request's): a request's chunk ids
 * in order, and a chunk's bytes by id. Through here rather than SQL on
 * chunk_packs, so that how packs are laid out stays the store's business. */
#ifndef TG_STORE_CHUNKREAD_H
#define TG_STORE_CHUNKREAD_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The chunk ids of a request's body, in order, into a malloc'd *ids (NULL
 * when none). Returns their count: 0 when the request has no body in chunks
 * (pruned, missing, or an older layout); -1 when damaged or out of memory. */
long tg_store_chunk_ids(struct tg_store *store, int64_t request_id, int64_t **ids);

/* Which requests have a body now: a malloc'd bitmap over ids 0..*max_id
 * (bit id % 8 of byte id / 8), NULL when out of memory or on error. */
unsigned char *tg_store_body_bitmap(struct tg_store *store, int64_t *max_id);

/* Keeps a few packs decompressed, so that reading the chunks of one request,
 * or of neighbouring requests, decompresses each pack once. One thread. */
struct tg_chunk_reader;

struct tg_chunk_reader *tg_chunk_reader_new(struct tg_store *store);
void tg_chunk_reader_free(struct tg_chunk_reader *reader);

/* Chunk `id`'s bytes: *bytes stays valid until the reader's next call.
 * 0; 1 when no such chunk is stored (swept by prune); -1 when damaged. */
int tg_chunk_reader_get(struct tg_chunk_reader *reader, int64_t id, const char **bytes, size_t *len);

#endif
