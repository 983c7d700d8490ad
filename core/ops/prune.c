#include "ops/prune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/body.h"
#include "query/search.h"

#define BATCH 1000

static int64_t query_count(sqlite3 *db, const char *sql, int64_t arg)
{
    sqlite3_stmt *st;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, arg);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

int64_t tg_prune_whole_bodies(struct tg_store *store)
{
    return query_count(tg_store_sqlite(store), "SELECT count(*) FROM request_bodies_v13 WHERE chunk_refs IS NULL", 0);
}

/* Up to BATCH request ids after `after` from a query binding (after, arg2). */
static int next_ids(struct tg_store *store, const char *sql, int64_t after, int64_t arg2, int64_t *ids, int *count,
                    char *err, size_t errlen)
{
    sqlite3_stmt *st;
    *count = 0;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "listing bodies", err, errlen);
    sqlite3_bind_int64(st, 1, after);
    if (sqlite3_bind_parameter_count(st) > 1)
        sqlite3_bind_int64(st, 2, arg2);
    int rc;
    while (*count < BATCH && (rc = sqlite3_step(st)) == SQLITE_ROW)
        ids[(*count)++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return 0;
}

/* The index holds what a body stored first, which depends on its layout: it
 * is told of the change. */
static int convert_one(struct tg_store *store, int64_t id, char *err, size_t errlen)
{
    char *raw;
    size_t len;
    int rc = tg_store_body_of(store, id, false, &raw, &len, err, errlen);
    if (rc != 0)
        return rc == 1 ? 0 : -1; /* gone meanwhile: nothing to convert */
    rc = tg_search_forget(store, id, err, errlen);
    if (rc == 0)
        rc = tg_store_rewrite_body(store, id, raw, len, err, errlen);
    if (rc == 0)
        rc = tg_search_add(store, id, err, errlen);
    free(raw);
    return rc;
}

/* One step that writes, committed on its own or not at all. */
static int in_own_batch(struct tg_store *store, int (*step)(struct tg_store *, char *, size_t), char *err,
                        size_t errlen)
{
    if (tg_store_begin(store, err, errlen) != 0)
        return -1;
    if (step(store, err, errlen) != 0) {
        tg_store_rollback(store);
        return -1;
    }
    return tg_store_commit(store, err, errlen);
}

static int sweep(struct tg_store *store, struct tg_prune_counts *counts, char *err, size_t errlen);

int tg_prune_migrate_bodies(struct tg_store *store, tg_prune_progress_fn progress, void *ctx,
                             int64_t *converted, char *err, size_t errlen)
{
    *converted = 0;
    int64_t total = tg_prune_whole_bodies(store);
    if (total < 0)
        return tg_store_fail(store, "counting bodies", err, errlen);
    int64_t ids[BATCH], after = 0;
    int count;
    do {
        if (next_ids(store,
                     "SELECT request_id FROM request_bodies_v13 WHERE request_id > ?1 AND chunk_refs IS NULL"
                     " ORDER BY request_id LIMIT 1000",
                     after, 0, ids, &count, err, errlen) != 0 ||
            (count > 0 && tg_store_begin(store, err, errlen) != 0))
            return -1;
        for (int i = 0; i < count; i++) {
            if (convert_one(store, ids[i], err, errlen) != 0) {
                tg_store_rollback(store);
                return -1;
            }
        }
        if (count > 0 && tg_store_commit(store, err, errlen) != 0)
            return -1;
        if (count > 0)
            after = ids[count - 1];
        *converted += count;
        if (progress && count > 0)
            progress(ctx, "migrating bodies", *converted, total);
    } while (count == BATCH);
    /* the messages of the older layout no body uses now, and the newest log
     * ids into the index, so nothing is left to catch up on */
    struct tg_prune_counts swept = {0};
    if (*converted > 0 && sweep(store, &swept, err, errlen) != 0)
        return -1;
    return in_own_batch(store, tg_store_index_log_ids, err, errlen);
}

int tg_prune_move_bodies(struct tg_store *store, tg_prune_progress_fn progress, void *ctx, int64_t *moved, char *err,
                         size_t errlen)
{
    *moved = 0;
    int64_t total = query_count(tg_store_sqlite(store),
                                "SELECT count(*) FROM request_bodies_v13 WHERE chunk_refs IS NOT NULL", 0);
    if (total < 0)
        return tg_store_fail(store, "counting bodies", err, errlen);
    int64_t after = 0, last = 0;
    do {
        after = last;
        if (tg_store_begin(store, err, errlen) != 0)
            return -1;
        int64_t n = tg_store_move_chunk_bodies(store, after, BATCH, &last, err, errlen);
        if (n < 0) {
            tg_store_rollback(store);
            return -1;
        }
        if (tg_store_commit(store, err, errlen) != 0)
            return -1;
        *moved += n;
        if (progress && n > 0)
            progress(ctx, "moving bodies into their rows", *moved, total);
    } while (last != after);
    return 0;
}

