#include "store/bulkindex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "store/logids.h"

/* Below this many logs in a batch the rebuild is not worth it (100k rows
 * were rebuilt in 2.3 us a row against ~8 us a log for the inserts). */
#define BULK_INDEX_MIN_LOGS 50000
/* The rebuild covers the rows the db held too: it pays once the batch adds
 * about 1.8 times them after the drop. Dropping once the batch has added
 * twice the db's rows bets that it goes on as long again; at once the db's
 * rows, 100k logs into a db of 100k dropped them at the last log and rebuilt
 * 200k rows for nothing (writer 21 -> 27 us a log). */
#define BULK_INDEX_ROWS_FACTOR 2

/* The indexes of requests the store only reads outside a batch (sorts,
 * time windows, refused requests). Named here, not read from the schema,
 * so the DROP is constant SQL; each is built again from its own stored
 * CREATE text. */
static const char *const deferred_names[] = {"requests_ts", "requests_refused", "requests_cost",
                                             "requests_tokens", "requests_latency"};
#define NDEFERRED (sizeof deferred_names / sizeof deferred_names[0])
static const char *const drop_sql[NDEFERRED] = {
    "DROP INDEX requests_ts", "DROP INDEX requests_refused", "DROP INDEX requests_cost",
    "DROP INDEX requests_tokens", "DROP INDEX requests_latency"};

/* The CREATE text of index `name`, or NULL when it is not there. */
static char *index_sql(struct tg_store *store, const char *name, int *rc)
{
    sqlite3_stmt *st;
    *rc = sqlite3_prepare_v2(store->db, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1", -1, &st,
                             NULL);
    if (*rc != SQLITE_OK)
        return NULL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    char *sql = NULL;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW && sqlite3_column_text(st, 0))
        sql = strdup((const char *)sqlite3_column_text(st, 0));
    *rc = step == SQLITE_ROW || step == SQLITE_DONE ? (step == SQLITE_ROW && !sql ? SQLITE_NOMEM : SQLITE_OK) : step;
    sqlite3_finalize(st);
    return sql;
}

static int drop_indexes(struct tg_store *store, char *err, size_t errlen)
{
    struct store_bulk_index *b = &store->bulk_index;
    for (size_t i = 0; i < NDEFERRED; i++) {
        int rc;
        char *sql = index_sql(store, deferred_names[i], &rc);
        if (rc != SQLITE_OK)
            return tg_store_fail(store, "reading the indexes of requests", err, errlen);
        if (!sql)
            continue; /* an older schema, or dropped already */
        b->create_sql[i] = sql;
        if (store_exec(store, drop_sql[i], "deferring an index", err, errlen) != 0)
            return -1;
    }
    b->dropped = true;
    return 0;
}

int store_bulk_index_added(struct tg_store *store, char *err, size_t errlen)
{
    struct store_bulk_index *b = &store->bulk_index;
    if (!store->ids.index_directly || b->dropped)
        return 0;
    if (b->batch_logs == 0)
        b->rows_before = store_next_request_id(store) - 2; /* before this log */
    b->batch_logs++;
    if (b->batch_logs < (b->min_logs ? b->min_logs : BULK_INDEX_MIN_LOGS) ||
        b->batch_logs < BULK_INDEX_ROWS_FACTOR * b->rows_before)
        return 0;
    return drop_indexes(store, err, errlen);
}

int store_bulk_index_before_commit(struct tg_store *store, char *err, size_t errlen)
{
    struct store_bulk_index *b = &store->bulk_index;
    for (size_t i = 0; i < NDEFERRED; i++) {
        if (b->create_sql[i] && store_exec(store, b->create_sql[i], "building an index again", err, errlen) != 0)
            return -1;
    }
    return 0;
}

void store_bulk_index_forget(struct tg_store *store)
{
    struct store_bulk_index *b = &store->bulk_index;
    for (size_t i = 0; i < NDEFERRED; i++) {
        free(b->create_sql[i]);
        b->create_sql[i] = NULL;
    }
    b->dropped = false;
    b->batch_logs = b->rows_before = 0;
}

void tg_store_set_bulk_index_min(struct tg_store *store, int64_t min_logs)
{
    store->bulk_index.min_logs = min_logs;
}
