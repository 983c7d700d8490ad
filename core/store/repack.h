/* Private to core/store (see store_int.h): a prune's rewrite of a chunk pack
 * without the chunks no body uses any more (tg_store_drop_chunks, store.h). A
 * pack holds the new chunks of many requests, so one chunk still used would
 * otherwise keep all of its bytes. */
#ifndef TG_STORE_REPACK_H
#define TG_STORE_REPACK_H

#include "store/store_int.h"

#endif
