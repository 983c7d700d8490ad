/* Keys and the audit trail: what the db knows of each gateway key (from logs
 * and from the gateway), its spend and use, and the record of who revoked what. */
#ifndef TG_KEYS_H
#define TG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/gateway.h"
#include "base/money.h"
#include "store/store.h"

struct tg_key_row {
    int64_t row_id;
    char *key_id;   /* the gateway's id, NULL when only logs named the key */
    char *name;     /* NULL when nobody named it */
    char *shown;    /* prefix or masked value from the gateway */
    char *owner;    /* the developer who used it, else who the gateway says owns it */
    char *team;     /* the gateway's team for it (LiteLLM), NULL when none */
    char *status;   /* "active", "revoked" or "unknown" */
    int64_t created_ms, last_used_ms; /* -1 when unknown */
    int64_t requests_30d, requests_last_hour;
    tg_nanos spend_30d;
    bool in_logs;    /* seen in logs */
    bool at_gateway; /* listed by the gateway the last time it was asked */
    bool gateway_known; /* the gateway was ever asked, so at_gateway means something */
    struct tg_store_after_revocation after_revocation; /* revoked_ms -1 when not revoked */
};

struct tg_key_rows {
    struct tg_key_row *rows;
    size_t count;
};

void tg_key_rows_free(struct tg_key_rows *rows);

/* Records the gateway's list: updates or adds each key, matched to keys seen in
 * logs by id, else by name, and remembers which keys the gateway listed now. */
int tg_keys_merge_gateway(struct tg_store *store, const struct tg_key_list *list, int64_t now_ms, char *err,
                          size_t errlen);

/* Asks the gateway for its keys and records them (tg_keys_merge_gateway).
 * Returns 0; TG_KEYS_GATEWAY_FAILED when the gateway could not list them
 * (err has its words, unsanitised; the db is unchanged and still usable); -1
 * when the db could not record them. */
enum { TG_KEYS_GATEWAY_FAILED = 1 };
int tg_keys_refresh(struct tg_store *store, struct tg_gateway *gateway, int64_t now_ms, char *err, size_t errlen);

/* When the gateway last listed its keys (tg_keys_refresh), -1 never: a key
 * missing from that listing is "not at gateway". */
int64_t tg_keys_last_listing(struct tg_store *store);

/* Every key (or a developer's), with 30-day spend, most spend first. */
int tg_keys_list(struct tg_store *store, int64_t now_ms, const char *developer, struct tg_key_rows *out, char *err,
                 size_t errlen);

/* Every key without the 30-day figures (requests_30d and spend_30d are 0),
 * by name: quick, for a screen that shows its own window's spend. */
int tg_keys_list_brief(struct tg_store *store, int64_t now_ms, struct tg_key_rows *out, char *err, size_t errlen);

/* A key by its name or id: 0 and *out filled (free with tg_key_rows_free), 1 when
 * there is none, 2 when the name fits several (err names them), -1 on error. */
int tg_keys_find(struct tg_store *store, const char *name_or_id, int64_t now_ms, struct tg_key_rows *out, char *err,
                 size_t errlen);

/* Use after revocation of one key (its row_id): requests later than its
 * revocation, how many the gateway refused (401 / 403), how many failed, the
 * latest. For `keys`, `audit`, the Keys screen and `tollgate check`. */
int tg_keys_after_revocation(struct tg_store *store, int64_t key_row, struct tg_store_after_revocation *out, char *err,
                             size_t errlen);

/* "10 attempts after revocation, last 21:40" (the date too when not today,
 * UTC), with "(N answered: the key still works?)" when any succeeded. Only
 * for a key with after_revocation.attempts > 0. */
void tg_key_after_revocation_text(const struct tg_key_row *key, int64_t now_ms, char *buf, size_t len);

int tg_keys_set_status(struct tg_store *store, int64_t row_id, const char *status, char *err, size_t errlen);

/* The key's display name: its name, else its id. */
const char *tg_key_label(const struct tg_key_row *key);

/* A key the gateway has an id for, not revoked, that the gateway did not list
 * the last time it was asked: deleted there, or another gateway's. */
bool tg_key_missing_at_gateway(const struct tg_key_row *key);

/* The status to show: "not at gateway" for such a key, else its status. */
const char *tg_key_status(const struct tg_key_row *key);

struct tg_audit_event {
    int64_t ts_ms;
    char *actor, *action, *target, *reason, *result, *detail;
};

struct tg_audit_events {
    struct tg_audit_event *items;
    size_t count;
};

int tg_audit_add(struct tg_store *store, const char *actor, const char *action, const char *target,
                 const char *reason, const char *result, const char *detail, char *err, size_t errlen);
/* Newest first; limit 0 = all. */
int tg_audit_list(struct tg_store *store, size_t limit, struct tg_audit_events *out, char *err, size_t errlen);
void tg_audit_events_free(struct tg_audit_events *events);

#endif
