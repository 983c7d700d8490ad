#include "query/search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "query/searchtext.h"
#include "store/chunkread.h"

#define BUCKET_MASK ((1 << TG_SEARCH_BUCKET_SHIFT) - 1)

static int64_t position(struct tg_store *store)
{
    char buf[32];
    return tg_store_sync_position(store, "search index", buf, sizeof buf) == 1 ? strtoll(buf, NULL, 10) : 0;
}

/* A request using chunks [bucket * 256 + off, + n): one entry of search_users. */
struct use {
    int64_t bucket, request_id;
    unsigned off, n;
};

/* A run's text, kept until its group is written. */
struct run_text {
    int64_t first;
    char *text;
    size_t len;
};

/* One batch of indexing: its statements, a reader, the uses found and the
 * group of runs being filled (one row of search_text: a row per run made
 * the index three times its size, each trigram listed for each small row). */
struct indexing {
    struct tg_store *store;
    sqlite3_stmt *covered, *put_text, *put_run;
    struct tg_chunk_reader *reader;
    struct use *uses;
    size_t nuses, cap;
    int64_t group, next_group;
    struct run_text *runs;
    size_t nruns, runs_cap, group_len;
    int group_requests; /* requests with runs in the group */
    size_t runs_put;    /* ever, in this batch */
};

/* Rows of search_text are numbered 1, 2, 3, ... in the order they are
 * written: a trigram's list of rows is stored as the gaps between them, one
 * byte each while they are dense (rows numbered by their first chunk id made
 * gaps of tens of chunks, two bytes for most trigrams not in every row).
 * Indexes of schema 11 numbered rows so: new rows go on above them. */
static int next_group(sqlite3 *db, int64_t *next)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(grp), 0) + 1 FROM search_runs", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
    *next = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

static int indexing_open(struct indexing *ix, struct tg_store *store)
{
    memset(ix, 0, sizeof *ix);
    ix->store = store;
    sqlite3 *db = tg_store_sqlite(store);
    ix->reader = tg_chunk_reader_new(store);
    return ix->reader && next_group(db, &ix->next_group) == 0 &&
                   sqlite3_prepare_v2(db,
                                      "SELECT first, chunks FROM search_runs WHERE first >= coalesce((SELECT max(first)"
                                      " FROM search_runs WHERE first <= ?1), 0) AND first < ?2 ORDER BY first",
                                      -1, &ix->covered, NULL) == SQLITE_OK &&
                   sqlite3_prepare_v2(db, "INSERT INTO search_text(rowid, text) VALUES(?1, ?2)", -1, &ix->put_text,
                                      NULL) == SQLITE_OK &&
                   sqlite3_prepare_v2(db,
                                      "INSERT INTO search_runs(first, chunks, prev, next, grp)"
                                      " VALUES(?1, ?2, ?3, ?4, ?5)",
                                      -1, &ix->put_run, NULL) == SQLITE_OK
               ? 0
               : -1;
}

static void indexing_close(struct indexing *ix)
{
    for (size_t i = 0; i < ix->nruns; i++)
        free(ix->runs[i].text);
    free(ix->runs);
    sqlite3_finalize(ix->covered);
    sqlite3_finalize(ix->put_text);
    sqlite3_finalize(ix->put_run);
    tg_chunk_reader_free(ix->reader);
    free(ix->uses);
}

static int add_use(struct indexing *ix, int64_t request_id, int64_t from, int64_t n)
{
    while (n > 0) {
        int64_t bucket = from >> TG_SEARCH_BUCKET_SHIFT, off = from & BUCKET_MASK;
        int64_t take = n < BUCKET_MASK + 1 - off ? n : BUCKET_MASK + 1 - off;
        if (ix->nuses == ix->cap) {
            size_t cap = ix->cap ? ix->cap * 2 : 4096;
            struct use *grown = realloc(ix->uses, cap * sizeof *grown);
            if (!grown)
                return -1;
            ix->uses = grown;
            ix->cap = cap;
        }
        ix->uses[ix->nuses++] = (struct use){bucket, request_id, (unsigned)off, (unsigned)take};
        from += take;
        n -= take;
    }
    return 0;
}

