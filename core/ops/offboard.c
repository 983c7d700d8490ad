#include "ops/offboard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool contains(const int64_t *rows, size_t n, int64_t row)
{
    for (size_t i = 0; i < n; i++) {
        if (rows[i] == row)
            return true;
    }
    return false;
}

/* Keeps the keys in `rows` of every key, moving them into out. */
static int keep_keys(struct tg_key_rows *all, const int64_t *rows, size_t n, struct tg_key_rows *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->rows = calloc(n ? n : 1, sizeof *out->rows);
    if (!out->rows) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < all->count; i++) {
        if (!contains(rows, n, all->rows[i].row_id))
            continue;
        out->rows[out->count++] = all->rows[i];
        memset(&all->rows[i], 0, sizeof all->rows[i]); /* moved: freed with out */
    }
    return 0;
}

static bool owned_by(const struct tg_key_row *k, const struct tg_store_developer *dev, const char *who)
{
    return k->owner && (strcmp(k->owner, dev->ident) == 0 || strcasecmp(k->owner, who) == 0 ||
                        (*dev->email && strcasecmp(k->owner, dev->email) == 0));
}

static bool confirmed(const struct tg_offboard_options *o, const struct tg_key_row *k)
{
    if (!o)
        return false;
    if (o->include_shared)
        return true;
    for (size_t i = 0; i < o->confirmed_count; i++) {
        if (strcmp(o->confirmed[i], tg_key_label(k)) == 0 || (k->key_id && strcmp(o->confirmed[i], k->key_id) == 0))
            return true;
    }
    return false;
}

/* Splits who used the key into the developer (their last use) and the others. */
static int classify(struct tg_store *store, struct tg_offboard_plan *plan, struct tg_offboard_step *s, const char *who,
                    char *err, size_t errlen)
{
    struct tg_store_key_user *users;
    size_t n;
    if (tg_store_key_users(store, s->key->row_id, &users, &n, err, errlen) != 0)
        return -1;
    s->last_used_by_them_ms = -1;
    s->others = users;
    for (size_t i = 0; i < n; i++) {
        if (plan->developer.id && users[i].developer_id == plan->developer.id)
            s->last_used_by_them_ms = users[i].last_ms;
        else
            users[s->others_count++] = users[i];
    }
    s->why = (owned_by(s->key, &plan->developer, who) ? TG_OFFBOARD_OWNED : 0) |
             (s->last_used_by_them_ms >= 0 ? TG_OFFBOARD_USED : 0);
    return 0;
}

static int check_confirmed_are_theirs(const struct tg_offboard_plan *plan, const struct tg_offboard_options *o,
                                      char *err, size_t errlen)
{
    for (size_t i = 0; o && i < o->confirmed_count; i++) {
        bool found = false;
        for (size_t j = 0; j < plan->count && !found; j++) {
            const struct tg_key_row *k = plan->steps[j].key;
            found = strcmp(o->confirmed[i], tg_key_label(k)) == 0 || (k->key_id && strcmp(o->confirmed[i], k->key_id) == 0);
        }
        if (!found) {
            snprintf(err, errlen, "'%.100s' is not one of %.100s's keys", o->confirmed[i], plan->developer.ident);
            return 2;
        }
    }
    return 0;
}

static int build_steps(struct tg_store *store, struct tg_offboard_plan *out, const char *who,
                       const struct tg_offboard_options *options, char *err, size_t errlen)
{
    out->steps = calloc(out->keys.count ? out->keys.count : 1, sizeof *out->steps);
    if (!out->steps) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    out->count = out->keys.count;
    for (size_t i = 0; i < out->count; i++) {
        struct tg_offboard_step *s = &out->steps[i];
        s->key = &out->keys.rows[i];
        if (classify(store, out, s, who, err, errlen) != 0)
            return -1;
        if (strcmp(s->key->status, "revoked") == 0)
            s->state = TG_OFFBOARD_ALREADY_REVOKED;
        else if (s->others_count && !confirmed(options, s->key))
            s->state = TG_OFFBOARD_SHARED_HELD;
        else
            s->state = TG_OFFBOARD_TO_REVOKE;
        out->to_revoke += s->state == TG_OFFBOARD_TO_REVOKE;
        out->shared_held += s->state == TG_OFFBOARD_SHARED_HELD;
    }
    return 0;
}

int tg_offboard_plan(struct tg_store *store, const char *developer, int64_t now_ms,
                     const struct tg_offboard_options *options, struct tg_offboard_plan *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    int found = tg_store_find_developer(store, developer, &out->developer, err, errlen);
    if (found < 0 || found == 2)
        return found;
    if (found == 1) /* only a gateway's owner field may name them */
        snprintf(out->developer.ident, sizeof out->developer.ident, "%s", developer);
    int64_t *rows = NULL;
    size_t n = 0;
    struct tg_key_rows all;
    if (tg_store_developer_keys(store, &out->developer, developer, &rows, &n, err, errlen) != 0)
        return -1;
    int rc = tg_keys_list(store, now_ms, NULL, &all, err, errlen);
    if (rc == 0)
        rc = keep_keys(&all, rows, n, &out->keys, err, errlen);
    free(rows);
    tg_key_rows_free(&all);
    if (rc == 0)
        rc = build_steps(store, out, developer, options, err, errlen);
    if (rc == 0)
        rc = check_confirmed_are_theirs(out, options, err, errlen);
    if (rc != 0)
        tg_offboard_plan_free(out);
    return rc;
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
    for (size_t i = 0; plan->steps && i < plan->count; i++)
        free(plan->steps[i].others);
    tg_key_rows_free(&plan->keys);
    free(plan->steps);
    memset(plan, 0, sizeof *plan);
}
