#include "query/searchfind.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "query/search.h"
#include "query/searchids.h"
#include "query/searchtext.h"
#include "store/chunkread.h"

/* r has a body (schema 14): not the view, which ORDER BY ... LIMIT reads whole */
#define HAS_BODY "(r.chunk_refs IS NOT NULL OR EXISTS (SELECT 1 FROM request_bodies_v13 b WHERE b.request_id = r.id))"

#define EAGER_MAX 4096  /* rows of the index (the new text of a few requests each) checked up front */
#define LISTED_MAX 20000 /* requests found that a page sorts from; more: the page walks its order's index */
#define TRIGRAMS_MAX 24  /* of the text, asked of the index (a hit is checked against the text anyway) */
#define FIRST_SCAN 2000  /* oldest requests tried for the first one when not all were found */
#define BUCKET_MASK ((1 << TG_SEARCH_BUCKET_SHIFT) - 1)

/* A phrase across a chunk edge: the chunks it spans, in order. */
struct span {
    int n;
    int64_t ids[TG_SEARCH_RUN_MAX + 2];
};

/* A row of the index that has every trigram of the text. */
struct candidate {
    int64_t rowid, chunks; /* chunks: 0 until checked, or when the row is gone */
    bool checked, whole_hit; /* whole_hit: a request of an older layout holds the text */
    int64_t *singles;        /* chunks that hold the text */
    size_t nsingles;
    struct span *spans;
    size_t nspans;
};

struct search {
    struct tg_store *store;
    sqlite3 *db;
    char *text, *needle;      /* needle: checked against a request of an older layout */
    char *run_text, *run_needle; /* ... and against a run's text (tg_search_run_needle) */
    size_t needle_len, run_needle_len;
    char state[64]; /* the index's position and the prune mark it was found at */
    struct candidate *cands;
    size_t ncands;
    int64_t *hits; /* sorted, when every candidate was checked */
    size_t nhits;
    int64_t *id_hits; /* sorted: requests whose ids (not in their bodies) hold the text; all checked or not */
    size_t nid_hits;
    bool all_checked;
    struct tg_search_use use;
    struct tg_chunk_reader *reader;
    sqlite3_stmt *run, *users, *cover;
};

static void search_free(void *p)
{
    struct search *s = p;
    if (!s)
        return;
    for (size_t i = 0; i < s->ncands; i++) {
        free(s->cands[i].singles);
        free(s->cands[i].spans);
    }
    free(s->cands);
    free(s->hits);
    free(s->id_hits);
    free(s->text);
    free(s->needle);
    free(s->run_text);
    free(s->run_needle);
    sqlite3_finalize(s->run);
    sqlite3_finalize(s->users);
    sqlite3_finalize(s->cover);
    tg_chunk_reader_free(s->reader);
    free(s);
}

/* The search of each connection, freed with it (the SQL function's destructor). */
#define CONNECTIONS 8
static struct {
    sqlite3 *db;
    struct search *s;
} cache[CONNECTIONS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void search_destroy(void *p)
{
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < CONNECTIONS; i++)
        if (cache[i].s == p)
            cache[i].db = NULL, cache[i].s = NULL;
    pthread_mutex_unlock(&cache_lock);
    search_free(p);
}

