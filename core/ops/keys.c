#include "ops/keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "store/sqlbind.h"


static char *column_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

static int64_t column_ms(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

static int run(sqlite3_stmt *st, struct tg_store *store, const char *what, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return tg_store_fail(store, what, err, errlen);
    return 0;
}

/* A key the gateway shows revoked keeps the time it was first known to be
 * (tollgate's own revocation, else the expiry the gateway gives, else now);
 * one it shows active again has none. */
#define UPDATE_KEY                                                                                     \
    "UPDATE keys SET key_id = ?1, name = coalesce(?2, name), shown = ?3, owner_hint = ?4, created_ms = ?5," \
    " gateway_last_used_ms = ?6, gateway_seen_ms = ?7, status = ?8,"                                      \
    " revoked_ms = CASE WHEN ?8 = 'revoked' THEN coalesce(revoked_ms, ?9) END, team = ?10 WHERE "
static const char update_by_id[] = UPDATE_KEY "ident = ?1 OR key_id = ?1";
/* a key that logs knew only by name */
static const char update_by_name[] = UPDATE_KEY "id = (SELECT id FROM keys WHERE key_id IS NULL AND name = ?2 LIMIT 1)";

/* Runs one of the updates above; returns the rows changed, or -1. */
static int update_key(struct tg_store *store, const char *sql, const struct tg_gateway_key *k, int64_t now,
                      char *err, size_t errlen)
{
    sqlite3 *db = tg_store_sqlite(store);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "updating a key", err, errlen);
    tg_sql_bind_text(st, 1, k->id);
    tg_sql_bind_text(st, 2, k->name);
    tg_sql_bind_text(st, 3, k->shown);
    tg_sql_bind_text(st, 4, k->owner);
    tg_sql_bind_ms(st, 5, k->created_ms);
    tg_sql_bind_ms(st, 6, k->last_used_ms);
    sqlite3_bind_int64(st, 7, now);
    sqlite3_bind_text(st, 8, k->revoked ? "revoked" : "active", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, k->revoked_ms >= 0 && k->revoked_ms <= now ? k->revoked_ms : now);
    tg_sql_bind_text(st, 10, k->team);
    if (run(st, store, "updating a key", err, errlen) != 0)
        return -1;
    return sqlite3_changes(db);
}

static int merge_one(struct tg_store *store, const struct tg_gateway_key *k, int64_t now, char *err, size_t errlen)
{
    int n = update_key(store, update_by_id, k, now, err, errlen);
    if (n == 0 && *k->name)
        n = update_key(store, update_by_name, k, now, err, errlen);
    if (n != 0)
        return n < 0 ? -1 : 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store),
                           "INSERT INTO keys(ident, key_id, name, status) VALUES(?1, ?1, ?2, 'unknown')", -1, &st,
                           NULL) != SQLITE_OK)
        return tg_store_fail(store, "adding a key", err, errlen);
    tg_sql_bind_text(st, 1, k->id);
    tg_sql_bind_text(st, 2, k->name);
    if (run(st, store, "adding a key", err, errlen) != 0)
        return -1;
    return update_key(store, update_by_id, k, now, err, errlen) < 0 ? -1 : 0;
}

int tg_keys_merge_gateway(struct tg_store *store, const struct tg_key_list *list, int64_t now_ms, char *err,
                          size_t errlen)
{
    if (tg_store_begin(store, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < list->count; i++) {
        if (!*list->items[i].id)
            continue;
        if (merge_one(store, &list->items[i], now_ms, err, errlen) != 0) {
            tg_store_rollback(store);
            return -1;
        }
    }
    sqlite3_stmt *st;
    /* the time of this listing, so keys missing from it can be told apart */
    if (sqlite3_prepare_v2(tg_store_sqlite(store),
                           "INSERT INTO sync_state(source, position, updated_ms) VALUES('gateway keys', ?1, ?1)"
                           " ON CONFLICT(source) DO UPDATE SET position = excluded.position,"
                           " updated_ms = excluded.updated_ms",
                           -1, &st, NULL) != SQLITE_OK ||
        (sqlite3_bind_int64(st, 1, now_ms), run(st, store, "recording the key listing", err, errlen) != 0)) {
        tg_store_rollback(store);
        return -1;
    }
    return tg_store_commit(store, err, errlen);
}

int64_t tg_keys_last_listing(struct tg_store *store)
{
    sqlite3_stmt *st;
    int64_t ms = -1;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), "SELECT updated_ms FROM sync_state WHERE source = 'gateway keys'",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        ms = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return ms;
}

