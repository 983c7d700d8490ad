#include "query/threadlist.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashmap.h"
#include "base/sanitize.h"

/* Windows with fewer requests than this are grouped: reading them costs less
 * than walking the rollup past every thread outside them (at 10M requests a
 * month, 40,000 requests are about three hours). */
#define GROUP_BELOW 40000

static _Atomic char last_path = 'g';
static _Atomic int group_below = GROUP_BELOW;

void tg_threads_set_group_below(int requests)
{
    atomic_store(&group_below, requests < 0 ? GROUP_BELOW : requests);
}

char tg_threads_last_path(void)
{
    return atomic_load(&last_path);
}

/* The window's rows by the time index, grouped: seconds over a month of 1M
 * requests, but exact in every case. */
static int by_grouping(struct tg_store *store, int64_t since_ms, int64_t until_ms, struct tg_thread_row *rows,
                       int limit, char *err, size_t errlen)
{
    static const char sql[] =
        "SELECT tg_id_text(t.thread_id), coalesce(d.ident, '-'), t.cost, t.turns, t.first_ms, t.last_ms,"
        " (SELECT min(r.id) FROM requests r WHERE r.thread_id = t.thread_id AND r.ts_ms = t.first_ms)"
        " FROM (SELECT thread_id, sum(cost_nanos) AS cost, count(*) AS turns, min(ts_ms) AS first_ms,"
        "  max(ts_ms) AS last_ms, min(developer_id) AS developer_id FROM requests"
        "  WHERE thread_id IS NOT NULL AND ts_ms >= ?1 AND ts_ms < ?2 GROUP BY thread_id) t"
        " LEFT JOIN developers d ON d.id = t.developer_id ORDER BY t.cost DESC, tg_id_text(t.thread_id) LIMIT ?3";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "listing threads", err, errlen);
    sqlite3_bind_int64(st, 1, since_ms);
    sqlite3_bind_int64(st, 2, until_ms);
    sqlite3_bind_int(st, 3, limit);
    int n = 0, rc = SQLITE_DONE;
    while (n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct tg_thread_row *t = &rows[n++];
        snprintf(t->thread, sizeof t->thread, "%s", (const char *)sqlite3_column_text(st, 0));
        tg_sanitize((const char *)sqlite3_column_text(st, 1), t->developer, sizeof t->developer);
        t->cost = sqlite3_column_int64(st, 2);
        t->turns = sqlite3_column_int64(st, 3);
        t->first_ms = sqlite3_column_int64(st, 4);
        t->last_ms = sqlite3_column_int64(st, 5);
        t->first_request = sqlite3_column_int64(st, 6);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return tg_store_fail(store, "listing threads", err, errlen);
    return n;
}

/* Whether the window holds fewer than GROUP_BELOW requests (reads at most
 * that many entries of the time index). -1 on error. */
static int small_window(struct tg_store *store, int64_t since_ms, int64_t until_ms)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store),
                           "SELECT count(*) FROM (SELECT 1 FROM requests WHERE ts_ms >= ?1 AND ts_ms < ?2 LIMIT ?3)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, since_ms);
    sqlite3_bind_int64(st, 2, until_ms);
    int below = atomic_load(&group_below);
    sqlite3_bind_int(st, 3, below);
    int rc = sqlite3_step(st);
    int small = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) < below : -1;
    sqlite3_finalize(st);
    return small;
}

/* A thread found in the walk, with its totals in the window. */
struct candidate {
    char *thread;
    int64_t cost, turns, first_ms, last_ms, developer_id, first_request;
};

/* The walk's state: the candidates, and a min-heap of the `limit` best
 * costs among them (its top: the cost a thread must reach to count). */
struct walk {
    struct candidate *found;
    size_t count, cap;
    int64_t *heap;
    int heap_len, limit;
    sqlite3_stmt *inside, *first;
    struct hashmap *recent; /* threads with requests past the rollup's count */
};