static bool push_id(int64_t **v, size_t *n, int64_t id)
{
    if ((*n & (*n - 1)) == 0 || *n == 0) { /* at powers of two */
        int64_t *grown = realloc(*v, (*n ? *n * 2 : 16) * sizeof **v);
        if (!grown)
            return false;
        *v = grown;
    }
    (*v)[(*n)++] = id;
    return true;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void sort_unique(int64_t *v, size_t *n)
{
    qsort(v, *n, sizeof *v, cmp_id);
    size_t k = 0;
    for (size_t i = 0; i < *n; i++)
        if (k == 0 || v[k - 1] != v[i])
            v[k++] = v[i];
    *n = k;
}

static bool has_id(const int64_t *v, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && v[lo] == id;
}

/* The index's question: the trigrams of the text (up to TRIGRAMS_MAX,
 * spread over it), each quoted, ANDed: detail=none has no phrases. NULL
 * when the text has fewer than 3 characters. */
static char *trigram_query(const char *phrase)
{
    struct strbuf form = STRBUF_INIT; /* asked as the index holds it */
    tg_search_index_form(phrase, strlen(phrase), &form);
    strbuf_putc(&form, '\0');
    if (form.failed) {
        strbuf_free(&form);
        return NULL;
    }
    const char *text = form.data;
    size_t starts[1024], nchars = 0, len = form.len - 1;
    for (size_t i = 0; i < len && nchars < 1024; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            starts[nchars++] = i;
    if (nchars < 3) {
        strbuf_free(&form);
        return NULL;
    }
    size_t ntri = nchars - 2, step = ntri > TRIGRAMS_MAX ? (ntri + TRIGRAMS_MAX - 1) / TRIGRAMS_MAX : 1;
    struct strbuf q = STRBUF_INIT;
    for (size_t t = 0; t < ntri; t += step) {
        size_t from = starts[t], to = t + 3 < nchars ? starts[t + 3] : len;
        if (q.len)
            strbuf_puts(&q, " AND ");
        strbuf_putc(&q, '"');
        for (size_t i = from; i < to; i++) {
            if (text[i] == '"')
                strbuf_putc(&q, '"'); /* FTS5 escapes a quote by doubling it */
            strbuf_putc(&q, text[i]);
        }
        strbuf_putc(&q, '"');
    }
    strbuf_free(&form);
    if (q.failed) {
        strbuf_free(&q);
        return NULL;
    }
    return strbuf_detach(&q);
}

/* Rows holding the text as a run's text or as a request of an older
 * layout holds it, when the two differ (a backslash in the text). */
static char *candidates_query(struct search *s)
{
    char *q = trigram_query(s->run_text);
    if (!strcmp(s->run_text, s->text))
        return q;
    char *whole = trigram_query(s->text);
    if (!q || !whole) {
        free(q);
        return whole;
    }
    struct strbuf both = STRBUF_INIT;
    strbuf_puts(&both, "(");
    strbuf_puts(&both, q);
    strbuf_puts(&both, ") OR (");
    strbuf_puts(&both, whole);
    strbuf_puts(&both, ")");
    free(q);
    free(whole);
    if (both.failed) {
        strbuf_free(&both);
        return NULL;
    }
    return strbuf_detach(&both);
}

static int read_candidates(struct search *s)
{
    char *q = candidates_query(s);
    if (!q)
        return 0;
    sqlite3_stmt *st;
    int rc = -1;
    if (sqlite3_prepare_v2(s->db, "SELECT rowid FROM search_text WHERE search_text MATCH ?1 ORDER BY rowid", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
        size_t cap = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (s->ncands == cap) {
                cap = cap ? cap * 2 : 64;
                struct candidate *grown = realloc(s->cands, cap * sizeof *grown);
                if (!grown)
                    break;
                s->cands = grown;
            }
            s->cands[s->ncands++] = (struct candidate){.rowid = sqlite3_column_int64(st, 0)};
        }
        rc = rc == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
    }
    free(q);
    return rc;
}

static bool holds_text(struct search *s, const char *text, size_t len)
{
    char *folded = malloc(len + 1);
    if (!folded)
        return false;
    tg_search_fold(text, len, folded);
    bool found = tg_search_find_in(folded, len, 0, s->needle, s->needle_len) >= 0;
    free(folded);
    return found;
}

/* Where the text occurs in a run's rebuilt text: the chunk, or the chunks
 * across whose edges it runs. */
static void note_occurrences(struct candidate *c, const struct tg_search_run_text *t, const char *folded,
                             size_t needle_len, const char *needle)
{
    for (long at = tg_search_find_in(folded, t->len, 0, needle, needle_len); at >= 0;
         at = tg_search_find_in(folded, t->len, (size_t)at + 1, needle, needle_len)) {
        int pi = 0, pj;
        while (pi < t->pieces - 1 && t->ends[pi] <= (size_t)at)
            pi++;
        for (pj = pi; pj < t->pieces - 1 && t->ends[pj] < (size_t)at + needle_len; pj++)
            ;
        if (pi == pj) {
            bool seen = false;
            for (size_t k = 0; k < c->nsingles && !seen; k++)
                seen = c->singles[k] == t->ids[pi];
            if (!seen)
                push_id(&c->singles, &c->nsingles, t->ids[pi]);
            continue;
        }
        struct span sp = {.n = pj - pi + 1};
        memcpy(sp.ids, t->ids + pi, (size_t)sp.n * sizeof sp.ids[0]);
        struct span *grown = realloc(c->spans, (c->nspans + 1) * sizeof *grown);
        if (grown) {
            c->spans = grown;
            c->spans[c->nspans++] = sp;
        }
    }
}

/* Checks one run of a candidate row against its rebuilt text. */
static void check_run(struct search *s, struct candidate *c, int64_t first, int64_t chunks, int64_t prev,
                      int64_t next)
{
    struct tg_search_run_text t;
    if (tg_search_run_text(s->reader, prev, first, chunks, next, &t) != 0)
        return;
    char *folded = malloc(t.len + 1);
    if (folded) {
        tg_search_fold(t.text, t.len, folded);
        note_occurrences(c, &t, folded, s->run_needle_len, s->run_needle);
    }
    free(folded);
    free(t.text);
}

/* Checks one row of the index (a group of runs, or a whole request of an
 * older layout) against its rebuilt text, once. Runs whose chunks were
 * swept are no longer in search_runs: what stays of them is ignored. */
static void check(struct search *s, struct candidate *c)
{
    if (c->checked)
        return;
    c->checked = true;
    if (c->rowid < 0) {
        char *text = tg_search_log_text(s->store, -c->rowid);
        c->whole_hit = text && holds_text(s, text, strlen(text));
        free(text);
        return;
    }
    sqlite3_stmt *st = s->run;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, c->rowid);
    int64_t runs[64][4];
    int n = 0, rc;
    /* read a few, then check them: the reader may use the db between */
    do {
        n = 0;
        while (n < 64 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            for (int k = 0; k < 4; k++)
                runs[n][k] = sqlite3_column_int64(st, k);
            n++;
        }
        for (int i = 0; i < n; i++)
            check_run(s, c, runs[i][0], runs[i][1], runs[i][2], runs[i][3]);
    } while (n == 64);
    sqlite3_reset(st);
}

/* The requests whose uses in `bucket` cover one of chunks (sorted, all in
 * the bucket), appended to out. */
static int users_of(struct search *s, int64_t bucket, const int64_t *chunks, size_t n, int64_t **out, size_t *nout)
{
    sqlite3_stmt *st = s->users;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, bucket);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *b = sqlite3_column_blob(st, 0);
        size_t len = (size_t)sqlite3_column_bytes(st, 0), pos = 0;
        uint64_t request = 0, d, off, cnt;
        while (pos < len && tg_search_get_varint(b, len, &pos, &d) && tg_search_get_varint(b, len, &pos, &off) &&
               tg_search_get_varint(b, len, &pos, &cnt)) {
            request += d;
            int64_t lo = bucket << TG_SEARCH_BUCKET_SHIFT | (int64_t)off, hi = lo + (int64_t)cnt;
            size_t a = 0, z = n; /* the first chunk >= lo */
            while (a < z) {
                size_t m = a + (z - a) / 2;
                if (chunks[m] < lo)
                    a = m + 1;
                else
                    z = m;
            }
            if (a < n && chunks[a] < hi && !push_id(out, nout, (int64_t)request)) {
                sqlite3_reset(st);
                return -1;
            }
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Whether ids (a request's chunks) hold the span at position i. */
static bool span_at(const int64_t *ids, long count, long i, const struct span *sp)
{
    if (i < 0 || i + sp->n > count)
        return false;
    for (int k = 0; k < sp->n; k++)
        if (ids[i + k] != sp->ids[k])
            return false;
    return true;
}

static bool span_in(const int64_t *ids, long count, const struct span *sp)
{
    for (long i = 0; i < count; i++)
        if (ids[i] == sp->ids[0] && span_at(ids, count, i, sp))
            return true;
    return false;
}

static struct candidate *candidate_row(struct search *s, int64_t rowid)
{
    size_t lo = 0, hi = s->ncands;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (s->cands[m].rowid < rowid)
            lo = m + 1;
        else
            hi = m;
    }
    return lo < s->ncands && s->cands[lo].rowid == rowid ? &s->cands[lo] : NULL;
}

/* The run holding chunk c: [*first, *first + *chunks) in row *group; false
 * when no run does. */
static bool run_of(struct search *s, int64_t c, int64_t *first, int64_t *chunks, int64_t *group)
{
    sqlite3_stmt *st = s->cover;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, c);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        *first = sqlite3_column_int64(st, 0);
        *chunks = sqlite3_column_int64(st, 1);
        *group = sqlite3_column_int64(st, 2);
        found = c < *first + *chunks;
    }
    sqlite3_reset(st);
    return found;
}