/* Columns shared by list and find. Spend and use come from the hourly rollups;
 * the exact last use from the store's last-seen time (schema 10): reading the
 * requests since the key's last hour walked weeks of rows for an idle key. */
/* The owner: the developer who first used the key, else the developer the
 * gateway's owner names (by id, or by e-mail: gateways give owners as
 * e-mails, logs as customer_identifier), else the gateway's owner as given. */
#define OWNER_EXPR                                                                                           \
    "coalesce(d.ident, (SELECT o.ident FROM developers o WHERE o.ident = k.owner_hint),"                   \
    " (SELECT min(o.ident) FROM developers o WHERE o.email = k.owner_hint COLLATE NOCASE), k.owner_hint)"
#define KEY_SELECT                                                                                           \
    "SELECT k.id, k.key_id, k.name, k.shown, " OWNER_EXPR ", k.status, k.created_ms,"                      \
    " k.last_seen_ms,"                                                                                       \
    " k.gateway_last_used_ms,"                                                                               \
    " coalesce(s.requests, 0), coalesce(s.cost, 0),"                                                         \
    " (SELECT count(*) FROM requests r WHERE r.ts_ms >= ?2 AND r.key_id = k.id),"                           \
    " k.first_seen_ms IS NOT NULL, k.gateway_seen_ms, k.team"                                                \
    " FROM keys k LEFT JOIN developers d ON d.id = k.developer_id"
/* one pass over the 30 days of hourly rows in their own order: a lookup per
 * row through rollup_by_key took 300 ms on 1M requests */
#define KEY_COLUMNS                                                                                          \
    KEY_SELECT " LEFT JOIN (SELECT key_id, sum(requests) AS requests, sum(cost_nanos) AS cost"               \
               " FROM rollup_hourly WHERE hour >= ?1 / 3600000 GROUP BY key_id) s ON s.key_id = k.id"
/* the same without the 30-day sums (0): for a screen with its own window's spend */
#define KEY_COLUMNS_BRIEF                                                                                    \
    KEY_SELECT " LEFT JOIN (SELECT NULL AS key_id, 0 AS requests, 0 AS cost) s ON ?1 IS NULL"