static void heap_push(struct walk *w, int64_t cost)
{
    int64_t *h = w->heap;
    if (w->heap_len == w->limit) {
        if (cost <= h[0])
            return;
        h[0] = cost; /* replaces the smallest, sifted down */
        for (int i = 0;;) {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < w->heap_len && h[l] < h[m])
                m = l;
            if (r < w->heap_len && h[r] < h[m])
                m = r;
            if (m == i)
                break;
            int64_t t = h[i];
            h[i] = h[m];
            h[m] = t;
            i = m;
        }
        return;
    }
    int i = w->heap_len++;
    h[i] = cost;
    while (i > 0 && h[(i - 1) / 2] > h[i]) {
        int p = (i - 1) / 2;
        int64_t t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static int add_candidate(struct walk *w, const struct candidate *c)
{
    if (w->count == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 256;
        struct candidate *more = realloc(w->found, cap * sizeof *more);
        if (!more)
            return -1;
        w->found = more;
        w->cap = cap;
    }
    w->found[w->count] = *c;
    w->found[w->count].thread = strdup(c->thread);
    if (!w->found[w->count].thread)
        return -1;
    w->count++;
    heap_push(w, c->cost);
    return 0;
}

/* A thread that crosses an edge of the window: its totals over its rows in
 * [from, to] (the window cut to its span). 1 counted, 0 none inside, -1. */
static int count_inside(struct walk *w, sqlite3_value *thread, int64_t from, int64_t to, struct candidate *c)
{
    sqlite3_bind_value(w->inside, 1, thread);
    sqlite3_bind_int64(w->inside, 2, from);
    sqlite3_bind_int64(w->inside, 3, to);
    int rc = sqlite3_step(w->inside);
    if (rc == SQLITE_ROW) {
        c->turns = sqlite3_column_int64(w->inside, 0);
        c->cost = sqlite3_column_int64(w->inside, 1);
        c->first_ms = sqlite3_column_int64(w->inside, 2);
        c->last_ms = sqlite3_column_int64(w->inside, 3);
        c->developer_id = sqlite3_column_int64(w->inside, 4);
    }
    sqlite3_reset(w->inside);
    if (rc != SQLITE_ROW)
        return -1;
    if (c->turns == 0)
        return 0;
    sqlite3_bind_value(w->first, 1, thread);
    sqlite3_bind_int64(w->first, 2, c->first_ms);
    rc = sqlite3_step(w->first);
    c->first_request = rc == SQLITE_ROW ? sqlite3_column_int64(w->first, 0) : 0;
    sqlite3_reset(w->first);
    return rc == SQLITE_ROW ? 1 : -1;
}

static int by_cost_then_thread(const void *pa, const void *pb)
{
    const struct candidate *a = pa, *b = pb;
    if (a->cost != b->cost)
        return a->cost > b->cost ? -1 : 1;
    return strcmp(a->thread, b->thread);
}

/* A thread with requests the rollup does not count yet (past its mark): its
 * totals in the window from its rows, over its whole span (the rollup's
 * row, if any, and the newer requests). 1 counted, 0 none inside, -1. */
static int count_recent(struct walk *w, sqlite3_stmt *span, sqlite3_value *thread, int64_t lo, int64_t hi,
                        int64_t since_ms, int64_t until_ms, struct candidate *c)
{
    sqlite3_bind_value(span, 1, thread);
    int rc = sqlite3_step(span);
    if (rc == SQLITE_ROW) {
        int64_t first = sqlite3_column_int64(span, 0), last = sqlite3_column_int64(span, 1);
        lo = first < lo ? first : lo;
        hi = last > hi ? last : hi;
    }
    sqlite3_reset(span);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return -1;
    if (hi < since_ms || lo >= until_ms)
        return 0;
    return count_inside(w, thread, lo < since_ms ? since_ms : lo, hi >= until_ms ? until_ms - 1 : hi, c);
}

/* The threads of the requests past the rollup's mark (a step of 16,384 at
 * most: store/threads.h), counted from their rows and remembered, so the
 * walk, which reads the rollup's totals, passes them by. */
static int add_recent(struct tg_store *store, int64_t upto, int64_t since_ms, int64_t until_ms, struct walk *w)
{
    sqlite3 *db = tg_store_sqlite(store);
    sqlite3_stmt *st = NULL, *span = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT thread_id, tg_id_text(thread_id), min(ts_ms), max(ts_ms) FROM requests"
                           " WHERE id > ?1 AND thread_id IS NOT NULL GROUP BY thread_id",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT first_ms, last_ms FROM threads WHERE thread_id = ?1", -1, &span, NULL) !=
            SQLITE_OK) {
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_bind_int64(st, 1, upto);
    int rc, result = 0;
    while (result == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 1);
        static char present;
        if (hashmap_put(w->recent, text, strlen(text), &present) != 0) {
            result = -1;
            break;
        }
        struct candidate c = {.thread = (char *)text};
        int inside = count_recent(w, span, sqlite3_column_value(st, 0), sqlite3_column_int64(st, 2),
                                  sqlite3_column_int64(st, 3), since_ms, until_ms, &c);
        result = inside < 0 ? -1 : inside ? add_candidate(w, &c) : 0;
    }
    if (result == 0 && rc != SQLITE_DONE)
        result = -1;
    sqlite3_finalize(st);
    sqlite3_finalize(span);
    return result;
}