/* Whether a request holds the text: from the list when every candidate was
 * checked, else from its chunks, checking the rows they are in. */
static bool request_holds(struct search *s, int64_t request_id)
{
    if (s->all_checked || has_id(s->id_hits, s->nid_hits, request_id)) /* all checked: the hits hold the id hits */
        return !s->all_checked || has_id(s->hits, s->nhits, request_id);
    int64_t *ids;
    long count = tg_store_chunk_ids(s->store, request_id, &ids);
    if (count <= 0) { /* an older layout: its own row */
        free(ids);
        for (size_t i = 0; i < s->ncands && s->cands[i].rowid < 0; i++) {
            if (s->cands[i].rowid == -request_id) {
                check(s, &s->cands[i]);
                return s->cands[i].whole_hit;
            }
        }
        return false;
    }
    bool found = false;
    int64_t first = 0, chunks = 0, group = 0;
    struct candidate *c = NULL;
    for (long i = 0; i < count && !found; i++) {
        if (ids[i] < first || ids[i] >= first + chunks) { /* not in the run looked up last */
            c = NULL;
            if (run_of(s, ids[i], &first, &chunks, &group) && (c = candidate_row(s, group)) != NULL)
                check(s, c);
        }
        if (!c)
            continue;
        for (size_t k = 0; k < c->nsingles && !found; k++)
            found = c->singles[k] == ids[i];
        /* a span from the neighbour before: it starts one chunk back */
        for (size_t k = 0; k < c->nspans && !found; k++)
            for (long back = 0; back < 2 && !found; back++)
                found = c->spans[k].ids[0] == ids[i - back < 0 ? 0 : i - back] && i - back >= 0 &&
                        span_at(ids, count, i - back, &c->spans[k]);
    }
    free(ids);
    return found;
}

