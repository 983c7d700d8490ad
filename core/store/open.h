/* Private to core/store (see store_int.h): opening a store (creating the
 * file private, configuring the connection, migrating, preparing the
 * statements) and closing it. Its functions are the public ones of store.h
 * (tg_store_open, tg_store_close, ...) and the helpers every store file uses,
 * declared in store_int.h; this header adds nothing of its own. */
#ifndef TG_STORE_OPEN_H
#define TG_STORE_OPEN_H

#include "store/store_int.h"

#endif
