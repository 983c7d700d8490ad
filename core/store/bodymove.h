/* Private to core/store (see store_int.h): `tollgate migrate` moving the
 * bodies in chunks that a schema-13 db kept as rows of request_bodies_v13
 * into their request rows (schema 14), a transaction at a time
 * (tg_store_move_chunk_bodies, store.h). Every body reads the same either
 * way; the move only gives back the older table's ~33 bytes a body. */
#ifndef TG_STORE_BODYMOVE_H
#define TG_STORE_BODYMOVE_H

#include "store/store_int.h"

#endif
