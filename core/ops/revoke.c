#include "ops/revoke.h"

#include <stdio.h>
#include <string.h>

int tg_revoke_key(struct tg_store *store, struct tg_gateway *gateway, const struct tg_key_row *key,
                  const char *actor, const char *reason, bool also_delete, struct tg_revoke_result *out)
{
    memset(out, 0, sizeof *out);
    char target[512], detail[128], err[512];
    snprintf(target, sizeof target, "%s (%s)", tg_key_label(key), key->key_id ? key->key_id : "no gateway id");
    const char *action = also_delete ? "revoke+delete" : "revoke";
    if (!key->key_id) {
        snprintf(out->message, sizeof out->message,
                 "%s is known only from logs, without the gateway's id: run `tollgate keys` with the gateway "
                 "configured first",
                 tg_key_label(key));
        tg_audit_add(store, actor, action, target, reason, "failed: no gateway id", NULL, err, sizeof err);
        return -1;
    }
    struct tg_gateway_error gerr;
    int rc = gateway->ops->revoke_key(gateway, key->key_id, also_delete, &gerr);
    out->status = gerr.status;
    snprintf(detail, sizeof detail, "%s, HTTP %ld", gateway->ops->name, gerr.status);
    if (rc != 0) {
        snprintf(out->message, sizeof out->message, "%s", gerr.message);
        char result[600];
        snprintf(result, sizeof result, "failed: %s", gerr.message);
        tg_audit_add(store, actor, action, target, reason, result, detail, err, sizeof err);
        return -1;
    }
    out->ok = true;
    if (tg_keys_set_status(store, key->row_id, "revoked", err, sizeof err) != 0) {
        snprintf(out->message, sizeof out->message, "revoked at the gateway, but the db could not record it: %s",
                 err);
        tg_audit_add(store, actor, action, target, reason, "ok (db not updated)", detail, err, sizeof err);
        return 0;
    }
    snprintf(out->message, sizeof out->message, "revoked %s at %s (HTTP %ld)%s", tg_key_label(key),
             gateway->ops->name, gerr.status, also_delete ? ", and deleted" : "");
    if (tg_audit_add(store, actor, action, target, reason, "ok", detail, err, sizeof err) != 0)
        snprintf(out->message + strlen(out->message), sizeof out->message - strlen(out->message),
                 "; the audit log could not be written: %s", err);
    return 0;
}