static int by_first(const void *a, const void *b)
{
    const struct run_text *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* A row of search_text given (or, through a 'delete' statement, taken back)
 * in its index form (see searchtext.h). */
static int fts_put(sqlite3_stmt *st, int64_t rowid, const char *text, size_t len)
{
    struct strbuf form = STRBUF_INIT;
    tg_search_index_form(text, len, &form);
    int rc = -1;
    if (!form.failed) {
        sqlite3_bind_int64(st, 1, rowid);
        sqlite3_bind_text(st, 2, form.data ? form.data : "", (int)form.len, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_reset(st);
    }
    strbuf_free(&form);
    return rc;
}

/* The group's runs, in chunk order (as a removal rebuilds it), as one row. */
static int write_group(struct indexing *ix)
{
    if (ix->nruns == 0)
        return 0;
    qsort(ix->runs, ix->nruns, sizeof *ix->runs, by_first);
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < ix->nruns; i++) {
        strbuf_append(&sb, ix->runs[i].text, ix->runs[i].len);
        free(ix->runs[i].text);
    }
    ix->nruns = 0;
    ix->group_len = 0;
    ix->group_requests = 0;
    int rc = sb.failed ? -1 : fts_put(ix->put_text, ix->group, sb.data, sb.len);
    strbuf_free(&sb);
    return rc;
}

/* Indexes chunks at positions [at, at + n) of ids (consecutive ids), as runs
 * of at most TG_SEARCH_RUN_MAX chunks with their neighbours' edges, into the
 * group being filled. */
static int put_runs(struct indexing *ix, const int64_t *ids, long count, long at, long n)
{
    for (long done = 0; done < n;) {
        long take = n - done < TG_SEARCH_RUN_MAX ? n - done : TG_SEARCH_RUN_MAX, i = at + done;
        int64_t prev = i > 0 ? ids[i - 1] : 0, next = i + take < count ? ids[i + take] : 0;
        struct tg_search_run_text t;
        if (tg_search_run_text(ix->reader, prev, ids[i], take, next, &t) != 0)
            return -1;
        if (ix->nruns == ix->runs_cap) {
            size_t cap = ix->runs_cap ? ix->runs_cap * 2 : 64;
            struct run_text *grown = realloc(ix->runs, cap * sizeof *grown);
            if (!grown) {
                free(t.text);
                return -1;
            }
            ix->runs = grown;
            ix->runs_cap = cap;
        }
        if (ix->nruns == 0)
            ix->group = ix->next_group++;
        ix->runs[ix->nruns++] = (struct run_text){ids[i], t.text, t.len};
        ix->runs_put++;
        ix->group_len += t.len;
        sqlite3_bind_int64(ix->put_run, 1, ids[i]);
        sqlite3_bind_int64(ix->put_run, 2, take);
        sqlite3_bind_int64(ix->put_run, 3, prev);
        sqlite3_bind_int64(ix->put_run, 4, next);
        sqlite3_bind_int64(ix->put_run, 5, ix->group);
        int rc = sqlite3_step(ix->put_run);
        sqlite3_reset(ix->put_run);
        if (rc != SQLITE_DONE || (ix->group_len >= TG_SEARCH_GROUP_TEXT && write_group(ix) != 0))
            return -1;
        done += take;
    }
    return 0;
}

/* A run of consecutive chunk ids at positions [at, at + n) of a request:
 * the parts no row of the index holds yet are indexed now, once. */
static int index_new_parts(struct indexing *ix, const int64_t *ids, long count, long at, long n)
{
    int64_t from = ids[at], to = ids[at] + n, cursor = from;
    sqlite3_stmt *st = ix->covered;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    int rc = 0, step;
    int64_t gaps[2 * 64];
    int ngaps = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t first = sqlite3_column_int64(st, 0), end = first + sqlite3_column_int64(st, 1);
        if (first > cursor && ngaps < 64) {
            gaps[2 * ngaps] = cursor;
            gaps[2 * ngaps++ + 1] = first;
        }
        if (end > cursor)
            cursor = end;
    }
    sqlite3_reset(st);
    if (step != SQLITE_DONE)
        return -1;
    if (cursor < to && ngaps < 64) {
        gaps[2 * ngaps] = cursor;
        gaps[2 * ngaps++ + 1] = to;
    }
    for (int g = 0; g < ngaps && rc == 0; g++)
        rc = put_runs(ix, ids, count, at + (long)(gaps[2 * g] - from), (long)(gaps[2 * g + 1] - gaps[2 * g]));
    return rc;
}

