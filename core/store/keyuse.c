/* Who keys belong to and when they were cut off: developers found by id,
 * e-mail or name, the keys a developer used or owns, who else used a key, and
 * when each key was revoked and what was asked of it since. Counts come from
 * the hourly rollups for the hours after the revocation's own hour (so they
 * survive `prune --older-than`) and from raw requests for that hour; refused
 * attempts (401 / 403) come from the partial index requests_refused, so no
 * query here scans requests by time. */
#include "store/keyuse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "store/sqlbind.h"

int tg_store_set_key_revoked(struct tg_store *store, int64_t key_row, int64_t revoked_ms, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "UPDATE keys SET revoked_ms = ?1 WHERE id = ?2", -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "recording the revocation time", err, errlen);
    tg_sql_bind_ms(st, 1, revoked_ms);
    sqlite3_bind_int64(st, 2, key_row);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "recording the revocation time", err, errlen);
    return 0;
}

/* Runs a statement of one row, binding key_row to ?1 and ms to ?2 (when it
 * has one); calls read on the row. 0, or -1 with err. */
static int one_row(struct tg_store *store, const char *sql, int64_t key_row, int64_t ms,
                   void (*read)(sqlite3_stmt *st, struct tg_store_after_revocation *out),
                   struct tg_store_after_revocation *out, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading a key's use after revocation", err, errlen);
    sqlite3_bind_int64(st, 1, key_row);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, ms);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read(st, out);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return tg_store_fail(store, "reading a key's use after revocation", err, errlen);
    return 0;
}

static void later_max(sqlite3_stmt *st, int col, int64_t *last)
{
    if (sqlite3_column_type(st, col) != SQLITE_NULL && sqlite3_column_int64(st, col) > *last)
        *last = sqlite3_column_int64(st, col);
}

static void read_revoked(sqlite3_stmt *st, struct tg_store_after_revocation *out)
{
    out->revoked_ms = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
}

/* Counts, errors and the latest time: of the rest of the revocation's own
 * hour from raw requests, or of the hours after it from the rollups (the last
 * hour's start, then). */
static void read_counts(sqlite3_stmt *st, struct tg_store_after_revocation *out)
{
    out->attempts += sqlite3_column_int64(st, 0);
    out->failed += sqlite3_column_int64(st, 1);
    later_max(st, 2, &out->last_ms);
}

/* The exact time within the last hour the rollups name. */
static void read_last(sqlite3_stmt *st, struct tg_store_after_revocation *out)
{
    later_max(st, 0, &out->last_ms);
}

static void read_refused(sqlite3_stmt *st, struct tg_store_after_revocation *out)
{
    out->refused = sqlite3_column_int64(st, 0);
}

int tg_store_key_after_revocation(struct tg_store *store, int64_t key_row, struct tg_store_after_revocation *out,
                                  char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->revoked_ms = out->last_ms = -1;
    if (one_row(store, "SELECT revoked_ms FROM keys WHERE id = ?1", key_row, 0, read_revoked, out, err,
                errlen) != 0)
        return -1;
    if (out->revoked_ms < 0)
        return 0;
    int64_t hour = out->revoked_ms / TG_HOUR_MS;
    if (one_row(store,
                "SELECT count(*), coalesce(sum(is_error), 0), max(ts_ms) FROM requests"
                " WHERE key_id = ?1 AND ts_ms > ?2 AND ts_ms < (?2 / 3600000 + 1) * 3600000",
                key_row, out->revoked_ms, read_counts, out, err, errlen) != 0 ||
        one_row(store,
                "SELECT coalesce(sum(requests), 0), coalesce(sum(errors), 0), max(hour) * 3600000"
                " FROM rollup_hourly WHERE key_id = ?1 AND hour > ?2",
                key_row, hour, read_counts, out, err, errlen) != 0)
        return -1;
    if (out->last_ms >= (hour + 1) * TG_HOUR_MS &&
        one_row(store, "SELECT max(ts_ms) FROM requests WHERE key_id = ?1 AND ts_ms >= ?2", key_row, out->last_ms,
                read_last, out, err, errlen) != 0)
        return -1;
    return one_row(store,
                   "SELECT count(*) FROM requests WHERE key_id = ?1 AND status_code IN (401, 403) AND ts_ms > ?2",
                   key_row, out->revoked_ms, read_refused, out, err, errlen);
}

static void copy_column(sqlite3_stmt *st, int col, char *dst, size_t len)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, len, "%s", t ? (const char *)t : "");
}

/* A developer by id, else e-mail (any case), else display name: the first
 * kind that matches decides, so "dave" the id wins over a "Dave" name. */
