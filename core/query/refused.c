#include "query/refused.h"

#include <stdio.h>

#include "store/sqlbind.h"

#define END_OF_TIME_MS 4102444800000LL /* 2100-01-01, as spend.c */

/* From revoked keys, through the partial index requests_refused (key, time):
 * only refused requests of revoked keys are read. CROSS JOIN keeps that
 * order: left to itself SQLite scanned the window's requests through
 * requests_ts and looked each key up (4M requests: 1.06 s in every report
 * and spend screen, against < 1 ms). Group ids as spend.c's; local days from
 * minutes, mapped (a half-hour zone's midnight falls inside an hour). */
#define REFUSED_SQL(GID)                                                                                     \
    "SELECT " GID ", count(*), coalesce(sum(r.is_error), 0) FROM keys k"                                    \
    " CROSS JOIN requests r ON r.key_id = k.id AND r.status_code IN (401, 403) AND r.ts_ms > k.revoked_ms"        \
    " LEFT JOIN developers d ON d.id = r.developer_id LEFT JOIN models m ON m.id = r.model_id"               \
    " WHERE k.revoked_ms IS NOT NULL AND r.ts_ms >= ?1 AND r.ts_ms < ?2"                                      \
    " AND (?3 IS NULL OR d.ident = ?3) AND (?4 IS NULL OR k.name = ?4 OR k.key_id = ?4)"                     \
    " AND (?5 IS NULL OR m.name = ?5) GROUP BY 1"

static const char *const refused_sql[] = {
    [TG_BY_DEVELOPER] = REFUSED_SQL("coalesce(r.developer_id, 0)"),
    [TG_BY_KEY] = REFUSED_SQL("r.key_id"),
    [TG_BY_MODEL] = REFUSED_SQL("coalesce(r.model_id, 0)"),
    [TG_BY_DAY] = REFUSED_SQL("r.ts_ms / 86400000"),
    [TG_BY_HOUR] = REFUSED_SQL("r.ts_ms / 3600000"),
};
static const char refused_minute_sql[] = REFUSED_SQL("r.ts_ms / 60000");

static void take_out(struct tg_spend_row *row, int64_t refused, int64_t errors)
{
    row->requests -= refused < row->requests ? refused : row->requests;
    row->errors -= errors < row->errors ? errors : row->errors;
    row->refused_revoked += refused;
}

int tg_spend_take_out_refused(struct tg_store *store, enum tg_spend_by by, const struct tg_spend_filter *filter,
                              struct tg_spend_report *report, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    bool local_days = by == TG_BY_DAY && tg_spend_local_days(by, filter);
    if (sqlite3_prepare_v2(tg_store_sqlite(store), local_days ? refused_minute_sql : refused_sql[by], -1, &st, NULL) !=
        SQLITE_OK)
        return tg_store_fail(store, "counting refused requests on revoked keys", err, errlen);
    sqlite3_bind_int64(st, 1, filter->since_ms == TG_SPEND_OPEN ? 0 : filter->since_ms);
    sqlite3_bind_int64(st, 2, filter->until_ms == TG_SPEND_OPEN ? END_OF_TIME_MS : filter->until_ms);
    tg_sql_bind_text(st, 3, filter->developer);
    tg_sql_bind_text(st, 4, filter->key);
    tg_sql_bind_text(st, 5, filter->model);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t group = sqlite3_column_int64(st, 0);
        if (local_days)
            group = tg_spend_local_day_ms(group * 60000);
        int64_t refused = sqlite3_column_int64(st, 1), errors = sqlite3_column_int64(st, 2);
        take_out(&report->total, refused, errors);
        for (size_t i = 0; i < report->count; i++) {
            if (report->rows[i].group_id == group)
                take_out(&report->rows[i], refused, errors);
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "counting refused requests on revoked keys", err, errlen);
    return 0;
}
