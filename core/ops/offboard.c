#include "ops/offboard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tg_offboard_plan(struct tg_store *store, const char *developer, int64_t now_ms, struct tg_offboard_plan *out,
                     char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (tg_keys_list(store, now_ms, developer, &out->keys, err, errlen) != 0)
        return -1;
    if (out->keys.count == 0)
        return 0;
    out->steps = calloc(out->keys.count, sizeof *out->steps);
    if (!out->steps) {
        tg_key_rows_free(&out->keys);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    out->count = out->keys.count;
    for (size_t i = 0; i < out->count; i++) {
        struct tg_offboard_step *s = &out->steps[i];
        s->key = &out->keys.rows[i];
        s->state = strcmp(s->key->status, "revoked") == 0 ? TG_OFFBOARD_ALREADY_REVOKED : TG_OFFBOARD_TO_REVOKE;
        out->to_revoke += s->state == TG_OFFBOARD_TO_REVOKE;
    }
    return 0;
}

size_t tg_offboard_apply(struct tg_store *store, struct tg_gateway *gateway, struct tg_offboard_plan *plan,
                         const char *actor, const char *reason, bool also_delete,
                         void (*on_step)(void *ctx, const struct tg_offboard_step *step), void *ctx)
{
    for (size_t i = 0; i < plan->count; i++) {
        struct tg_offboard_step *s = &plan->steps[i];
        if (s->state == TG_OFFBOARD_TO_REVOKE) {
            bool ok = tg_revoke_key(store, gateway, s->key, actor, reason, also_delete, &s->result) == 0;
            s->state = ok ? TG_OFFBOARD_REVOKED : TG_OFFBOARD_FAILED;
            plan->to_revoke--;
            if (ok)
                plan->revoked++;
            else
                plan->failed++;
        }
        if (on_step)
            on_step(ctx, s);
    }
    return plan->failed;
}

void tg_offboard_plan_free(struct tg_offboard_plan *plan)
{
    tg_key_rows_free(&plan->keys);
    free(plan->steps);
    memset(plan, 0, sizeof *plan);
}