int tg_store_find_developer(struct tg_store *store, const char *who, struct tg_store_developer *out, char *err,
                            size_t errlen)
{
    static const char *const by[] = {
        "SELECT id, ident, name, email FROM developers WHERE ident = ?1",
        "SELECT id, ident, name, email FROM developers WHERE email = ?1 COLLATE NOCASE ORDER BY ident",
        "SELECT id, ident, name, email FROM developers WHERE name = ?1 COLLATE NOCASE ORDER BY ident",
    };
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sizeof by / sizeof by[0]; i++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(store->db, by[i], -1, &st, NULL) != SQLITE_OK)
            return tg_store_fail(store, "finding a developer", err, errlen);
        sqlite3_bind_text(st, 1, who, -1, SQLITE_STATIC);
        int found = 0, rc;
        char others[400] = "";
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (found++ == 0) {
                out->id = sqlite3_column_int64(st, 0);
                copy_column(st, 1, out->ident, sizeof out->ident);
                copy_column(st, 2, out->name, sizeof out->name);
                copy_column(st, 3, out->email, sizeof out->email);
                snprintf(others, sizeof others, "%.100s", out->ident);
            } else {
                size_t n = strlen(others);
                snprintf(others + n, sizeof others - n, ", %.100s", (const char *)sqlite3_column_text(st, 1));
            }
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return tg_store_fail(store, "finding a developer", err, errlen);
        if (found > 1) {
            snprintf(err, errlen, "'%.100s' names %d developers (%s): give the id instead", who, found, others);
            return 2;
        }
        if (found)
            return 0;
    }
    return 1;
}

/* Keys used by the developer (from the daily rollups, so every request ever
 * stored counts, pruned or not), first used by them, or that the gateway says
 * they own (by id or e-mail; `who` too, for a developer the logs never saw). */
static const char developer_keys_sql[] =
    "SELECT DISTINCT key_id FROM rollup_daily WHERE ?1 > 0 AND developer_id = ?1 AND key_id > 0"
    " UNION SELECT id FROM keys WHERE ?1 > 0 AND developer_id = ?1"
    " UNION SELECT id FROM keys WHERE owner_hint IS NOT NULL"
    "  AND (owner_hint = ?2 COLLATE NOCASE OR owner_hint = ?3 COLLATE NOCASE OR owner_hint = ?4 COLLATE NOCASE)";

int tg_store_developer_keys(struct tg_store *store, const struct tg_store_developer *dev, const char *who,
                            int64_t **rows, size_t *count, char *err, size_t errlen)
{
    *rows = NULL;
    *count = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, developer_keys_sql, -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "listing a developer's keys", err, errlen);
    sqlite3_bind_int64(st, 1, dev->id);
    tg_sql_bind_text(st, 2, dev->ident);
    tg_sql_bind_text(st, 3, dev->email);
    tg_sql_bind_text(st, 4, who);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t *more = realloc(*rows, (*count + 1) * sizeof **rows);
        if (!more) {
            sqlite3_finalize(st);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        *rows = more;
        (*rows)[(*count)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "listing a developer's keys", err, errlen);
    return 0;
}

/* Who used the key, with their last hour from the rollups (indexed by key),
 * then the exact time from that hour's raw requests when still stored. */
static const char key_users_sql[] =
    "SELECT d.id, d.ident, max(r.hour) FROM rollup_hourly r JOIN developers d ON d.id = r.developer_id"
    " WHERE r.key_id = ?1 GROUP BY d.id ORDER BY 3 DESC, d.ident";

static int64_t exact_last(struct tg_store *store, int64_t key_row, int64_t developer, int64_t hour)
{
    sqlite3_stmt *st;
    int64_t last = hour * TG_HOUR_MS;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT max(ts_ms) FROM requests WHERE ts_ms >= ?3 AND ts_ms < ?3 + 3600000"
                           " AND key_id = ?1 AND developer_id = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return last;
    sqlite3_bind_int64(st, 1, key_row);
    sqlite3_bind_int64(st, 2, developer);
    sqlite3_bind_int64(st, 3, hour * TG_HOUR_MS);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        last = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return last;
}

int tg_store_key_users(struct tg_store *store, int64_t key_row, struct tg_store_key_user **users, size_t *count,
                       char *err, size_t errlen)
{
    *users = NULL;
    *count = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, key_users_sql, -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "listing who used a key", err, errlen);
    sqlite3_bind_int64(st, 1, key_row);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct tg_store_key_user *more = realloc(*users, (*count + 1) * sizeof **users);
        if (!more) {
            sqlite3_finalize(st);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        *users = more;
        struct tg_store_key_user *u = &more[(*count)++];
        u->developer_id = sqlite3_column_int64(st, 0);
        copy_column(st, 1, u->developer, sizeof u->developer);
        u->last_ms = sqlite3_column_int64(st, 2); /* the hour, made exact below */
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "listing who used a key", err, errlen);
    for (size_t i = 0; i < *count; i++)
        (*users)[i].last_ms = exact_last(store, key_row, (*users)[i].developer_id, (*users)[i].last_ms);
    return 0;
}