/* One request in chunks: its new text into the index, its uses noted. */
static int index_chunked(struct indexing *ix, int64_t request_id, const int64_t *ids, long count)
{
    for (long i = 0; i < count;) {
        long n = 1;
        while (i + n < count && ids[i + n] == ids[i] + n)
            n++;
        if (index_new_parts(ix, ids, count, i, n) != 0 || add_use(ix, request_id, ids[i], n) != 0)
            return -1;
        i += n;
    }
    return 0;
}

/* One request of an older layout: its words, under minus its id. */
static int index_whole(struct indexing *ix, int64_t request_id, bool remove)
{
    char *text = tg_search_log_text(ix->store, request_id);
    if (!text)
        return 0; /* a pruned body has nothing to find */
    sqlite3_stmt *st;
    int rc = -1;
    const char *sql = remove ? "INSERT INTO search_text(search_text, rowid, text) VALUES('delete', ?1, ?2)"
                             : "INSERT INTO search_text(rowid, text) VALUES(?1, ?2)";
    if (sqlite3_prepare_v2(tg_store_sqlite(ix->store), sql, -1, &st, NULL) == SQLITE_OK) {
        rc = fts_put(st, -request_id, text, strlen(text));
        sqlite3_finalize(st);
    }
    free(text);
    return rc;
}

static int index_request(struct indexing *ix, int64_t request_id)
{
    int layout = tg_store_body_layout(ix->store, request_id);
    if (layout <= 0)
        return 0;
    if (layout != TG_BODY_CHUNKS)
        return index_whole(ix, request_id, false);
    int64_t *ids;
    long count = tg_store_chunk_ids(ix->store, request_id, &ids);
    if (count < 0)
        return 0; /* damaged: nothing to index, and no reason to stop the rest */
    size_t runs_before = ix->runs_put;
    int rc = index_chunked(ix, request_id, ids, count);
    free(ids);
    /* a row holds the new text of a few requests: more made a rare phrase's
     * trigrams all present in most rows, each then rebuilt to be checked */
    if (rc == 0 && ix->runs_put > runs_before && ++ix->group_requests >= TG_SEARCH_GROUP_REQUESTS)
        rc = write_group(ix);
    return rc;
}

static int by_bucket(const void *a, const void *b)
{
    const struct use *x = a, *y = b;
    if (x->bucket != y->bucket)
        return x->bucket < y->bucket ? -1 : 1;
    if (x->request_id != y->request_id)
        return x->request_id < y->request_id ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off;
}

/* The uses already stored under (bucket, upto), appended to ix->uses (a
 * request indexed again, after a migrate, lands on an existing row). */
static int take_existing(struct indexing *ix, sqlite3 *db, int64_t bucket, int64_t upto)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT users FROM search_users WHERE bucket = ?1 AND upto = ?2", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, bucket);
    sqlite3_bind_int64(st, 2, upto);
    int rc = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *b = sqlite3_column_blob(st, 0);
        size_t len = (size_t)sqlite3_column_bytes(st, 0), pos = 0;
        uint64_t request = 0, d, off, n;
        while (rc == 0 && pos < len) {
            if (!tg_search_get_varint(b, len, &pos, &d) || !tg_search_get_varint(b, len, &pos, &off) ||
                !tg_search_get_varint(b, len, &pos, &n))
                break; /* damaged: what was read stays */
            request += d;
            rc = add_use(ix, (int64_t)request, bucket << TG_SEARCH_BUCKET_SHIFT | (int64_t)off, (int64_t)n);
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* The batch's uses as one row per bucket: (request delta, offset, count). */
static int write_uses(struct indexing *ix)
{
    sqlite3 *db = tg_store_sqlite(ix->store);
    if (ix->nuses == 0)
        return 0;
    qsort(ix->uses, ix->nuses, sizeof *ix->uses, by_bucket);
    sqlite3_stmt *put;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO search_users(bucket, upto, users) VALUES(?1, ?2, ?3)", -1,
                           &put, NULL) != SQLITE_OK)
        return -1;
    unsigned char *blob = NULL;
    int rc = 0;
    for (size_t i = 0; i < ix->nuses && rc == 0;) {
        size_t j = i;
        while (j < ix->nuses && ix->uses[j].bucket == ix->uses[i].bucket)
            j++;
        unsigned char *grown = realloc(blob, (j - i) * 30);
        if (!grown) {
            rc = -1;
            break;
        }
        blob = grown;
        size_t len = 0;
        int64_t last = 0;
        for (size_t k = i; k < j; k++) {
            len += tg_search_put_varint(blob + len, (uint64_t)(ix->uses[k].request_id - last));
            len += tg_search_put_varint(blob + len, ix->uses[k].off);
            len += tg_search_put_varint(blob + len, ix->uses[k].n);
            last = ix->uses[k].request_id;
        }
        sqlite3_bind_int64(put, 1, ix->uses[i].bucket);
        sqlite3_bind_int64(put, 2, last);
        sqlite3_bind_blob(put, 3, blob, (int)len, SQLITE_STATIC);
        rc = sqlite3_step(put) == SQLITE_DONE ? 0 : -1;
        sqlite3_reset(put);
        i = j;
    }
    free(blob);
    sqlite3_finalize(put);
    ix->nuses = 0;
    return rc;
}

