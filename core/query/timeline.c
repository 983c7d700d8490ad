#include "query/timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tg_timeline_raw(struct tg_store *store, int64_t since_ms, int64_t until_ms, int64_t bucket_ms,
                    struct tg_spend_report *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->by = TG_BY_HOUR;
    out->total.last_ms = -1;
    if (bucket_ms <= 0 || since_ms >= until_ms) {
        snprintf(err, errlen, "an empty timeline");
        return -1;
    }
    size_t cap = (size_t)((until_ms - since_ms) / bucket_ms + 2);
    if (cap > 100000) {
        snprintf(err, errlen, "too many buckets for a timeline from raw requests");
        return -1;
    }
    out->rows = calloc(cap, sizeof *out->rows);
    if (!out->rows) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store),
                           "SELECT ts_ms / ?3, count(*), sum(is_error), sum(cost_nanos) FROM requests"
                           " WHERE ts_ms >= ?1 AND ts_ms < ?2 GROUP BY 1 ORDER BY 1",
                           -1, &st, NULL) != SQLITE_OK) {
        tg_spend_report_free(out);
        return tg_store_fail(store, "reading the timeline", err, errlen);
    }
    sqlite3_bind_int64(st, 1, since_ms);
    sqlite3_bind_int64(st, 2, until_ms);
    sqlite3_bind_int64(st, 3, bucket_ms);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->count < cap) {
        struct tg_spend_row *row = &out->rows[out->count++];
        row->group_id = sqlite3_column_int64(st, 0);
        row->requests = sqlite3_column_int64(st, 1);
        row->errors = sqlite3_column_int64(st, 2);
        row->cost = sqlite3_column_int64(st, 3);
        row->last_ms = -1;
        out->total.requests += row->requests;
        out->total.errors += row->errors;
        out->total.cost += row->cost;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        tg_spend_report_free(out);
        return tg_store_fail(store, "reading the timeline", err, errlen);
    }
    out->total_groups = out->count;
    return 0;
}
