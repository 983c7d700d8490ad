/* Private to core/store (see store_int.h): the schema, as the migrations
 * that build it one version after the other. */
#ifndef TG_STORE_MIGRATIONS_H
#define TG_STORE_MIGRATIONS_H

#include <stddef.h>

#include "store/store_int.h"

/* Brings the db from its version up to `target`, each migration in its own
 * transaction. A db newer than this tollgate is refused. 0, or -1 with err. */
int store_migrate(struct tg_store *store, int target, char *err, size_t errlen);

#endif
