#include "ops/keyhygiene.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/timeutil.h"
#include "ops/keys.h"

#define AS_NAME(id, name) name,
static const char *const kind_names[TG_KEY_NFINDINGS] = {TG_KEY_FINDING_LIST(AS_NAME)};

const char *tg_key_finding_name(enum tg_key_finding_kind kind)
{
    return kind_names[kind];
}

static int add(struct tg_key_findings *out, enum tg_key_finding_kind kind, const struct tg_key_row *k,
               char *users, int64_t count)
{
    struct tg_key_finding *grown = realloc(out->items, (out->count + 1) * sizeof *grown);
    if (!grown) {
        free(users);
        return -1;
    }
    out->items = grown;
    struct tg_key_finding *f = &grown[out->count++];
    *f = (struct tg_key_finding){.kind = kind, .key_row = k->row_id, .users = users, .count = count,
                                 .last_used_ms = k->last_used_ms, .created_ms = k->created_ms};
    f->key = strdup(tg_key_label(k));
    f->owner = k->owner ? strdup(k->owner) : NULL;
    return f->key ? 0 : -1;
}

static bool revoked(const struct tg_key_row *k)
{
    return strcmp(k->status, "revoked") == 0;
}

/* The developers who used each key since `since_day`, "alice, bob", in a map
 * from the key's row id; only keys with two or more are kept. */
struct sharing {
    int64_t key_row;
    struct strbuf users;
    int64_t count;
};

static int read_sharing(struct tg_store *store, int64_t since_day, struct sharing **out, size_t *n, char *err,
                        size_t errlen)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store),
                           "SELECT r.key_id, d.ident FROM rollup_daily r JOIN developers d ON d.id = r.developer_id"
                           " WHERE r.day >= ?1 AND r.key_id > 0 GROUP BY r.key_id, r.developer_id"
                           " ORDER BY r.key_id, d.ident",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading who used which key", err, errlen);
    sqlite3_bind_int64(st, 1, since_day);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t key = sqlite3_column_int64(st, 0);
        const char *who = (const char *)sqlite3_column_text(st, 1);
        if (*n == 0 || (*out)[*n - 1].key_row != key) {
            struct sharing *grown = realloc(*out, (*n + 1) * sizeof *grown);
            if (!grown)
                break;
            *out = grown;
            (*out)[(*n)++] = (struct sharing){.key_row = key, .users = STRBUF_INIT};
        }
        struct sharing *s = &(*out)[*n - 1];
        strbuf_printf(&s->users, "%s%s", s->count ? ", " : "", who ? who : "?");
        s->count++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return tg_store_fail(store, "reading who used which key", err, errlen);
    if (rc == SQLITE_ROW) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static void free_sharing(struct sharing *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        strbuf_free(&s[i].users);
    free(s);
}

static const struct sharing *sharing_of(const struct sharing *s, size_t n, int64_t key_row)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i].key_row == key_row)
            return &s[i];
    }
    return NULL;
}

/* Requests on a revoked key later than its revocation (ops/keys read them
 * with the key): one finding per key, its attempts in count and the latest in
 * last_used_ms. */
static int used_after_revocation(const struct tg_key_rows *keys, struct tg_key_findings *out, char *err,
                                 size_t errlen)
{
    for (size_t i = 0; i < keys->count; i++) {
        const struct tg_key_row *k = &keys->rows[i];
        if (!revoked(k))
            continue;
        const struct tg_store_after_revocation after = k->after_revocation;
        if (after.attempts <= 0)
            continue;
        if (add(out, TG_KEY_USED_AFTER_REVOCATION, k, NULL, after.attempts) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        out->items[out->count - 1].last_used_ms = after.last_ms;
    }
    return 0;
}

static int classify(const struct tg_key_rows *keys, const struct sharing *shared, size_t nshared, int64_t now_ms,
                    int dormant_days, struct tg_key_findings *out)
{
    int64_t dormant_before = now_ms - (int64_t)dormant_days * TG_DAY_MS;
    for (size_t i = 0; i < keys->count; i++) {
        const struct tg_key_row *k = &keys->rows[i];
        if (revoked(k))
            continue;
        int rc = 0;
        if (k->last_used_ms < 0 && !k->in_logs && k->gateway_known && k->at_gateway)
            rc = add(out, TG_KEY_NEVER_USED, k, NULL, 0);
        else if (k->last_used_ms >= 0 && k->last_used_ms <= dormant_before &&
                 !tg_key_missing_at_gateway(k))
            rc = add(out, TG_KEY_DORMANT, k, NULL, 0);
        const struct sharing *s = sharing_of(shared, nshared, k->row_id);
        if (rc == 0 && s && s->count > 1) {
            char *users = strdup(s->users.data ? s->users.data : "");
            rc = users ? add(out, TG_KEY_SHARED, k, users, s->count) : -1;
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

int tg_key_hygiene(struct tg_store *store, int64_t now_ms, int dormant_days, struct tg_key_findings *out,
                   char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    struct tg_key_rows keys;
    if (tg_keys_list_brief(store, now_ms, &keys, err, errlen) != 0) {
        tg_key_rows_free(&keys);
        return -1;
    }
    struct sharing *shared;
    size_t nshared;
    int64_t since_day = (now_ms - (int64_t)dormant_days * TG_DAY_MS) / TG_DAY_MS;
    int rc = read_sharing(store, since_day, &shared, &nshared, err, errlen);
    if (rc == 0 && classify(&keys, shared, nshared, now_ms, dormant_days, out) != 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc == 0)
        rc = used_after_revocation(&keys, out, err, errlen);
    free_sharing(shared, nshared);
    tg_key_rows_free(&keys);
    if (rc != 0)
        tg_key_findings_free(out);
    return rc;
}

void tg_key_findings_free(struct tg_key_findings *findings)
{
    for (size_t i = 0; i < findings->count; i++) {
        free(findings->items[i].key);
        free(findings->items[i].owner);
        free(findings->items[i].users);
    }
    free(findings->items);
    memset(findings, 0, sizeof *findings);
}