/* FTS5 keeps a batch's new entries in memory and writes them as a segment
 * when they pass `hashsize` (1 MB by default) and at the commit. A batch of
 * 2,000 agent requests then wrote a dozen segments, which FTS5's own merging
 * and the final merge rewrote, leaving free pages as large as the index. At
 * HASH_SIZE a batch is one segment (its memory is what the batch's entries
 * take, ~20 MB for 2,000 agent requests; a batch of unusually much new text
 * writes a segment per 64 MB instead). Kept in search_text_config. */
#define HASH_SIZE (64 << 20)

static int large_hash(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM search_text_config WHERE k = 'hashsize' AND v = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    sqlite3_bind_int(st, 1, HASH_SIZE);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (sqlite3_prepare_v2(db, "INSERT INTO search_text(search_text, rank) VALUES('hashsize', ?1)", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    sqlite3_bind_int(st, 1, HASH_SIZE);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

int tg_search_index_more(struct tg_store *store, int limit, char *err, size_t errlen)
{
    sqlite3 *db = tg_store_sqlite(store);
    if (tg_store_begin(store, err, errlen) != 0)
        return -1;
    int64_t from = position(store), last = from;
    sqlite3_stmt *rows = NULL;
    struct indexing ix;
    int n = 0, rc = indexing_open(&ix, store);
    if (rc == 0)
        rc = large_hash(db);
    if (rc == 0 &&
        sqlite3_prepare_v2(db, "SELECT id FROM requests WHERE id > ?1 ORDER BY id LIMIT ?2", -1, &rows, NULL) !=
            SQLITE_OK)
        rc = -1;
    if (rc == 0) {
        sqlite3_bind_int64(rows, 1, from);
        sqlite3_bind_int(rows, 2, limit);
    }
    while (rc == 0 && sqlite3_step(rows) == SQLITE_ROW) {
        last = sqlite3_column_int64(rows, 0);
        n++;
        rc = index_request(&ix, last);
    }
    if (rc == 0)
        rc = write_group(&ix);
    if (rc == 0)
        rc = write_uses(&ix);
    if (rc == 0 && n > 0) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)last);
        rc = tg_store_set_sync_position(store, "search index", buf, err, errlen);
    } else if (rc != 0) {
        int code = sqlite3_errcode(db);
        if (code == SQLITE_OK || code == SQLITE_ROW || code == SQLITE_DONE) /* not SQLite's: the body's */
            snprintf(err, errlen, "indexing for search: the stored body of request %lld could not be read",
                     (long long)last);
        else
            tg_store_fail(store, "indexing for search", err, errlen);
    }
    sqlite3_finalize(rows);
    indexing_close(&ix);
    if (rc != 0) {
        tg_store_rollback(store);
        return -1;
    }
    if (tg_store_commit(store, err, errlen) != 0)
        return -1;
    return n;
}

int tg_search_forget(struct tg_store *store, int64_t request_id, char *err, size_t errlen)
{
    if (request_id > position(store))
        return 0; /* never indexed: the indexer will get to it */
    int layout = tg_store_body_layout(store, request_id);
    if (layout <= 0 || layout == TG_BODY_CHUNKS)
        return 0;
    struct indexing ix = {.store = store};
    return index_whole(&ix, request_id, true) == 0 ? 0
                                                   : tg_store_fail(store, "updating the search index", err, errlen);
}