static int exec_id(struct tg_store *store, const char *sql, int64_t id, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "pruning", err, errlen);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : tg_store_fail(store, "pruning", err, errlen);
}

/* A body goes, and first its words from the search index, which can only
 * forget what it is shown again. */
static int drop_body(struct tg_store *store, int64_t id, int64_t *dropped, char *err, size_t errlen)
{
    /* request_bodies is a view (schema 14) whose trigger deletes: only the
     * connection's total counts the trigger's changes (none when pruned before) */
    if (tg_search_forget(store, id, err, errlen) != 0)
        return -1;
    sqlite3_int64 before = sqlite3_total_changes64(tg_store_sqlite(store));
    if (exec_id(store, "DELETE FROM request_bodies WHERE request_id = ?1", id, err, errlen) != 0)
        return -1;
    *dropped += sqlite3_total_changes64(tg_store_sqlite(store)) > before;
    return 0;
}

/* A request goes with its log id, so the same log imported again is stored
 * again, as a new request. */
static int drop_request(struct tg_store *store, int64_t id, char *err, size_t errlen)
{
    /* its thread's rollup row is counted again from the rows left, at the commit */
    return tg_store_thread_recount(store, id, err, errlen) != 0 ||
                   exec_id(store,
                   "DELETE FROM log_ids WHERE hash = tg_id_hash((SELECT log_id FROM requests WHERE id = ?1))"
                   " AND request_id = ?1",
                   id, err, errlen) != 0 ||
                   exec_id(store, "DELETE FROM requests WHERE id = ?1", id, err, errlen) != 0
               ? -1
               : 0;
}

/* A counter, not a time: two prunes in one millisecond (or under a pinned
 * clock) must still look different to the other writers. In the open batch. */
static int bump_prune_mark(struct tg_store *store, char *err, size_t errlen)
{
    char mark[32] = "0";
    tg_store_sync_position(store, TG_STORE_PRUNE_MARK, mark, sizeof mark);
    snprintf(mark, sizeof mark, "%lld", strtoll(mark, NULL, 10) + 1);
    return tg_store_set_sync_position(store, TG_STORE_PRUNE_MARK, mark, err, errlen);
}

/* One pass over requests older than `before`: their bodies (and, when
 * whole_requests, their rows) go, a batch per transaction. */
static int prune_pass(struct tg_store *store, int64_t before, bool whole_requests, tg_prune_progress_fn progress,
                      void *ctx, struct tg_prune_counts *counts, char *err, size_t errlen)
{
    const char *sql = whole_requests
                          ? "SELECT id FROM requests WHERE id > ?1 AND ts_ms < ?2 ORDER BY id LIMIT 1000"
                          : "SELECT r.id FROM requests r WHERE r.id > ?1 AND r.ts_ms < ?2 AND (r.chunk_refs IS NOT NULL"
                            " OR EXISTS (SELECT 1 FROM request_bodies_v13 b WHERE b.request_id = r.id))"
                            " ORDER BY r.id LIMIT 1000";
    const char *what = whole_requests ? "pruning requests" : "pruning bodies";
    int64_t ids[BATCH], after = 0, done = 0;
    int count;
    do {
        if (next_ids(store, sql, after, before, ids, &count, err, errlen) != 0)
            return -1;
        if (count == 0)
            break;
        if (tg_store_begin(store, err, errlen) != 0)
            return -1;
        for (int i = 0; i < count; i++) {
            if (drop_body(store, ids[i], &counts->bodies, err, errlen) != 0 ||
                (whole_requests && drop_request(store, ids[i], err, errlen) != 0)) {
                tg_store_rollback(store);
                return -1;
            }
            counts->requests += whole_requests;
        }

        if (tg_store_commit(store, err, errlen) != 0)
            return -1;
        after = ids[count - 1];
        done += count;
        if (progress)
            progress(ctx, what, done, -1);
    } while (count == BATCH);
    /* writers remember the ids of recent requests: tell them to forget */
    return whole_requests && done > 0 ? in_own_batch(store, bump_prune_mark, err, errlen) : 0;
}

static void mark(unsigned char *marks, int64_t max_id, int64_t id)
{
    if (id > 0 && id <= max_id)
        marks[id / 8] |= (unsigned char)(1u << (id % 8));
}

static bool marked(const unsigned char *marks, int64_t id)
{
    return marks[id / 8] & (1u << (id % 8));
}