/* The requests that hold the whole span: those using its first chunk whose
 * chunks go on as the span does. */
static int span_users(struct search *s, const struct span *sp, int64_t **out, size_t *nout)
{
    int64_t *maybe = NULL;
    size_t n = 0;
    int rc = users_of(s, sp->ids[0] >> TG_SEARCH_BUCKET_SHIFT, sp->ids, 1, &maybe, &n);
    if (n)
        sort_unique(maybe, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int64_t *ids;
        long count = tg_store_chunk_ids(s->store, maybe[i], &ids);
        if (count > 0 && span_in(ids, count, sp) && !push_id(out, nout, maybe[i]))
            rc = -1;
        free(ids);
    }
    free(maybe);
    return rc;
}

/* Every candidate checked, every request found listed (sorted). */
static int find_all(struct search *s)
{
    int64_t *chunks = NULL;
    size_t nchunks = 0;
    int rc = 0;
    for (size_t i = 0; i < s->ncands && rc == 0; i++) {
        struct candidate *c = &s->cands[i];
        check(s, c);
        if (c->whole_hit && !push_id(&s->hits, &s->nhits, -c->rowid))
            rc = -1;
        for (size_t k = 0; k < c->nsingles && rc == 0; k++)
            rc = push_id(&chunks, &nchunks, c->singles[k]) ? 0 : -1;
        for (size_t k = 0; k < c->nspans && rc == 0; k++)
            rc = span_users(s, &c->spans[k], &s->hits, &s->nhits);
    }
    if (nchunks)
        sort_unique(chunks, &nchunks);
    for (size_t i = 0; i < nchunks && rc == 0;) {
        size_t j = i;
        int64_t bucket = chunks[i] >> TG_SEARCH_BUCKET_SHIFT;
        while (j < nchunks && chunks[j] >> TG_SEARCH_BUCKET_SHIFT == bucket)
            j++;
        rc = users_of(s, bucket, chunks + i, j - i, &s->hits, &s->nhits);
        i = j;
    }
    free(chunks);
    if (s->nhits)
        sort_unique(s->hits, &s->nhits);
    s->all_checked = rc == 0;
    return rc;
}

