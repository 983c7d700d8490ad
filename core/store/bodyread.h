/* Private to core/store (see store_int.h): reading bodies back, in any of the
 * three layouts a db may hold while `tollgate migrate` runs: a log stored
 * whole (schema 1-4), a skeleton with content-addressed messages (schema 5-8),
 * and a list of content-defined chunks kept in packs (schema 11, body.h). */
#ifndef TG_STORE_BODYREAD_H
#define TG_STORE_BODYREAD_H

#include "store/store_int.h"

/* The columns a body row is read from, in this order, from a row's `col`. */
#define BODY_COLUMNS "raw_zstd, raw_len, dict_id, msg_refs, chunk_refs"

/* One stored frame back to its bytes (bodies.c: it owns the dictionaries). */
int store_bodies_decode(struct tg_store *store, const void *z, size_t z_len, size_t raw_len, int64_t dict_id,
                        char **out);

/* The first `need` bytes (a chunk edge) of a pack of raw_len bytes in count
 * chunks, its frames ended or not, in either layout of a pack (body.h:
 * the lens blob says which). */
int store_bodies_decode_pack(struct tg_store *store, const void *z, size_t z_len, const void *lens, size_t lens_len,
                             int64_t count, size_t raw_len, size_t need, int64_t dict_id, char **out);

/* A pack's chunk lengths (varints, `lens`) as the offsets of its count
 * chunks in raw_len bytes: a malloc'd array of count + 1, NULL when they do
 * not fit those bytes (damaged) or out of memory. */
size_t *store_pack_offsets(const void *lens, size_t lens_len, int64_t count, size_t raw_len);

/* A copy of the pack being filled (not written until it is full or the batch
 * commits) when it holds chunk id: its fields as a pack row has them, all
 * malloc'd. 1: copied, 0: not there, -1: out of memory. */
struct store_pending_copy {
    int64_t first, count;
    char *raw;
    size_t raw_len;
    unsigned char *lens, *owners;
    size_t lens_len, owners_len;
};
int store_bodies_pending(struct tg_store *store, int64_t id, struct store_pending_copy *out);

#endif
