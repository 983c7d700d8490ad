#include "store/bodyrow.h"

#include <stdio.h>
#include <string.h>

#include "store/bodies.h"
#include "store/compactid.h"

/* Whether the ids a preparer left out are the row's: each the canonical UUID
 * the row keeps as 16 bytes (compactid.h), found where the log has it. */
bool store_body_ids_are_the_rows(const struct tg_body_prepared *p, const struct tg_log *log)
{
    for (size_t i = 0; i < p->ids.count; i++) {
        const char *id = p->ids.kind[i] == TG_BODY_ID_LOG ? log->log_id : log->thread_id;
        unsigned char packed[STORE_UUID_BYTES];
        if (!id || !store_uuid_pack(id, strlen(id), packed) || p->ids.at[i] + TG_BODY_UUID_LEN > log->raw_len ||
            memcmp(log->raw + p->ids.at[i], id, TG_BODY_UUID_LEN) != 0)
            return false;
    }
    return true;
}

void store_bodies_bind(struct tg_store *store, sqlite3_stmt *st, int first)
{
    const struct store_body_row *row = &store->bodies.row;
    sqlite3_bind_int64(st, first, (sqlite3_int64)row->raw_len);
    /* an empty blob, not NULL: NULL marks a body kept elsewhere, or none */
    sqlite3_bind_blob(st, first + 1, row->refs ? (const void *)row->refs : "", (int)row->refs_len, SQLITE_STATIC);
    if (row->ids_len)
        sqlite3_bind_blob(st, first + 2, row->ids, (int)row->ids_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, first + 2);
}

int tg_store_rewrite_body(struct tg_store *store, int64_t request_id, const char *raw, size_t len, char *err,
                          size_t errlen)
{
    if (!store->in_batch) {
        snprintf(err, errlen, "tg_store_rewrite_body outside a batch");
        return -1;
    }
    if (store_ready_for_logs(store, err, errlen) != 0) /* its chunks join the window */
        return -1;
    sqlite3_stmt *st;
    /* the view's trigger drops it from whichever table holds it (migration 14) */
    if (sqlite3_prepare_v2(store->db, "DELETE FROM request_bodies WHERE request_id = ?1", -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "rewriting a body", err, errlen);
    sqlite3_bind_int64(st, 1, request_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "rewriting a body", err, errlen);
    if (store_bodies_encode_raw(store, request_id, raw, len, err, errlen) != 0)
        return -1;
    if (sqlite3_prepare_v2(store->db, "UPDATE requests SET body_len = ?1, chunk_refs = ?2, body_ids = ?3 WHERE id = ?4",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "rewriting a body", err, errlen);
    store_bodies_bind(store, st, 1);
    sqlite3_bind_int64(st, 4, request_id);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "rewriting a body", err, errlen);
    return store_bodies_added(store, NULL, err, errlen);
}
