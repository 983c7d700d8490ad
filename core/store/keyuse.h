/* Private to core/store (see store_int.h): the use of keys after their
 * revocation. Its public side (tg_store_set_key_revoked,
 * tg_store_key_after_revocation) is declared in store.h; no other store file
 * calls into it. */
#ifndef TG_STORE_KEYUSE_H
#define TG_STORE_KEYUSE_H

#include "store/store_int.h"

#endif
