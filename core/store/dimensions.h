/* Private to core/store (see store_int.h): developers, keys and models, the
 * dimensions of each request and rollup row. Each is upserted once and its
 * row id cached by ident for the store's lifetime (cleared on rollback, as
 * the rows of a rolled-back batch are gone). */
#ifndef TG_STORE_DIMENSIONS_H
#define TG_STORE_DIMENSIONS_H

#include <stddef.h>

#include "store/store_int.h"

int store_dimensions_init(struct tg_store *store);
void store_dimensions_free(struct tg_store *store);
int store_prepare_dimensions(struct tg_store *store, char *err, size_t errlen);

/* Fills k's developer, key and model ids (0 for none), creating rows for new
 * ones in the open batch. */
int store_dimensions_of(struct tg_store *store, const struct tg_log *log, struct rollup_key *k, char *err,
                        size_t errlen);

/* The batch rolled back: ids cached for rows it created are gone with them. */
void store_dimensions_forget(struct tg_store *store);

#endif