static void has_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    struct search *s = sqlite3_user_data(ctx);
    sqlite3_result_int(ctx, request_holds(s, sqlite3_value_int64(argv[0])));
}

/* The oldest request found that still has a body. */
static int64_t first_found(struct search *s)
{
    sqlite3_stmt *st;
    int64_t first = 0;
    if (s->all_checked) {
        if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM request_bodies WHERE request_id = ?1", -1, &st, NULL) !=
            SQLITE_OK)
            return 0;
        for (size_t i = 0; i < s->nhits && !first; i++) {
            sqlite3_bind_int64(st, 1, s->hits[i]);
            if (sqlite3_step(st) == SQLITE_ROW)
                first = s->hits[i];
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
        return first;
    }
    if (sqlite3_prepare_v2(s->db, "SELECT id FROM requests r WHERE " HAS_BODY " ORDER BY id LIMIT ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_int(st, 1, FIRST_SCAN);
    while (!first && sqlite3_step(st) == SQLITE_ROW)
        if (request_holds(s, sqlite3_column_int64(st, 0)))
            first = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return first;
}

static int list_hits(struct search *s)
{
    if (sqlite3_exec(s->db,
                     "CREATE TEMP TABLE IF NOT EXISTS tg_search_hits(id INTEGER PRIMARY KEY);"
                     "SAVEPOINT tg_search; DELETE FROM temp.tg_search_hits;",
                     NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "INSERT INTO temp.tg_search_hits(id) VALUES(?1)", -1, &st, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < s->nhits; i++) {
        sqlite3_bind_int64(st, 1, s->hits[i]);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        sqlite3_exec(s->db, "ROLLBACK TO tg_search", NULL, NULL, NULL);
    sqlite3_exec(s->db, "RELEASE tg_search", NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : -1;
}

/* What a search found depends on: the index's position and the prune mark. */
static void index_state(struct tg_store *store, char *buf, size_t len)
{
    char pos[24] = "", mark[24] = "";
    tg_store_sync_position(store, "search index", pos, sizeof pos);
    tg_store_sync_position(store, TG_STORE_PRUNE_MARK, mark, sizeof mark);
    snprintf(buf, len, "%s/%s", pos, mark);
}

static struct search *search_new(struct tg_store *store, const char *text, const char *state)
{
    struct search *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->store = store;
    s->db = tg_store_sqlite(store);
    snprintf(s->state, sizeof s->state, "%s", state);
    s->text = strdup(text);
    s->needle_len = strlen(text);
    s->needle = malloc(s->needle_len + 1);
    s->reader = tg_chunk_reader_new(store);
    struct strbuf run = STRBUF_INIT;
    tg_search_run_needle(text, s->needle_len, &run);
    strbuf_putc(&run, '\0');
    s->run_needle_len = run.failed ? 0 : run.len - 1;
    s->run_text = run.failed ? NULL : strbuf_detach(&run);
    strbuf_free(&run);
    s->run_needle = malloc(s->run_needle_len + 1);
    if (!s->text || !s->needle || !s->run_text || !s->run_needle || !s->reader ||
        sqlite3_prepare_v2(s->db, "SELECT first, chunks, prev, next FROM search_runs WHERE grp = ?1 ORDER BY first",
                           -1, &s->run, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "SELECT first, chunks, grp FROM search_runs WHERE first <= ?1 ORDER BY first DESC LIMIT 1",
                           -1, &s->cover, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "SELECT users FROM search_users WHERE bucket = ?1", -1, &s->users, NULL) !=
            SQLITE_OK) {
        search_free(s);
        return NULL;
    }
    tg_search_fold(text, s->needle_len, s->needle);
    s->needle[s->needle_len] = '\0';
    tg_search_fold(s->run_text, s->run_needle_len, s->run_needle);
    s->run_needle[s->run_needle_len] = '\0';
    return s;
}

/* The requests whose ids (searchids.h) hold the text, among the hits. */
static int add_id_hits(struct search *s)
{
    for (size_t i = 0; i < s->nid_hits; i++)
        if (!push_id(&s->hits, &s->nhits, s->id_hits[i]))
            return -1;
    if (s->nid_hits)
        sort_unique(s->hits, &s->nhits);
    return 0;
}

/* Finds the text afresh: candidates, then every one checked when few. */
static int search_run(struct search *s)
{
    if (read_candidates(s) != 0 || tg_search_id_hits(s->store, s->text, &s->id_hits, &s->nid_hits) != 0)
        return -1;
    s->use.found = -1;
    if (s->ncands <= EAGER_MAX) {
        if (find_all(s) != 0 || add_id_hits(s) != 0)
            return -1;
        s->use.found = (int64_t)s->nhits;
        s->use.mode = s->nhits == 0 ? TG_SEARCH_NONE : s->nhits <= LISTED_MAX ? TG_SEARCH_LISTED : TG_SEARCH_CHECKED;
    } else {
        s->use.mode = TG_SEARCH_CHECKED;
    }
    if (s->use.mode == TG_SEARCH_LISTED && list_hits(s) != 0)
        return -1;
    s->use.first = s->use.mode == TG_SEARCH_NONE ? 0 : first_found(s);
    return 0;
}

int tg_search_use(struct tg_store *store, const char *text, struct tg_search_use *use, char *err, size_t errlen)
{
    sqlite3 *db = tg_store_sqlite(store);
    char state[64];
    index_state(store, state, sizeof state);
    pthread_mutex_lock(&cache_lock);
    struct search *cached = NULL;
    for (int i = 0; i < CONNECTIONS && !cached; i++)
        if (cache[i].db == db && cache[i].s && !strcmp(cache[i].s->text, text) && !strcmp(cache[i].s->state, state))
            cached = cache[i].s;
    pthread_mutex_unlock(&cache_lock);
    if (cached) { /* temp.tg_search_hits still lists it: the latest search of this connection */
        *use = cached->use;
        return 0;
    }
    struct search *s = search_new(store, text, state);
    if (!s || search_run(s) != 0) {
        search_free(s);
        return tg_store_fail(store, "searching", err, errlen);
    }
    /* the function owns it from now on: freed when replaced or when the
     * connection closes (and by SQLite itself if registering fails) */
    if (sqlite3_create_function_v2(db, "tg_search_has", 1, SQLITE_UTF8, s, has_fn, NULL, NULL, search_destroy) !=
        SQLITE_OK)
        return tg_store_fail(store, "searching", err, errlen);
    pthread_mutex_lock(&cache_lock);
    int slot = 0;
    for (int i = CONNECTIONS - 1; i >= 0; i--)
        if (cache[i].db == db || !cache[i].db)
            slot = i;
    cache[slot].db = db;
    cache[slot].s = s;
    pthread_mutex_unlock(&cache_lock);
    *use = s->use;
    return 0;
}

long tg_search_newest(struct tg_store *store, const char *text, int64_t *ids, long limit, int64_t *first, char *err,
                      size_t errlen)
{
    struct tg_search_use use;
    *first = 0;
    if (tg_search_use(store, text, &use, err, errlen) != 0)
        return -1;
    *first = use.first;
    if (use.mode == TG_SEARCH_NONE)
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store),
                           "SELECT r.id FROM requests r WHERE tg_search_has(r.id) AND " HAS_BODY
                           " ORDER BY r.id DESC LIMIT ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "searching", err, errlen);
    sqlite3_bind_int(st, 1, (int)limit);
    long n = 0;
    while (n < limit && sqlite3_step(st) == SQLITE_ROW)
        ids[n++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}
