/* Revoking a key: the gateway call, then reading the key back, then the key's
 * state and the audit row. A gateway's 200 proves nothing (it may answer
 * {"success": false}, or 200 and leave the key working): only the gateway
 * showing the key expired, blocked or gone on read-back counts as revoked. A
 * failed or unverified attempt is recorded too. */
#ifndef TG_REVOKE_H
#define TG_REVOKE_H

#include <stdbool.h>

#include "gateway/gateway.h"
#include "ops/keys.h"
#include "store/store.h"

enum tg_revoke_readback {
    TG_READBACK_NOT_DONE,  /* no read-back (no gateway id) */
    TG_READBACK_CUT_OFF,   /* the gateway shows the key expired, blocked or revoked */
    TG_READBACK_GONE,      /* the gateway no longer has the key */
    TG_READBACK_ACTIVE,    /* the gateway shows the key still working */
    TG_READBACK_FAILED,    /* the gateway could not be asked: unknown */
};

struct tg_revoke_result {
    bool ok;           /* verified: the read-back shows the key cut off or gone */
    long status;       /* the gateway's HTTP status for the write, 0 when it did not answer */
    bool write_ok;     /* the write itself was answered 2xx without a failure in its body */
    bool write_refused; /* the admin key was refused (401 / 403), or the call never reached the
                         * gateway (its certificate refused): nothing was changed */
    enum tg_revoke_readback readback;
    char shows[160];   /* what the read-back showed, in words ("active", "expired ...", "gone", the failure) */
    char message[700]; /* what happened, for the user (never a whole key) */
};

/* Returns 0 when the gateway shows the key cut off after the call (and the db
 * now says so, with the revocation time), -1 otherwise; either way out says
 * what happened and what the gateway shows, and the audit log has a row. */
int tg_revoke_key(struct tg_store *store, struct tg_gateway *gateway, const struct tg_key_row *key,
                  const char *actor, const char *reason, bool also_delete, struct tg_revoke_result *out);

#endif
