/* Offboarding a developer: revoking every key of theirs that is not revoked
 * yet, one gateway call per key, carrying on past a key that fails. The plain
 * `offboard` command and the Developers screen both run it from here. */
#ifndef TG_OFFBOARD_H
#define TG_OFFBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/gateway.h"
#include "ops/keys.h"
#include "ops/revoke.h"
#include "store/store.h"

enum tg_offboard_state {
    TG_OFFBOARD_ALREADY_REVOKED, /* nothing to do */
    TG_OFFBOARD_TO_REVOKE,       /* planned, not tried yet */
    TG_OFFBOARD_REVOKED,
    TG_OFFBOARD_FAILED,          /* result says why; the key stays as it was */
};

struct tg_offboard_step {
    const struct tg_key_row *key; /* points into the plan's keys */
    enum tg_offboard_state state;
    struct tg_revoke_result result; /* once tried */
};

struct tg_offboard_plan {
    struct tg_key_rows keys; /* every key of the developer, as tg_keys_list gives them */
    struct tg_offboard_step *steps; /* one per key, in the same order */
    size_t count;
    size_t to_revoke, revoked, failed;
};

/* Every key of `developer` and what offboarding does to each. 0, or -1 with
 * err. A developer without keys gives an empty plan, not an error. */
int tg_offboard_plan(struct tg_store *store, const char *developer, int64_t now_ms, struct tg_offboard_plan *out,
                     char *err, size_t errlen);

/* Revokes each key the plan has TG_OFFBOARD_TO_REVOKE, through tg_revoke_key
 * (one audit row per key), and calls on_step (may be NULL) after each step,
 * the keys already revoked included, in the plan's order. Returns how many failed. */
size_t tg_offboard_apply(struct tg_store *store, struct tg_gateway *gateway, struct tg_offboard_plan *plan,
                         const char *actor, const char *reason, bool also_delete,
                         void (*on_step)(void *ctx, const struct tg_offboard_step *step), void *ctx);

void tg_offboard_plan_free(struct tg_offboard_plan *plan);

#endif
