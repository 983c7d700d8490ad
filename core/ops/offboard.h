/* Offboarding a developer: every key they could still use, one gateway call
 * per key, carrying on past a key that fails. The plain `offboard` command
 * and the Developers screen both run it from here.
 *
 * The developer is found by id (customer_identifier), e-mail or display name.
 * Their keys are every key the gateway says they own (by id or e-mail, used
 * or not), every key they used (ever: from the rollups), and every key they
 * were first seen on. A key someone else used too is shared: it is listed
 * with who and when, and revoked only when the lead confirms it (all shared
 * keys, or by name), since revoking it cuts the others off too. */
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
    TG_OFFBOARD_SHARED_HELD,     /* shared and not confirmed: left as it is */
    TG_OFFBOARD_REVOKED,
    TG_OFFBOARD_FAILED,          /* result says why; the key stays as it was */
};

/* Why a key is the developer's (a key can be both). */
enum { TG_OFFBOARD_OWNED = 1, TG_OFFBOARD_USED = 2 };

struct tg_offboard_step {
    const struct tg_key_row *key;   /* points into the plan's keys */
    enum tg_offboard_state state;
    unsigned why;                   /* TG_OFFBOARD_OWNED | TG_OFFBOARD_USED */
    int64_t last_used_by_them_ms;   /* -1 when they never used it */
    struct tg_store_key_user *others; /* the other developers who used it: shared when any */
    size_t others_count;
    struct tg_revoke_result result; /* once tried */
};

struct tg_offboard_options {
    bool include_shared;             /* revoke every shared key too */
    const char *const *confirmed;    /* shared keys confirmed one by one (name or id) */
    size_t confirmed_count;
};

struct tg_offboard_plan {
    struct tg_store_developer developer; /* id 0 when only the gateway's owner field named them */
    struct tg_key_rows keys;         /* every key of the developer, as tg_keys_list gives them */
    struct tg_offboard_step *steps;  /* one per key, in the same order */
    size_t count;
    size_t to_revoke, shared_held, revoked, failed;
};

/* Every key of `developer` and what offboarding does to each (options may be
 * NULL: shared keys held). 0; 2 when the name fits several developers or a
 * confirmed key is not theirs (err says which); -1 with err. A developer
 * without keys gives an empty plan, not an error. */
int tg_offboard_plan(struct tg_store *store, const char *developer, int64_t now_ms,
                     const struct tg_offboard_options *options, struct tg_offboard_plan *out, char *err,
                     size_t errlen);

/* Revokes each key the plan has TG_OFFBOARD_TO_REVOKE, through tg_revoke_key
 * (one audit row per key, verified by reading it back), and calls on_step
 * (may be NULL) after each step, the others included, in the plan's order.
 * Returns how many failed. */
size_t tg_offboard_apply(struct tg_store *store, struct tg_gateway *gateway, struct tg_offboard_plan *plan,
                         const char *actor, const char *reason, bool also_delete,
                         void (*on_step)(void *ctx, const struct tg_offboard_step *step), void *ctx);

void tg_offboard_plan_free(struct tg_offboard_plan *plan);

#endif
