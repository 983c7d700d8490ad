#include "store/activity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "store/store_int.h"

#define PREFIX "activity "

/* The newest log only moves forward; a log from the future counts as now, so
 * one bad timestamp cannot make a stopped source look alive for years. */
#define UPSERT                                                                                                  \
    "INSERT INTO sync_state(source, position, updated_ms) VALUES(?1, ?2, ?3)"                                 \
    " ON CONFLICT(source) DO UPDATE SET updated_ms = excluded.updated_ms,"                                    \
    " position = CAST(max(coalesce(CAST(position AS INTEGER), -1), CAST(excluded.position AS INTEGER)) AS TEXT)"

void tg_store_set_activity_source(struct tg_store *store, const char *source)
{
    snprintf(store->activity.source, sizeof store->activity.source, "%s", source ? source : "");
    store->activity.newest_ms = -1;
}

void store_activity_saw(struct tg_store *store, int64_t ts_ms)
{
    if (ts_ms > store->activity.newest_ms)
        store->activity.newest_ms = ts_ms;
}

void store_activity_forget(struct tg_store *store)
{
    store->activity.newest_ms = -1;
}

int store_activity_before_commit(struct tg_store *store, char *err, size_t errlen)
{
    if (!store->activity.source[0])
        return 0;
    int64_t now = tg_now_ms(), newest = store->activity.newest_ms;
    if (newest > now)
        newest = now;
    char name[96], position[32];
    snprintf(name, sizeof name, PREFIX "%s", store->activity.source);
    snprintf(position, sizeof position, "%lld", (long long)newest);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, UPSERT, -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "recording the source's activity", err, errlen);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, position, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : tg_store_fail(store, "recording the source's activity", err, errlen);
}

int tg_store_activities(struct tg_store *store, struct tg_store_activity *out, size_t max, size_t *count, char *err,
                        size_t errlen)
{
    *count = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT substr(source, ?1), CAST(position AS INTEGER), updated_ms FROM sync_state"
                           " WHERE substr(source, 1, ?2) = ?3 ORDER BY source",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading the sources' activity", err, errlen);
    sqlite3_bind_int(st, 1, (int)strlen(PREFIX) + 1);
    sqlite3_bind_int(st, 2, (int)strlen(PREFIX));
    sqlite3_bind_text(st, 3, PREFIX, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *count < max) {
        struct tg_store_activity *a = &out[(*count)++];
        snprintf(a->source, sizeof a->source, "%s", (const char *)sqlite3_column_text(st, 0));
        a->newest_log_ms = sqlite3_column_int64(st, 1);
        a->last_success_ms = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return tg_store_fail(store, "reading the sources' activity", err, errlen);
    return 0;
}