/* Walks the rollup's cost index from the top (see threadlist.h). */
static int walk_rollup(struct tg_store *store, int64_t since_ms, int64_t until_ms, struct walk *w)
{
    sqlite3 *db = tg_store_sqlite(store);
    sqlite3_stmt *st = NULL;
    int64_t upto = tg_store_threads_counted_upto(store);
    if (sqlite3_prepare_v2(db,
                           "SELECT thread_id, tg_id_text(thread_id), cost_nanos, first_ms, last_ms, turns,"
                           " coalesce(developer_id, 0), first_request FROM threads INDEXED BY threads_cost"
                           " WHERE last_ms >= ?1 AND first_ms < ?2 ORDER BY cost_nanos DESC",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT count(*), coalesce(sum(cost_nanos), 0), min(ts_ms), max(ts_ms),"
                           " coalesce(min(developer_id), 0) FROM requests"
                           " WHERE ts_ms >= ?2 AND ts_ms <= ?3 AND thread_id = ?1",
                           -1, &w->inside, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT min(id) FROM requests WHERE ts_ms = ?2 AND thread_id = ?1", -1, &w->first,
                           NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return -1;
    }
    if (upto != INT64_MAX && add_recent(store, upto, since_ms, until_ms, w) != 0) {
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_bind_int64(st, 1, since_ms);
    sqlite3_bind_int64(st, 2, until_ms);
    int rc, result = 0;
    while (result == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t whole = sqlite3_column_int64(st, 2);
        const char *text = (const char *)sqlite3_column_text(st, 1);
        if (hashmap_get(w->recent, text, strlen(text)))
            continue; /* counted from its rows already */
        if (w->heap_len == w->limit && whole < w->heap[0])
            break; /* nothing further on can reach the best `limit` */
        struct candidate c = {.thread = (char *)sqlite3_column_text(st, 1), .cost = whole,
                              .first_ms = sqlite3_column_int64(st, 3), .last_ms = sqlite3_column_int64(st, 4),
                              .turns = sqlite3_column_int64(st, 5), .developer_id = sqlite3_column_int64(st, 6),
                              .first_request = sqlite3_column_int64(st, 7)};
        if (c.first_ms < since_ms || c.last_ms >= until_ms) {
            int64_t from = c.first_ms < since_ms ? since_ms : c.first_ms,
                    to = c.last_ms >= until_ms ? until_ms - 1 : c.last_ms;
            int inside = count_inside(w, sqlite3_column_value(st, 0), from, to, &c);
            if (inside <= 0) {
                result = inside;
                continue;
            }
        }
        result = add_candidate(w, &c);
    }
    if (result == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
        result = -1;
    sqlite3_finalize(st);
    return result;
}

/* The developers' names for the rows kept. */
static int name_developers(struct tg_store *store, const struct walk *w, struct tg_thread_row *rows, int n)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), "SELECT ident FROM developers WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    int result = 0;
    for (int i = 0; i < n && result == 0; i++) {
        const char *name = "-";
        sqlite3_bind_int64(st, 1, w->found[i].developer_id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
            name = (const char *)sqlite3_column_text(st, 0);
        else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            result = -1;
        tg_sanitize(name, rows[i].developer, sizeof rows[i].developer);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return result;
}

static int by_rollup(struct tg_store *store, int64_t since_ms, int64_t until_ms, struct tg_thread_row *rows,
                     int limit, char *err, size_t errlen)
{
    struct walk w = {.limit = limit, .heap = malloc((size_t)limit * sizeof(int64_t)), .recent = hashmap_new()};
    int n = -1;
    if (!w.heap || !w.recent) {
        free(w.heap);
        hashmap_free(w.recent, NULL);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* the rollup, its mark and the newer rows read in one snapshot */
    sqlite3 *db = tg_store_sqlite(store);
    bool own_read = sqlite3_get_autocommit(db) && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    if (walk_rollup(store, since_ms, until_ms, &w) == 0) {
        if (w.count > 1)
            qsort(w.found, w.count, sizeof *w.found, by_cost_then_thread);
        n = w.count < (size_t)limit ? (int)w.count : limit;
        for (int i = 0; i < n; i++) {
            const struct candidate *c = &w.found[i];
            struct tg_thread_row *t = &rows[i];
            snprintf(t->thread, sizeof t->thread, "%s", c->thread);
            t->cost = c->cost;
            t->turns = c->turns;
            t->first_ms = c->first_ms;
            t->last_ms = c->last_ms;
            t->first_request = c->first_request;
        }
        if (name_developers(store, &w, rows, n) != 0)
            n = -1;
    }
    if (n < 0)
        tg_store_fail(store, "listing threads", err, errlen);
    for (size_t i = 0; i < w.count; i++)
        free(w.found[i].thread);
    free(w.found);
    free(w.heap);
    hashmap_free(w.recent, NULL);
    sqlite3_finalize(w.inside);
    sqlite3_finalize(w.first);
    if (own_read)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    return n;
}

int tg_threads_by_cost(struct tg_store *store, int64_t since_ms, int64_t until_ms, struct tg_thread_row *rows,
                       int limit, char *err, size_t errlen)
{
    if (limit <= 0 || since_ms >= until_ms)
        return 0;
    int small = tg_store_threads_ready(store) ? small_window(store, since_ms, until_ms) : 1;
    if (small < 0)
        return tg_store_fail(store, "listing threads", err, errlen);
    atomic_store(&last_path, small ? 'g' : 'r');
    return small ? by_grouping(store, since_ms, until_ms, rows, limit, err, errlen)
                 : by_rollup(store, since_ms, until_ms, rows, limit, err, errlen);
}