static int collect_rows(struct tg_store *store, sqlite3_stmt *st, int64_t now_ms, struct tg_key_rows *out,
                        char *err, size_t errlen)
{
    int64_t listed = tg_keys_last_listing(store);
    sqlite3_bind_int64(st, 1, now_ms - 30 * TG_DAY_MS);
    sqlite3_bind_int64(st, 2, now_ms - TG_HOUR_MS);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct tg_key_row *rows = realloc(out->rows, (out->count + 1) * sizeof *rows);
        if (!rows) {
            sqlite3_finalize(st);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        out->rows = rows;
        struct tg_key_row *k = &rows[out->count++];
        k->row_id = sqlite3_column_int64(st, 0);
        k->key_id = column_text(st, 1);
        k->name = column_text(st, 2);
        k->shown = column_text(st, 3);
        k->owner = column_text(st, 4);
        k->status = column_text(st, 5);
        k->created_ms = column_ms(st, 6);
        int64_t from_logs = column_ms(st, 7), from_gateway = column_ms(st, 8);
        k->last_used_ms = from_logs > from_gateway ? from_logs : from_gateway;
        k->requests_30d = sqlite3_column_int64(st, 9);
        k->spend_30d = sqlite3_column_int64(st, 10);
        k->requests_last_hour = sqlite3_column_int64(st, 11);
        k->in_logs = sqlite3_column_int(st, 12) != 0;
        k->gateway_known = listed >= 0;
        k->at_gateway = listed >= 0 && column_ms(st, 13) == listed;
        k->team = column_text(st, 14);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "listing keys", err, errlen);
    for (size_t i = 0; i < out->count; i++) {
        struct tg_key_row *k = &out->rows[i];
        if (tg_keys_after_revocation(store, k->row_id, &k->after_revocation, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int tg_keys_after_revocation(struct tg_store *store, int64_t key_row, struct tg_store_after_revocation *out, char *err,
                             size_t errlen)
{
    return tg_store_key_after_revocation(store, key_row, out, err, errlen);
}

void tg_key_after_revocation_text(const struct tg_key_row *key, int64_t now_ms, char *buf, size_t len)
{
    const struct tg_store_after_revocation *a = &key->after_revocation;
    char iso[40], when[24];
    tg_time_format_iso(a->last_ms, iso, sizeof iso);
    if (a->last_ms / TG_DAY_MS == now_ms / TG_DAY_MS)
        snprintf(when, sizeof when, "%.5s", iso + 11);
    else
        snprintf(when, sizeof when, "%.10s %.5s", iso, iso + 11);
    snprintf(buf, len, "%lld attempt%s after revocation, last %s", (long long)a->attempts, a->attempts == 1 ? "" : "s",
             when);
    size_t used = strlen(buf);
    int64_t answered = a->attempts - a->failed;
    if (answered > 0)
        snprintf(buf + used, len - used, " (%lld answered: the key still works?)", (long long)answered);
    else if (a->refused > 0)
        snprintf(buf + used, len - used, " (%lld refused)", (long long)a->refused);
}

static int list_keys(struct tg_store *store, const char *sql, int64_t now_ms, const char *developer,
                     struct tg_key_rows *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "listing keys", err, errlen);
    if (developer)
        sqlite3_bind_text(st, 3, developer, -1, SQLITE_TRANSIENT);
    return collect_rows(store, st, now_ms, out, err, errlen);
}

int tg_keys_list(struct tg_store *store, int64_t now_ms, const char *developer, struct tg_key_rows *out, char *err,
                 size_t errlen)
{
    return list_keys(store, KEY_COLUMNS " WHERE ?3 IS NULL OR " OWNER_EXPR " = ?3 ORDER BY 11 DESC, 10 DESC, k.name",
                     now_ms, developer, out, err, errlen);
}

int tg_keys_list_brief(struct tg_store *store, int64_t now_ms, struct tg_key_rows *out, char *err, size_t errlen)
{
    return list_keys(store, KEY_COLUMNS_BRIEF " WHERE ?3 IS NULL OR " OWNER_EXPR " = ?3 ORDER BY k.name", now_ms, NULL,
                     out, err, errlen);
}

int tg_keys_find(struct tg_store *store, const char *name_or_id, int64_t now_ms, struct tg_key_rows *out, char *err,
                 size_t errlen)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store),
                           KEY_COLUMNS " WHERE k.key_id = ?3 OR k.ident = ?3 OR k.name = ?3 ORDER BY k.id", -1, &st,
                           NULL) != SQLITE_OK)
        return tg_store_fail(store, "finding a key", err, errlen);
    sqlite3_bind_text(st, 3, name_or_id, -1, SQLITE_TRANSIENT);
    if (collect_rows(store, st, now_ms, out, err, errlen) != 0)
        return -1;
    if (out->count == 0)
        return 1;
    if (out->count > 1) {
        snprintf(err, errlen, "%zu keys are named '%s': give the id instead (see `tollgate keys`)", out->count,
                 name_or_id);
        return 2;
    }
    return 0;
}

