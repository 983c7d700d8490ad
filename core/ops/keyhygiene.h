/* Keys that should not exist any more, or not as they are: dormant (no
 * request in N days), shared (used by more than one developer in those N
 * days), never used (the gateway lists it, no log ever named it), and used
 * after revocation. From the key list (ops/keys: the gateway's last listing
 * merged with the logs) and the daily rollups. */
#ifndef TG_KEYHYGIENE_H
#define TG_KEYHYGIENE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define TG_KEY_FINDING_LIST(X)                                   \
    X(TG_KEY_DORMANT, "key_dormant")                             \
    X(TG_KEY_SHARED, "key_shared")                               \
    X(TG_KEY_NEVER_USED, "key_never_used")                       \
    X(TG_KEY_USED_AFTER_REVOCATION, "key_used_after_revocation")

#define TG_KEY_FINDING_ENUM(id, name) id,
enum tg_key_finding_kind { TG_KEY_FINDING_LIST(TG_KEY_FINDING_ENUM) TG_KEY_NFINDINGS };
#undef TG_KEY_FINDING_ENUM

#define TG_KEY_DORMANT_DAYS 30

struct tg_key_finding {
    enum tg_key_finding_kind kind;
    int64_t key_row; /* the key's row in the store (ops/keys: tg_key_row.row_id) */
    char *key;     /* the key's name, else its id */
    char *owner;   /* NULL when unknown */
    char *users;   /* shared: the developers, "alice, bob"; else NULL */
    int64_t last_used_ms, created_ms; /* -1 when unknown */
    int64_t count; /* shared: developers; used after revocation: requests */
};

struct tg_key_findings {
    struct tg_key_finding *items;
    size_t count;
};

/* Every finding at now_ms; dormant_days (>= 1) is N above. 0, or -1 with err. */
int tg_key_hygiene(struct tg_store *store, int64_t now_ms, int dormant_days, struct tg_key_findings *out,
                   char *err, size_t errlen);
void tg_key_findings_free(struct tg_key_findings *findings);

const char *tg_key_finding_name(enum tg_key_finding_kind kind);

#endif