/* Marks every chunk a remaining body refers to. */
static int mark_chunks(struct tg_store *store, unsigned char *marks, int64_t max_id, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store),
                           "SELECT chunk_refs, raw_len FROM request_bodies WHERE chunk_refs IS NOT NULL", -1, &st,
                           NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading chunk references", err, errlen);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t *ids;
        long n = tg_body_chunk_refs_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
                                           TG_CHUNK_COUNT_BOUND((size_t)sqlite3_column_int64(st, 1)), &ids);
        if (n < 0) { /* a damaged body: keep every chunk rather than guess */
            sqlite3_finalize(st);
            snprintf(err, errlen, "a body's chunk references are damaged: nothing swept");
            return -1;
        }
        for (long i = 0; i < n; i++)
            mark(marks, max_id, ids[i]);
        free(ids);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : tg_store_fail(store, "reading chunk references", err, errlen);
}

struct chunk_marks {
    const unsigned char *marks;
    int64_t max_id;
};

static bool chunk_used(void *ctx, int64_t id)
{
    const struct chunk_marks *m = ctx;
    return id > m->max_id || marked(m->marks, id);
}

/* Deletes the packs none of whose chunks a body uses, and rewrites without
 * their unused chunks the packs some chunks of which are still used (a pack
 * holds the new chunks of many requests: one still used would keep it all).
 * Reads a block of packs, then changes them, never under a live cursor on the
 * same table. */
static int delete_unused_packs(struct tg_store *store, const unsigned char *marks, int64_t max_id, int64_t *deleted,
                               char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store),
                           "SELECT id, chunks FROM chunk_packs WHERE id > ?1 ORDER BY id LIMIT 1000", -1, &st,
                           NULL) != SQLITE_OK)
        return tg_store_fail(store, "listing chunks", err, errlen);
    int64_t ids[BATCH], counts[BATCH], after = 0;
    int count;
    do {
        count = 0;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, after);
        while (count < BATCH && sqlite3_step(st) == SQLITE_ROW) {
            ids[count] = sqlite3_column_int64(st, 0);
            counts[count++] = sqlite3_column_int64(st, 1);
        }
        sqlite3_reset(st);
        for (int i = 0; i < count; i++) {
            bool used = ids[i] + counts[i] - 1 > max_id; /* packed after the marking began */
            for (int64_t c = ids[i]; !used && c < ids[i] + counts[i]; c++)
                used = marked(marks, c);
            struct chunk_marks m = {marks, max_id};
            if (used && ids[i] + counts[i] - 1 <= max_id &&
                (tg_search_forget_unused(store, ids[i], counts[i], chunk_used, &m, err, errlen) != 0 ||
                 tg_store_drop_chunks(store, ids[i], chunk_used, &m, deleted, err, errlen) != 0)) {
                sqlite3_finalize(st);
                return -1;
            }
            if (used)
                continue;
            /* the index's rows of these chunks go while their text can be read */
            if (tg_search_forget_chunks(store, ids[i], counts[i], err, errlen) != 0 ||
                exec_id(store, "DELETE FROM chunk_packs WHERE id = ?1", ids[i], err, errlen) != 0) {
                sqlite3_finalize(st);
                return -1;
            }
            *deleted += counts[i];
        }
        if (count > 0)
            after = ids[count - 1];
    } while (count == BATCH);
    sqlite3_finalize(st);
    return 0;
}

static int sweep_chunks(struct tg_store *store, struct tg_prune_counts *counts, char *err, size_t errlen)
{
    int64_t max_id =
        query_count(tg_store_sqlite(store), "SELECT coalesce(max(id + chunks - 1), 0) FROM chunk_packs", 0);
    unsigned char *marks = max_id >= 0 ? calloc((size_t)max_id / 8 + 1, 1) : NULL;
    if (!marks) {
        snprintf(err, errlen, "out of memory marking chunks");
        return -1;
    }
    int rc = mark_chunks(store, marks, max_id, err, errlen);
    if (rc == 0)
        rc = delete_unused_packs(store, marks, max_id, &counts->chunks, err, errlen);
    free(marks);
    return rc;
}

/* Marks every message (the older layout) a remaining body refers to. */
static int mark_messages(struct tg_store *store, unsigned char *marks, int64_t max_id, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), "SELECT msg_refs FROM request_bodies WHERE msg_refs IS NOT NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading message references", err, errlen);
    size_t at[TG_BODY_MAX_PIECES];
    int64_t ids[TG_BODY_MAX_PIECES];
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long n = tg_body_refs_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), at, ids,
                                     TG_BODY_MAX_PIECES);
        for (long i = 0; i < n; i++)
            mark(marks, max_id, ids[i]);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : tg_store_fail(store, "reading message references", err, errlen);
}

/* Deletes the messages no body refers to, reading ids a block at a time and
 * deleting after each read, never under a live cursor on the same table. */