int tg_search_add(struct tg_store *store, int64_t request_id, char *err, size_t errlen)
{
    if (request_id > position(store))
        return 0;
    struct indexing ix;
    int rc = indexing_open(&ix, store);
    if (rc == 0)
        rc = index_request(&ix, request_id);
    if (rc == 0)
        rc = write_group(&ix);
    /* the rows it lands on may hold other requests: merged, not replaced */
    size_t mine = ix.nuses;
    for (size_t i = 0; rc == 0 && i < mine; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = ix.uses[k].bucket == ix.uses[i].bucket;
        if (!seen)
            rc = take_existing(&ix, tg_store_sqlite(store), ix.uses[i].bucket, request_id);
    }
    if (rc == 0)
        rc = write_uses(&ix);
    indexing_close(&ix);
    return rc == 0 ? 0 : tg_store_fail(store, "updating the search index", err, errlen);
}

/* A group's text as indexed (*all), and without the runs in [from, to)
 * (*kept); *whole when every piece could be read again. */
static int group_text(sqlite3_stmt *runs, struct tg_chunk_reader *reader, int64_t group, int64_t from, int64_t to,
                      struct strbuf *all, struct strbuf *kept, bool *whole)
{
    *whole = true;
    sqlite3_reset(runs);
    sqlite3_bind_int64(runs, 1, group);
    int rc = 0;
    while (rc == 0 && sqlite3_step(runs) == SQLITE_ROW) {
        struct tg_search_run_text t;
        int64_t at = sqlite3_column_int64(runs, 0);
        if (tg_search_run_text(reader, sqlite3_column_int64(runs, 2), at, sqlite3_column_int64(runs, 1),
                               sqlite3_column_int64(runs, 3), &t) != 0) {
            *whole = false;
            continue;
        }
        *whole = *whole && t.whole;
        strbuf_append(all, t.text, t.len);
        if (at < from || at >= to)
            strbuf_append(kept, t.text, t.len);
        free(t.text);
    }
    sqlite3_reset(runs);
    return all->failed || kept->failed ? -1 : rc;
}

static int fts_row(sqlite3_stmt *st, int64_t rowid, const struct strbuf *text)
{
    return fts_put(st, rowid, text->data ? text->data : "", text->len);
}

/* Takes the runs in [from, to) out of their group's row: the row goes with
 * the exact text it was given and comes back without them. When a piece
 * cannot be read again (a neighbour swept before), its trigrams stay behind:
 * a hit on them is checked against search_runs, which no longer has the
 * run, and ignored. */
static int forget_in_group(sqlite3_stmt **st, struct tg_chunk_reader *reader, int64_t group, int64_t from,
                           int64_t to)
{
    struct strbuf all = STRBUF_INIT, kept = STRBUF_INIT;
    bool whole;
    int rc = group_text(st[0], reader, group, from, to, &all, &kept, &whole);
    if (rc == 0 && whole) {
        rc = fts_row(st[1], group, &all);
        if (rc == 0 && kept.len)
            rc = fts_row(st[2], group, &kept);
    }
    strbuf_free(&all);
    strbuf_free(&kept);
    return rc;
}

