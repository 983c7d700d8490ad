#include "ops/revoke.h"

#include <stdio.h>
#include <string.h>

#include "base/timeutil.h"

/* Asks the gateway how the key stands now. */
static void read_back(struct tg_gateway *gateway, const char *key_id, struct tg_revoke_result *out)
{
    struct tg_gateway_key now;
    struct tg_gateway_error gerr;
    memset(&gerr, 0, sizeof gerr);
    int rc = gateway->ops->read_key ? gateway->ops->read_key(gateway, key_id, &now, &gerr) : -1;
    if (!gateway->ops->read_key)
        snprintf(gerr.message, sizeof gerr.message, "this gateway cannot read a key back");
    if (rc == TG_GATEWAY_KEY_GONE) {
        out->readback = TG_READBACK_GONE;
        snprintf(out->shows, sizeof out->shows, "gone");
    } else if (rc != 0) {
        out->readback = TG_READBACK_FAILED;
        snprintf(out->shows, sizeof out->shows, "could not read the key back: %.120s", gerr.message);
    } else {
        out->readback = now.revoked ? TG_READBACK_CUT_OFF : TG_READBACK_ACTIVE;
        snprintf(out->shows, sizeof out->shows, "%s", *now.state ? now.state : now.revoked ? "revoked" : "active");
    }
}

/* What the audit row's result says: ok only when verified. */
static void audit_result(const struct tg_revoke_result *r, const char *write_error, char *buf, size_t len)
{
    if (r->ok && r->write_ok)
        snprintf(buf, len, "ok");
    else if (r->ok)
        snprintf(buf, len, "ok: the gateway shows the key %s (the call itself: %.300s)", r->shows, write_error);
    else if (r->write_ok && r->readback == TG_READBACK_ACTIVE)
        snprintf(buf, len, "unverified: gateway still shows key %s", r->shows);
    else if (r->write_ok)
        snprintf(buf, len, "unverified: %s", r->shows);
    else if (r->readback == TG_READBACK_ACTIVE)
        snprintf(buf, len, "failed: %.300s; gateway shows key %s", write_error, r->shows);
    else
        snprintf(buf, len, "failed: %.300s; %s", write_error, r->shows);
}

static void user_message(const struct tg_key_row *key, const struct tg_gateway *gateway, bool also_delete,
                         const char *write_error, struct tg_revoke_result *r)
{
    const char *name = tg_key_label(key);
    if (r->ok && r->write_ok)
        snprintf(r->message, sizeof r->message, "revoked %.200s at %s (HTTP %ld)%s; verified: the gateway shows it %s",
                 name, gateway->ops->name, r->status, also_delete ? ", and deleted" : "", r->shows);
    else if (r->ok)
        snprintf(r->message, sizeof r->message,
                 "revoked %.100s at %s: the gateway shows it %s, though the call itself failed (%.300s)", name,
                 gateway->ops->name, r->shows, write_error);
    else if (r->write_ok && r->readback == TG_READBACK_ACTIVE)
        snprintf(r->message, sizeof r->message,
                 "NOT revoked: %s answered HTTP %ld, but reading %.200s back it still shows the key %s", gateway->ops->name,
                 r->status, name, r->shows);
    else if (r->write_ok)
        snprintf(r->message, sizeof r->message,
                 "not known whether %.200s is revoked: %s answered HTTP %ld, but %s; check with `tollgate keys`", name,
                 gateway->ops->name, r->status, r->shows);
    else if (r->readback == TG_READBACK_ACTIVE)
        snprintf(r->message, sizeof r->message, "%.300s; the gateway shows the key %s", write_error, r->shows);
    else
        snprintf(r->message, sizeof r->message, "%.300s; %s: whether it is revoked is not known (check with `tollgate keys`)",
                 write_error, r->shows);
}

/* The db follows what the read-back showed: revoked since the call, active,
 * or (unknown) unchanged. */
static int record_state(struct tg_store *store, const struct tg_key_row *key, const struct tg_revoke_result *r,
                        int64_t revoked_at, char *err, size_t errlen)
{
    if (r->ok) {
        if (tg_keys_set_status(store, key->row_id, "revoked", err, errlen) != 0)
            return -1;
        return tg_store_set_key_revoked(store, key->row_id, revoked_at, err, errlen);
    }
    if (r->readback == TG_READBACK_ACTIVE && tg_keys_set_status(store, key->row_id, "active", err, errlen) != 0)
        return -1;
    return 0;
}

int tg_revoke_key(struct tg_store *store, struct tg_gateway *gateway, const struct tg_key_row *key,
                  const char *actor, const char *reason, bool also_delete, struct tg_revoke_result *out)
{
    memset(out, 0, sizeof *out);
    char target[512], detail[300], err[512];
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
    int64_t revoked_at = tg_now_ms();
    struct tg_gateway_error gerr;
    out->write_ok = gateway->ops->revoke_key(gateway, key->key_id, also_delete, &gerr) == 0;
    out->status = gerr.status;
    out->write_refused = !out->write_ok && (gerr.refused || gerr.not_sent);
    read_back(gateway, key->key_id, out);
    out->ok = out->readback == TG_READBACK_CUT_OFF || out->readback == TG_READBACK_GONE;
    snprintf(detail, sizeof detail, "%s, HTTP %ld, read back: %s", gateway->ops->name, gerr.status, out->shows);
    user_message(key, gateway, also_delete, gerr.message, out);
    char result[700];
    audit_result(out, gerr.message, result, sizeof result);
    if (record_state(store, key, out, revoked_at, err, sizeof err) != 0) {
        size_t n = strlen(out->message);
        snprintf(out->message + n, sizeof out->message - n, "; the db could not record it: %s", err);
        n = strlen(result);
        snprintf(result + n, sizeof result - n, " (db not updated)");
    }
    if (tg_audit_add(store, actor, action, target, reason, result, detail, err, sizeof err) != 0) {
        size_t n = strlen(out->message);
        snprintf(out->message + n, sizeof out->message - n, "; the audit log could not be written: %s", err);
    }
    return out->ok ? 0 : -1;
}
