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

#endif