static int delete_unmarked_messages(struct tg_store *store, const unsigned char *marks, int64_t max_id,
                                    int64_t *deleted, char *err, size_t errlen)
{
    int64_t ids[BATCH], after = 0;
    int count;
    do {
        if (next_ids(store, "SELECT id FROM messages WHERE id > ?1 ORDER BY id LIMIT 1000", after, 0, ids, &count,
                     err, errlen) != 0)
            return -1;
        for (int i = 0; i < count; i++) {
            if (ids[i] > max_id || marked(marks, ids[i])) /* after the marking began, or used */
                continue;
            if (exec_id(store, "DELETE FROM messages WHERE id = ?1", ids[i], err, errlen) != 0)
                return -1;
            (*deleted)++;
        }
        if (count > 0)
            after = ids[count - 1];
    } while (count == BATCH);
    return 0;
}

static int sweep_messages(struct tg_store *store, struct tg_prune_counts *counts, char *err, size_t errlen)
{
    int64_t max_id = query_count(tg_store_sqlite(store), "SELECT coalesce(max(id), 0) FROM messages", 0);
    unsigned char *marks = max_id >= 0 ? calloc((size_t)max_id / 8 + 1, 1) : NULL;
    if (!marks) {
        snprintf(err, errlen, "out of memory marking messages");
        return -1;
    }
    int rc = mark_messages(store, marks, max_id, err, errlen);
    if (rc == 0)
        rc = delete_unmarked_messages(store, marks, max_id, &counts->messages, err, errlen);
    free(marks);
    return rc;
}

/* Mark and sweep in one write transaction, so no writer adds a reference in
 * between; the prune mark tells other processes to forget the ids they keep. */
static int sweep(struct tg_store *store, struct tg_prune_counts *counts, char *err, size_t errlen)
{
    if (tg_store_begin(store, err, errlen) != 0)
        return -1;
    int rc = sweep_messages(store, counts, err, errlen);
    if (rc == 0)
        rc = sweep_chunks(store, counts, err, errlen);
    if (rc == 0 && (counts->messages > 0 || counts->chunks > 0))
        rc = bump_prune_mark(store, err, errlen);
    if (rc != 0) {
        tg_store_rollback(store);
        return -1;
    }
    return tg_store_commit(store, err, errlen);
}

static int count_only(struct tg_store *store, const struct tg_prune_options *o, struct tg_prune_counts *counts)
{
    sqlite3 *db = tg_store_sqlite(store);
    int64_t body_cut = o->bodies_before_ms > o->requests_before_ms ? o->bodies_before_ms : o->requests_before_ms;
    counts->bodies = body_cut ? query_count(db,
                                            "SELECT count(*) FROM request_bodies b JOIN requests r"
                                            " ON r.id = b.request_id WHERE r.ts_ms < ?1",
                                            body_cut)
                              : 0;
    counts->requests =
        o->requests_before_ms ? query_count(db, "SELECT count(*) FROM requests WHERE ts_ms < ?1", o->requests_before_ms)
                              : 0;
    return counts->bodies < 0 || counts->requests < 0 ? -1 : 0;
}

int tg_prune_run(struct tg_store *store, const struct tg_prune_options *options, tg_prune_progress_fn progress,
                 void *ctx, struct tg_prune_counts *counts, char *err, size_t errlen)
{
    memset(counts, 0, sizeof *counts);
    if (options->dry_run)
        return count_only(store, options, counts) == 0 ? 0 : tg_store_fail(store, "counting", err, errlen);
    if (options->requests_before_ms &&
        prune_pass(store, options->requests_before_ms, true, progress, ctx, counts, err, errlen) != 0)
        return -1;
    if (options->bodies_before_ms &&
        prune_pass(store, options->bodies_before_ms, false, progress, ctx, counts, err, errlen) != 0)
        return -1;
    if (sweep(store, counts, err, errlen) != 0)
        return -1;
    if (counts->bodies == 0)
        return 0;
    if (progress)
        progress(ctx, "compacting the search index", 0, -1);
    return tg_search_compact(store, err, errlen);
}

int tg_prune_db_size(struct tg_store *store, struct tg_db_size *out, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    out->file_bytes = out->free_bytes = 0;
    if (sqlite3_prepare_v2(tg_store_sqlite(store),
                           "SELECT page_count * page_size, freelist_count * page_size"
                           " FROM pragma_page_count, pragma_freelist_count, pragma_page_size",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "measuring the db", err, errlen);
    if (sqlite3_step(st) == SQLITE_ROW) {
        out->file_bytes = sqlite3_column_int64(st, 0);
        out->free_bytes = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return 0;
}

int tg_prune_vacuum(struct tg_store *store, char *err, size_t errlen)
{
    sqlite3 *db = tg_store_sqlite(store);
    if (sqlite3_exec(db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "vacuum: %s", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}