int tg_search_forget_chunks(struct tg_store *store, int64_t first, int64_t count, char *err, size_t errlen)
{
    static const char *const sql[] = {
        "SELECT first, chunks, prev, next FROM search_runs WHERE grp = ?1 ORDER BY first",
        "INSERT INTO search_text(search_text, rowid, text) VALUES('delete', ?1, ?2)",
        "INSERT INTO search_text(rowid, text) VALUES(?1, ?2)",
        "SELECT DISTINCT grp FROM search_runs WHERE first >= ?1 AND first < ?2",
        "DELETE FROM search_runs WHERE first >= ?1 AND first < ?2",
    };
    enum { NSQL = sizeof sql / sizeof sql[0] };
    sqlite3 *db = tg_store_sqlite(store);
    sqlite3_stmt *st[NSQL] = {0};
    struct tg_chunk_reader *reader = tg_chunk_reader_new(store);
    int rc = reader ? 0 : -1;
    for (int i = 0; i < NSQL && rc == 0; i++)
        rc = sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL) == SQLITE_OK ? 0 : -1;
    int64_t *groups = NULL;
    size_t ngroups = 0, cap = 0;
    if (rc == 0) {
        sqlite3_bind_int64(st[3], 1, first);
        sqlite3_bind_int64(st[3], 2, first + count);
        while (rc == 0 && sqlite3_step(st[3]) == SQLITE_ROW) {
            if (ngroups == cap) {
                cap = cap ? cap * 2 : 16;
                int64_t *grown = realloc(groups, cap * sizeof *grown);
                if (!grown) {
                    rc = -1;
                    break;
                }
                groups = grown;
            }
            groups[ngroups++] = sqlite3_column_int64(st[3], 0);
        }
    }
    for (size_t i = 0; i < ngroups && rc == 0; i++)
        rc = forget_in_group(st, reader, groups[i], first, first + count);
    if (rc == 0) {
        sqlite3_bind_int64(st[4], 1, first);
        sqlite3_bind_int64(st[4], 2, first + count);
        rc = sqlite3_step(st[4]) == SQLITE_DONE ? 0 : -1;
    }
    free(groups);
    for (int i = 0; i < NSQL; i++)
        sqlite3_finalize(st[i]);
    tg_chunk_reader_free(reader);
    return rc == 0 ? 0 : tg_store_fail(store, "updating the search index", err, errlen);
}

/* Whether every chunk of run [first, first + chunks) is unused. */
static bool run_unused(int64_t first, int64_t chunks, bool (*used)(void *ctx, int64_t chunk_id), void *ctx)
{
    for (int64_t c = first; c < first + chunks; c++)
        if (used(ctx, c))
            return false;
    return true;
}

int tg_search_forget_unused(struct tg_store *store, int64_t first, int64_t count,
                            bool (*used)(void *ctx, int64_t chunk_id), void *ctx, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store),
                           "SELECT first, chunks FROM search_runs WHERE first >= ?1 AND first < ?2 ORDER BY first", -1,
                           &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading the search index", err, errlen);
    sqlite3_bind_int64(st, 1, first);
    sqlite3_bind_int64(st, 2, first + count);
    /* runs side by side that all go are forgotten in one call: every run
     * starting in [from, to) is one of them */
    int64_t from = -1, to = -1;
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t run = sqlite3_column_int64(st, 0);
        if (run_unused(run, sqlite3_column_int64(st, 1), used, ctx)) {
            if (from < 0)
                from = run;
            to = run + 1;
            continue;
        }
        if (from >= 0)
            rc = tg_search_forget_chunks(store, from, to - from, err, errlen);
        from = -1;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = tg_store_fail(store, "reading the search index", err, errlen);
    sqlite3_finalize(st);
    if (rc == 0 && from >= 0)
        rc = tg_search_forget_chunks(store, from, to - from, err, errlen);
    return rc;
}

/* Row ids, not counts: both are O(1) with the rowid b-tree, and ids are dense
 * enough for a progress figure (a count(*) every second cost the screens 60 ms
 * of CPU a second on 1M requests). */
void tg_search_progress(struct tg_store *store, int64_t *indexed, int64_t *total)
{
    *indexed = position(store);
    *total = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), "SELECT max(id) FROM requests", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            *total = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    if (*indexed > *total)
        *indexed = *total;
}

int tg_search_query(const char *text, char *out, size_t len)
{
    /* the trigram tokenizer counts characters, not bytes: of the text as
     * the index holds it (", " is one space there) */
    struct strbuf form = STRBUF_INIT;
    tg_search_index_form(text, strlen(text), &form);
    size_t chars = 0;
    for (size_t i = 0; i < form.len; i++)
        chars += ((unsigned char)form.data[i] & 0xC0) != 0x80;
    strbuf_free(&form);
    if (chars < 3)
        return -1;
    size_t o = 0;
    if (o + 1 < len)
        out[o++] = '"';
    for (const char *p = text; *p && o + 3 < len; p++) {
        if (*p == '"')
            out[o++] = '"'; /* FTS5 escapes a quote by doubling it */
        out[o++] = *p;
    }
    out[o++] = '"';
    out[o] = '\0';
    return 0;
}
