#include "store/bodymove.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One body: into the row when the row has none, then out of the older
 * table. 1 moved, 0 left (no such request: prune drops it), -1 error. */
static int move_one(struct tg_store *store, sqlite3_stmt *update, sqlite3_stmt *drop, int64_t id, sqlite3_int64 raw_len,
                    const void *refs, int refs_len)
{
    sqlite3_bind_int64(update, 1, raw_len);
    sqlite3_bind_blob(update, 2, refs_len ? refs : "", refs_len, SQLITE_TRANSIENT);
    sqlite3_bind_int64(update, 3, id);
    int rc = sqlite3_step(update);
    sqlite3_reset(update);
    if (rc != SQLITE_DONE)
        return -1;
    if (sqlite3_changes(store->db) != 1)
        return 0;
    sqlite3_bind_int64(drop, 1, id);
    rc = sqlite3_step(drop);
    sqlite3_reset(drop);
    return rc == SQLITE_DONE ? 1 : -1;
}

struct picked {
    int64_t id;
    sqlite3_int64 raw_len;
    void *refs;
    int refs_len;
};

/* Up to max bodies in chunks after `after`, read whole before any changes:
 * the table is not changed under its own cursor. The count, or -1. */
static int pick_batch(struct tg_store *store, int64_t after, int max, struct picked *out)
{
    sqlite3_stmt *pick;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT request_id, raw_len, chunk_refs FROM request_bodies_v13"
                           " WHERE request_id > ?1 AND chunk_refs IS NOT NULL ORDER BY request_id LIMIT ?2",
                           -1, &pick, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(pick, 1, after);
    sqlite3_bind_int(pick, 2, max);
    int n = 0, rc;
    while ((rc = sqlite3_step(pick)) == SQLITE_ROW) {
        struct picked *p = &out[n];
        p->id = sqlite3_column_int64(pick, 0);
        p->raw_len = sqlite3_column_int64(pick, 1);
        p->refs_len = sqlite3_column_bytes(pick, 2);
        p->refs = malloc((size_t)p->refs_len + 1);
        if (!p->refs) {
            rc = SQLITE_NOMEM;
            break;
        }
        if (p->refs_len)
            memcpy(p->refs, sqlite3_column_blob(pick, 2), (size_t)p->refs_len);
        n++;
    }
    sqlite3_finalize(pick);
    if (rc != SQLITE_DONE) {
        for (int i = 0; i < n; i++)
            free(out[i].refs);
        return -1;
    }
    return n;
}

int64_t tg_store_move_chunk_bodies(struct tg_store *store, int64_t after, int max, int64_t *last, char *err,
                                   size_t errlen)
{
    *last = after;
    if (!store->in_batch || max <= 0) {
        snprintf(err, errlen, "tg_store_move_chunk_bodies outside a batch");
        return -1;
    }
    struct picked *batch = malloc((size_t)max * sizeof *batch);
    sqlite3_stmt *update = NULL, *drop = NULL;
    int n = batch ? pick_batch(store, after, max, batch) : -1;
    int64_t moved = n < 0 ? -1 : 0;
    if (n > 0 &&
        (sqlite3_prepare_v2(store->db,
                            "UPDATE requests SET body_len = ?1, chunk_refs = ?2, body_ids = NULL"
                            " WHERE id = ?3 AND chunk_refs IS NULL",
                            -1, &update, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(store->db, "DELETE FROM request_bodies_v13 WHERE request_id = ?1", -1, &drop, NULL) !=
             SQLITE_OK))
        moved = -1;
    for (int i = 0; i < n && moved >= 0; i++) {
        int one = move_one(store, update, drop, batch[i].id, batch[i].raw_len, batch[i].refs, batch[i].refs_len);
        moved = one < 0 ? -1 : moved + one;
        *last = batch[i].id;
    }
    for (int i = 0; i < (n > 0 ? n : 0); i++)
        free(batch[i].refs);
    free(batch);
    sqlite3_finalize(update);
    sqlite3_finalize(drop);
    if (moved < 0)
        tg_store_fail(store, "moving bodies into their rows", err, errlen);
    return moved;
}
