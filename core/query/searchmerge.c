#include "query/searchmerge.h"

#include <stdint.h>
#include <stdlib.h>

#include "query/searchtext.h"
#include "store/chunkread.h"

/* One step of at most `pages` pages of merging, in its own transaction, so a
 * collector writing beside it waits for a step, never for the whole merge.
 * Sets *more when there was work (FTS5 counts two changes or more then). */
static int compact_step(struct tg_store *store, int pages, bool *more, char *err, size_t errlen)
{
    sqlite3 *db = tg_store_sqlite(store);
    sqlite3_stmt *st;
    if (tg_store_begin(store, err, errlen) != 0)
        return -1;
    int before = sqlite3_total_changes(db);
    int rc = sqlite3_prepare_v2(db, "INSERT INTO search_text(search_text, rank) VALUES('merge', ?1)", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int(st, 1, -pages); /* negative: every level, as 'optimize' does */
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_finalize(st);
    }
    if (rc != SQLITE_OK) {
        tg_store_fail(store, "compacting the search index", err, errlen);
        tg_store_rollback(store);
        return -1;
    }
    *more = sqlite3_total_changes(db) - before >= 2;
    return tg_store_commit(store, err, errlen);
}

/* A row of search_users without the requests that have no body any more;
 * *len 0 when none is left. */
static void keep_living(const unsigned char *bodies, int64_t max_id, const unsigned char *in, size_t in_len, unsigned char *out,
                        size_t *len)
{
    size_t pos = 0;
    uint64_t request = 0, kept_last = 0, d, off, n;
    *len = 0;
    while (pos < in_len && tg_search_get_varint(in, in_len, &pos, &d) && tg_search_get_varint(in, in_len, &pos, &off) &&
           tg_search_get_varint(in, in_len, &pos, &n)) {
        request += d;
        /* past the map: stored (and indexed by another process) since */
        if (request <= (uint64_t)max_id && !(bodies[request / 8] & (1u << (request % 8))))
            continue;
        *len += tg_search_put_varint(out + *len, request - kept_last);
        *len += tg_search_put_varint(out + *len, off);
        *len += tg_search_put_varint(out + *len, n);
        kept_last = request;
    }
}

/* Rewrites the rows of search_users that name requests pruned since, a
 * block of rows per transaction. */
static int compact_users(struct tg_store *store, char *err, size_t errlen)
{
    sqlite3 *db = tg_store_sqlite(store);
    int64_t bucket = -1, upto = -1, max_id;
    unsigned char *bodies = tg_store_body_bitmap(store, &max_id);
    if (!bodies)
        return tg_store_fail(store, "compacting the search index", err, errlen);
    for (bool more = true; more;) {
        if (tg_store_begin(store, err, errlen) != 0) {
            free(bodies);
            return -1;
        }
        sqlite3_stmt *rows = NULL, *put = NULL, *del = NULL;
        int rc = sqlite3_prepare_v2(db,
                                    "SELECT bucket, upto, users FROM search_users WHERE (bucket, upto) > (?1, ?2)"
                                    " ORDER BY bucket, upto LIMIT 200",
                                    -1, &rows, NULL) == SQLITE_OK &&
                         sqlite3_prepare_v2(db, "UPDATE search_users SET users = ?3 WHERE bucket = ?1 AND upto = ?2",
                                            -1, &put, NULL) == SQLITE_OK &&
                         sqlite3_prepare_v2(db, "DELETE FROM search_users WHERE bucket = ?1 AND upto = ?2", -1, &del,
                                            NULL) == SQLITE_OK
                     ? 0
                     : -1;
        int seen = 0;
        if (rc == 0) {
            sqlite3_bind_int64(rows, 1, bucket);
            sqlite3_bind_int64(rows, 2, upto);
        }
        while (rc == 0 && sqlite3_step(rows) == SQLITE_ROW) {
            seen++;
            bucket = sqlite3_column_int64(rows, 0);
            upto = sqlite3_column_int64(rows, 1);
            size_t in_len = (size_t)sqlite3_column_bytes(rows, 2), len;
            unsigned char *out = malloc(in_len + 1);
            if (!out) {
                rc = -1;
                break;
            }
            keep_living(bodies, max_id, sqlite3_column_blob(rows, 2), in_len, out, &len);
            sqlite3_stmt *w = len ? put : del;
            if (len != in_len) {
                sqlite3_bind_int64(w, 1, bucket);
                sqlite3_bind_int64(w, 2, upto);
                if (len)
                    sqlite3_bind_blob(w, 3, out, (int)len, SQLITE_STATIC);
                rc = sqlite3_step(w) == SQLITE_DONE ? 0 : -1;
                sqlite3_reset(w);
            }
            free(out);
        }
        sqlite3_finalize(rows);
        sqlite3_finalize(put);
        sqlite3_finalize(del);
        if (rc != 0) {
            tg_store_fail(store, "compacting the search index", err, errlen);
            tg_store_rollback(store);
            free(bodies);
            return -1;
        }
        if (tg_store_commit(store, err, errlen) != 0) {
            free(bodies);
            return -1;
        }
        more = seen == 200;
    }
    free(bodies);
    return 0;
}

/* SQLite's varint (FTS5 writes its structure with it): big-endian groups of 7 bits. */
static bool sqlite_varint(const unsigned char *p, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t x = 0;
    for (int i = 0; i < 9 && *pos < len; i++) {
        unsigned char b = p[(*pos)++];
        if (i == 8) {
            *v = x << 8 | b;
            return true;
        }
        x = x << 7 | (b & 0x7F);
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

int tg_search_segments(struct tg_store *store)
{
    sqlite3_stmt *st;
    /* the structure record: a 4-byte cookie, [FF 00 00 01 from 3.43], levels, segments */
    if (sqlite3_prepare_v2(tg_store_sqlite(store), "SELECT block FROM search_text_data WHERE id = 10", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    long segments = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *b = sqlite3_column_blob(st, 0);
        size_t len = (size_t)sqlite3_column_bytes(st, 0), pos = 4;
        uint64_t levels, n;
        if (len >= 8 && b[4] == 0xFF && b[5] == 0 && b[6] == 0 && b[7] == 1)
            pos = 8;
        if (len > pos && sqlite_varint(b, len, &pos, &levels) && sqlite_varint(b, len, &pos, &n) && n < 1u << 30)
            segments = (long)n;
    }
    sqlite3_finalize(st);
    return (int)segments;
}

int tg_search_merge_step(struct tg_store *store, bool *more, char *err, size_t errlen)
{
    return compact_step(store, 2000, more, err, errlen);
}

int tg_search_merge(struct tg_store *store, char *err, size_t errlen)
{
    bool more = true;
    while (more) {
        if (tg_search_merge_step(store, &more, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int tg_search_compact(struct tg_store *store, char *err, size_t errlen)
{
    return compact_users(store, err, errlen) == 0 ? tg_search_merge(store, err, errlen) : -1;
}
