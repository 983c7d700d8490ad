#include "store/sortkeys.h"

#include "store/syncstate.h"

/* The tail is merged once it holds a quarter as many requests as the runs
 * (each merge then writes the tables once for a quarter of their size),
 * between these bounds. The lower one keeps small dbs from merging every
 * commit; the upper one bounds what a sorted page scans at query time: the
 * tail's rows, read by rowid and sorted: at 10M requests a page with a
 * full tail of 65,536 took 12 ms (0.4 ms with none), of 32,768 6 ms (see
 * docs/benchmarks.md). */
#define SORT_MERGE_MIN 16384
#define SORT_MERGE_MAX 32768
/* Once the runs are big, a commit merges the oldest slice of the tail, not
 * all of it: at 10M requests merging 32,768 keys into each table held the
 * collector's commit (and every client's 200) for up to 2.3 s, as each key
 * lands on a page of its own. From half the bound on, each commit merges
 * this many, or more when its own batch would push the tail past that half
 * (a bulk import). Below SORT_SLICE_FROM the tables are a few thousand pages
 * that one merge of the whole tail rewrites once, where slices would rewrite
 * most of them each time (the batched collector at 1M: -15%). */
#define SORT_MERGE_SLICE 4096
#define SORT_SLICE_FROM 2000000

int store_prepare_sort_keys(struct tg_store *store, char *err, size_t errlen)
{
    return store_prepare(store, ST_SORT_TAIL,
                         "SELECT coalesce((SELECT CAST(position AS INTEGER) FROM sync_state WHERE source = '"
                         SORT_KEYS_MARK "'), 0), coalesce((SELECT max(id) FROM requests), 0)",
                         err, errlen) ||
           store_prepare(store, ST_MERGE_SORT_COST,
                         "INSERT INTO sort_cost SELECT cost_nanos, id FROM requests WHERE id > ?1 AND id <= ?2"
                         " ORDER BY 1, 2",
                         err, errlen) ||
           store_prepare(store, ST_MERGE_SORT_TOKENS,
                         "INSERT INTO sort_tokens SELECT prompt_tokens + completion_tokens, id FROM requests"
                         " WHERE id > ?1 AND id <= ?2 ORDER BY 1, 2",
                         err, errlen) ||
           store_prepare(store, ST_MERGE_SORT_LATENCY,
                         "INSERT INTO sort_latency SELECT coalesce(latency_ms, -1), id FROM requests"
                         " WHERE id > ?1 AND id <= ?2 ORDER BY 1, 2",
                         err, errlen)
               ? -1
               : 0;
}

static int64_t merge_due(int64_t upto)
{
    int64_t due = upto / 4;
    return due < SORT_MERGE_MIN ? SORT_MERGE_MIN : due > SORT_MERGE_MAX ? SORT_MERGE_MAX : due;
}

void tg_store_set_sort_slice_from(struct tg_store *store, int64_t runs)
{
    store->sort_slice_from = runs < 0 ? 0 : runs + 1; /* 0 stays "the default" */
}

static int64_t slice_from(const struct tg_store *store)
{
    return store->sort_slice_from ? store->sort_slice_from - 1 : SORT_SLICE_FROM;
}

static int merge_run(struct tg_store *store, enum statement which, int64_t upto, int64_t last, char *err,
                     size_t errlen)
{
    sqlite3_stmt *st = store->stmt[which];
    sqlite3_bind_int64(st, 1, upto);
    sqlite3_bind_int64(st, 2, last);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : tg_store_fail(store, "merging the sort keys", err, errlen);
}

int store_sort_keys_before_commit(struct tg_store *store, char *err, size_t errlen)
{
    sqlite3_stmt *st = store->stmt[ST_SORT_TAIL];
    if (!st)
        return 0; /* opened at an older schema */
    int rc = sqlite3_step(st);
    int64_t upto = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    int64_t last = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return tg_store_fail(store, "reading the sort keys' watermark", err, errlen);
    int64_t tail = last - upto;
    if (upto < slice_from(store)) {
        if (tail < merge_due(upto))
            return 0;
    } else {
        int64_t keep = merge_due(upto) / 2;
        if (tail < keep)
            return 0;
        int64_t slice = tail - keep > SORT_MERGE_SLICE ? tail - keep : SORT_MERGE_SLICE;
        if (slice < tail)
            last = upto + slice;
    }
    if (merge_run(store, ST_MERGE_SORT_COST, upto, last, err, errlen) != 0 ||
        merge_run(store, ST_MERGE_SORT_TOKENS, upto, last, err, errlen) != 0 ||
        merge_run(store, ST_MERGE_SORT_LATENCY, upto, last, err, errlen) != 0)
        return -1;
    return store_set_mark(store, SORT_KEYS_MARK, last, err, errlen);
}
