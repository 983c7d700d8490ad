/* Revoking a key: the gateway call, then the key's state and the audit row.
 * A failed call changes nothing but is recorded too. */
#ifndef TG_REVOKE_H
#define TG_REVOKE_H

#include <stdbool.h>

#include "gateway/gateway.h"
#include "ops/keys.h"
#include "store/store.h"

struct tg_revoke_result {
    bool ok;
    long status;       /* the gateway's HTTP status, 0 when it did not answer */
    char message[700]; /* what happened, for the user (never a whole key) */
};

/* Returns 0 when the gateway revoked the key (and the db now says so), -1
 * otherwise; either way out says what happened and the audit log has a row. */
int tg_revoke_key(struct tg_store *store, struct tg_gateway *gateway, const struct tg_key_row *key,
                  const char *actor, const char *reason, bool also_delete, struct tg_revoke_result *out);

#endif
