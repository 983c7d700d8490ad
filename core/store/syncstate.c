#include "store/syncstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"

#define SET_POSITION                                                                                  \
    "INSERT INTO sync_state(source, position, updated_ms) VALUES(?1, ?2, ?3)"                        \
    " ON CONFLICT(source) DO UPDATE SET position = excluded.position, updated_ms = excluded.updated_ms"

int store_prepare_marks(struct tg_store *store, char *err, size_t errlen)
{
    if (store_prepare(store, ST_READ_MARKS, "SELECT source, position FROM sync_state WHERE source IN (?1, ?2, ?3)",
                      err, errlen) != 0)
        return -1;
    return store_prepare(store, ST_SET_MARK, SET_POSITION, err, errlen);
}

int store_read_marks(struct tg_store *store, struct store_marks *m)
{
    memset(m, 0, sizeof *m);
    sqlite3_stmt *st = store->stmt[ST_READ_MARKS];
    sqlite3_bind_text(st, 1, TG_STORE_PRUNE_MARK, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, IDS_MARK, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, IDS_USED, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *source = (const char *)sqlite3_column_text(st, 0);
        const char *position = (const char *)sqlite3_column_text(st, 1);
        if (!source || !position)
            continue;
        if (strcmp(source, TG_STORE_PRUNE_MARK) == 0)
            snprintf(m->prune, sizeof m->prune, "%s", position);
        else if (strcmp(source, IDS_MARK) == 0)
            m->ids_indexed = strtoll(position, NULL, 10);
        else
            m->ids_used = strtoll(position, NULL, 10);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_set_mark(struct tg_store *store, const char *source, int64_t value, char *err, size_t errlen)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)value);
    sqlite3_stmt *st = store->stmt[ST_SET_MARK];
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, tg_now_ms());
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : tg_store_fail(store, "saving a mark", err, errlen);
}

int tg_store_sync_position(struct tg_store *store, const char *source, char *buf, size_t len)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "SELECT position FROM sync_state WHERE source = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int found = 0;
    if (rc == SQLITE_ROW) {
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
        found = 1;
    } else if (rc != SQLITE_DONE) {
        found = -1;
    }
    sqlite3_finalize(st);
    return found;
}

int tg_store_set_sync_position(struct tg_store *store, const char *source, const char *position, char *err,
                               size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, SET_POSITION, -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "saving the sync position", err, errlen);
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, position, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, tg_now_ms());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "saving the sync position", err, errlen);
    return 0;
}