int tg_keys_set_status(struct tg_store *store, int64_t row_id, const char *status, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), "UPDATE keys SET status = ?1 WHERE id = ?2", -1, &st, NULL) !=
        SQLITE_OK)
        return tg_store_fail(store, "updating a key", err, errlen);
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, row_id);
    return run(st, store, "updating a key", err, errlen);
}

const char *tg_key_label(const struct tg_key_row *key)
{
    return key->name ? key->name : key->key_id ? key->key_id : "(unnamed)";
}

bool tg_key_missing_at_gateway(const struct tg_key_row *key)
{
    return key->gateway_known && !key->at_gateway && key->key_id && strcmp(key->status, "revoked") != 0;
}

const char *tg_key_status(const struct tg_key_row *key)
{
    return tg_key_missing_at_gateway(key) ? "not at gateway" : key->status;
}

int tg_keys_refresh(struct tg_store *store, struct tg_gateway *gateway, int64_t now_ms, char *err, size_t errlen)
{
    struct tg_key_list list = {0};
    struct tg_gateway_error gerr;
    int rc = 0;
    if (gateway->ops->list_keys(gateway, &list, &gerr) != 0) {
        snprintf(err, errlen, "%s", gerr.message);
        rc = TG_KEYS_GATEWAY_FAILED;
    } else if (tg_keys_merge_gateway(store, &list, now_ms, err, errlen) != 0) {
        rc = -1;
    }
    tg_key_list_free(&list);
    return rc;
}

void tg_key_rows_free(struct tg_key_rows *rows)
{
    for (size_t i = 0; i < rows->count; i++) {
        struct tg_key_row *k = &rows->rows[i];
        free(k->key_id);
        free(k->name);
        free(k->shown);
        free(k->owner);
        free(k->team);
        free(k->status);
    }
    free(rows->rows);
    memset(rows, 0, sizeof *rows);
}

int tg_audit_add(struct tg_store *store, const char *actor, const char *action, const char *target,
                 const char *reason, const char *result, const char *detail, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store),
                           "INSERT INTO audit(ts_ms, actor, action, target, reason, result, detail)"
                           " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "writing the audit log", err, errlen);
    sqlite3_bind_int64(st, 1, tg_now_ms());
    sqlite3_bind_text(st, 2, actor, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, action, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, target, -1, SQLITE_TRANSIENT);
    tg_sql_bind_text(st, 5, reason);
    sqlite3_bind_text(st, 6, result, -1, SQLITE_TRANSIENT);
    tg_sql_bind_text(st, 7, detail);
    return run(st, store, "writing the audit log", err, errlen);
}

int tg_audit_list(struct tg_store *store, size_t limit, struct tg_audit_events *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store),
                           "SELECT ts_ms, actor, action, target, reason, result, detail FROM audit"
                           " ORDER BY ts_ms DESC, id DESC LIMIT ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading the audit log", err, errlen);
    sqlite3_bind_int64(st, 1, limit ? (int64_t)limit : -1);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct tg_audit_event *items = realloc(out->items, (out->count + 1) * sizeof *items);
        if (!items)
            break;
        out->items = items;
        struct tg_audit_event *e = &items[out->count++];
        e->ts_ms = sqlite3_column_int64(st, 0);
        e->actor = column_text(st, 1);
        e->action = column_text(st, 2);
        e->target = column_text(st, 3);
        e->reason = column_text(st, 4);
        e->result = column_text(st, 5);
        e->detail = column_text(st, 6);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "reading the audit log", err, errlen);
    return 0;
}

void tg_audit_events_free(struct tg_audit_events *events)
{
    for (size_t i = 0; i < events->count; i++) {
        struct tg_audit_event *e = &events->items[i];
        free(e->actor);
        free(e->action);
        free(e->target);
        free(e->reason);
        free(e->result);
        free(e->detail);
    }
    free(events->items);
    memset(events, 0, sizeof *events);
}
