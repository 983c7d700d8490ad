#include "query/spend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/hashmap.h"
#include "base/timeutil.h"
#include "query/refused.h"
#include "store/sqlbind.h"

#define END_OF_TIME_MS 4102444800000LL /* 2100-01-01, hour aligned */

#define AS_NAME(id, name) name,
static const char *const by_names[TG_SPEND_BY_COUNT] = {TG_SPEND_BY_LIST(AS_NAME)};

int tg_spend_by_parse(const char *text, enum tg_spend_by *by)
{
    for (int i = 0; i < TG_SPEND_BY_COUNT; i++) {
        if (strcmp(text, by_names[i]) == 0) {
            *by = (enum tg_spend_by)i;
            return 0;
        }
    }
    return -1;
}

const char *tg_spend_by_name(enum tg_spend_by by)
{
    return by_names[by];
}

/* Both sources give the same columns: 0 group id, 1 label, 2..11 sums,
 * 12 latency histogram blob (rollups) or NULL, 13 latency_ms (raw) or NULL,
 * 14 the time (the hour's start for rollups). */
#define JOINS                                                                               \
    " LEFT JOIN developers d ON d.id = r.developer_id LEFT JOIN keys k ON k.id = r.key_id" \
    " LEFT JOIN models m ON m.id = r.model_id"
#define FILTERS                                                             \
    " AND (?3 IS NULL OR d.ident = ?3) AND (?4 IS NULL OR k.name = ?4 OR k.key_id = ?4)" \
    " AND (?5 IS NULL OR m.name = ?5)"
#define ROLLUP_SQL(GID, LABEL)                                                                 \
    "SELECT " GID ", " LABEL ", requests, errors, prompt_tokens, completion_tokens,"          \
    " total_tokens, cache_read_tokens, cache_creation_tokens, cost_nanos, estimated_nanos,"  \
    " unpriced, latency_hist, NULL, r.hour * 3600000 FROM rollup_hourly r" JOINS                              \
    " WHERE r.hour >= ?1 AND r.hour < ?2" FILTERS
#define DAILY_SQL(GID, LABEL)                                                                  \
    "SELECT " GID ", " LABEL ", requests, errors, prompt_tokens, completion_tokens,"          \
    " total_tokens, cache_read_tokens, cache_creation_tokens, cost_nanos, estimated_nanos,"  \
    " unpriced, latency_hist, NULL, r.day * 86400000 FROM rollup_daily r" JOINS              \
    " WHERE r.day >= ?1 AND r.day < ?2" FILTERS
#define RAW_SQL(GID, LABEL)                                                                    \
    "SELECT " GID ", " LABEL ", 1, is_error, prompt_tokens, completion_tokens, total_tokens," \
    " cache_read_tokens, cache_creation_tokens, cost_nanos,"                                 \
    " CASE cost_kind WHEN 1 THEN cost_nanos ELSE 0 END, cost_kind = 2, NULL, latency_ms, r.ts_ms" \
    " FROM requests r" JOINS " WHERE r.ts_ms >= ?1 AND r.ts_ms < ?2" FILTERS

#define DEV_LABEL "coalesce(d.ident, '(no developer)')"
#define KEY_LABEL "coalesce(k.name, k.key_id, '(no key)')"
#define MODEL_LABEL "coalesce(m.name, '(no model)')"

static const char *const rollup_sql[] = {
    [TG_BY_DEVELOPER] = ROLLUP_SQL("r.developer_id", DEV_LABEL),
    [TG_BY_KEY] = ROLLUP_SQL("r.key_id", KEY_LABEL),
    [TG_BY_MODEL] = ROLLUP_SQL("r.model_id", MODEL_LABEL),
    [TG_BY_DAY] = ROLLUP_SQL("r.hour / 24", "NULL"),
    [TG_BY_HOUR] = ROLLUP_SQL("r.hour", "NULL"),
};

/* No entry for hours: a day's row cannot be split into them. */
static const char *const daily_sql[] = {
    [TG_BY_DEVELOPER] = DAILY_SQL("r.developer_id", DEV_LABEL),
    [TG_BY_KEY] = DAILY_SQL("r.key_id", KEY_LABEL),
    [TG_BY_MODEL] = DAILY_SQL("r.model_id", MODEL_LABEL),
    [TG_BY_DAY] = DAILY_SQL("r.day", "NULL"),
    [TG_BY_HOUR] = NULL,
};

static const char *const raw_sql[] = {
    [TG_BY_DEVELOPER] = RAW_SQL("r.developer_id", DEV_LABEL),
    [TG_BY_KEY] = RAW_SQL("r.key_id", KEY_LABEL),
    [TG_BY_MODEL] = RAW_SQL("r.model_id", MODEL_LABEL),
    [TG_BY_DAY] = RAW_SQL("r.ts_ms / 86400000", "NULL"),
    [TG_BY_HOUR] = RAW_SQL("r.ts_ms / 3600000", "NULL"),
};
/* Local days of a zone whose midnight falls inside a UTC hour. */
static const char raw_minute_sql[] = RAW_SQL("r.ts_ms / 60000", "NULL");

struct query {
    struct tg_store *store;
    enum tg_spend_by by;
    const struct tg_spend_filter *filter;
    bool local;             /* days and hours of the local zone */
    struct hashmap *groups; /* group id -> struct tg_spend_row */
    int64_t gid_ms;         /* local days: what a source's group id counts (an hour, or a raw row's minute) */
    /* local days: the last time looked up and its day. Rows come in time
     * order, and glibc parses the zone's rule text again on each lookup
     * past its table's last change (a quarter of `report --by day` in
     * India's zone, 1M requests) */
    int64_t day_of_ms, day;
    bool day_known;
    /* each source's statement, prepared once per query: local days in a
     * half-hour zone run two sources for every midnight hour (240 days of
     * India's: 480 prepares, 7% of `report --by day`) */
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } prepared[4];
};

/* The statement of sql, prepared on first use; NULL on failure. */
static sqlite3_stmt *prepared_for(struct query *q, const char *sql)
{
    size_t i = 0, n = sizeof q->prepared / sizeof q->prepared[0];
    for (; i < n && q->prepared[i].sql; i++)
        if (q->prepared[i].sql == sql)
            return q->prepared[i].st;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(q->store), sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    if (i == n) { /* more sources than slots: the oldest goes */
        sqlite3_finalize(q->prepared[0].st);
        memmove(q->prepared, q->prepared + 1, (n - 1) * sizeof q->prepared[0]);
        i = n - 1;
    }
    q->prepared[i].sql = sql;
    q->prepared[i].st = st;
    return st;
}

static void finalize_prepared(struct query *q)
{
    for (size_t i = 0; i < sizeof q->prepared / sizeof q->prepared[0]; i++)
        sqlite3_finalize(q->prepared[i].st);
}

/* The zone is UTC when it has no offset and no summer time. */
static bool zone_is_utc(void)
{
    tzset();
    return timezone == 0 && !daylight;
}

bool tg_spend_local_days(enum tg_spend_by by, const struct tg_spend_filter *filter)
{
    return (by == TG_BY_DAY || by == TG_BY_HOUR) && !filter->utc && !zone_is_utc();
}

int64_t tg_spend_local_day_ms(int64_t ms)
{
    time_t at = (time_t)(ms / 1000);
    struct tm tm;
    if (!localtime_r(&at, &tm))
        return ms / TG_DAY_MS;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    return (int64_t)timegm(&tm) / 86400;
}

int64_t tg_spend_local_day(int64_t hour)
{
    return tg_spend_local_day_ms(hour * TG_HOUR_MS);
}

static bool offset_on_hour(int64_t ms)
{
    time_t at = (time_t)(ms / 1000);
    struct tm tm;
    return !localtime_r(&at, &tm) || tm.tm_gmtoff % 3600 == 0;
}

bool tg_spend_midnights_on_hours(int64_t since_ms, int64_t until_ms)
{
    tzset();
    if (timezone % 3600 != 0 || !offset_on_hour(since_ms) || !offset_on_hour(until_ms - 1))
        return false;
    /* summer time: its offset somewhere in a year of the window */
    int64_t span = until_ms - since_ms < 366 * TG_DAY_MS ? until_ms - since_ms : 366 * TG_DAY_MS;
    for (int i = 1; daylight && i < 48; i++) {
        if (!offset_on_hour(since_ms + span / 48 * i))
            return false;
    }
    return true;
}

/* "2026-11-01T19:00+09:00": the hour's start in the local zone, its offset then. */
static void label_local_hour(int64_t hour, char *buf, size_t len)
{
    time_t at = (time_t)(hour * 3600);
    struct tm tm;
    if (!localtime_r(&at, &tm)) {
        snprintf(buf, len, "?");
        return;
    }
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    off = off < 0 ? -off : off;
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, sign, off / 60, off % 60);
}

static void label_time(const struct query *q, int64_t group_id, char *buf, size_t len)
{
    if (q->local && q->by == TG_BY_HOUR) {
        label_local_hour(group_id, buf, len);
        return;
    }
    char iso[40];
    /* a local day's id is the number of its date, so its label is that date's */
    tg_time_format_iso(group_id * (q->by == TG_BY_DAY ? TG_DAY_MS : TG_HOUR_MS), iso, sizeof iso);
    if (q->by == TG_BY_DAY)
        snprintf(buf, len, "%.10s", iso);
    else
        snprintf(buf, len, "%.16sZ", iso);
}

/* A row's group: the source's group id, but in local days the hour the
 * sources give (column 0) mapped to its local date. */
static int64_t group_id_of(struct query *q, sqlite3_stmt *st)
{
    int64_t gid = sqlite3_column_int64(st, 0);
    if (!q->local || q->by != TG_BY_DAY)
        return gid;
    int64_t ms = gid * q->gid_ms;
    if (!q->day_known || q->day_of_ms != ms) {
        q->day = tg_spend_local_day_ms(ms);
        q->day_of_ms = ms;
        q->day_known = true;
    }
    return q->day;
}

static struct tg_spend_row *group_for(struct query *q, sqlite3_stmt *st)
{
    int64_t gid = group_id_of(q, st);
    struct tg_spend_row *row = hashmap_get(q->groups, &gid, sizeof gid);
    if (row)
        return row;
    row = calloc(1, sizeof *row);
    if (!row)
        return NULL;
    row->group_id = gid;
    row->last_ms = -1;
    char label[64];
    const char *name = (const char *)sqlite3_column_text(st, 1);
    if (!name) {
        label_time(q, gid, label, sizeof label);
        name = label;
    }
    row->name = strdup(name);
    if (!row->name || hashmap_put(q->groups, &gid, sizeof gid, row) != 0) {
        free(row->name);
        free(row);
        return NULL;
    }
    return row;
}

/* The sums of a row, in the order the queries give them (columns 2..11). */
#define ROW_SUMS(row)                                                                                   \
    {&(row)->requests, &(row)->errors, &(row)->prompt_tokens, &(row)->completion_tokens,                \
     &(row)->total_tokens, &(row)->cache_read_tokens, &(row)->cache_creation_tokens, &(row)->cost,       \
     &(row)->cost_estimated, &(row)->unpriced}
#define ROW_SUM_COUNT 10

/* The message when a sum of a report does not fit (a sum never wraps). */
static int overflowed(const char *name, char *err, size_t errlen)
{
    char what[160], msg[300];
    snprintf(what, sizeof what, "the spend of %.100s", name);
    tg_money_overflow_message(what, msg, sizeof msg);
    snprintf(err, errlen, "%s: ask for a shorter window (--since, --until) or a filter", msg);
    return -1;
}

static int accumulate(struct tg_spend_row *row, sqlite3_stmt *st, char *err, size_t errlen)
{
    int64_t *sums[ROW_SUM_COUNT] = ROW_SUMS(row);
    for (int i = 0; i < ROW_SUM_COUNT; i++) {
        /* a value SQLite holds as a float is a sum that overflowed somewhere */
        if (sqlite3_column_type(st, 2 + i) != SQLITE_INTEGER || !tg_add_checked(sums[i], sqlite3_column_int64(st, 2 + i)))
            return overflowed(row->name, err, errlen);
    }
    if (sqlite3_column_type(st, 12) == SQLITE_BLOB)
        tg_latency_add_blob(&row->latency, sqlite3_column_blob(st, 12), (size_t)sqlite3_column_bytes(st, 12));
    if (sqlite3_column_type(st, 13) == SQLITE_INTEGER)
        tg_latency_add(&row->latency, sqlite3_column_int64(st, 13));
    int64_t when = sqlite3_column_int64(st, 14);
    if (when > row->last_ms)
        row->last_ms = when;
    return 0;
}

/* Local days are made of hours: the sources group by hour. */
static enum tg_spend_by source_by(const struct query *q)
{
    return q->local && q->by == TG_BY_DAY ? TG_BY_HOUR : q->by;
}

/* Runs one source over [lo, hi) (hours for rollups, ms for raw rows). */
static int run_source(struct query *q, const char *sql, int64_t lo, int64_t hi, char *err, size_t errlen)
{
    if (lo >= hi)
        return 0;
    sqlite3_stmt *st = prepared_for(q, sql);
    if (!st)
        return tg_store_fail(q->store, "preparing the spend query", err, errlen);
    sqlite3_bind_int64(st, 1, lo);
    sqlite3_bind_int64(st, 2, hi);
    tg_sql_bind_text(st, 3, q->filter->developer);
    tg_sql_bind_text(st, 4, q->filter->key);
    tg_sql_bind_text(st, 5, q->filter->model);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct tg_spend_row *row = group_for(q, st);
        if (!row) {
            sqlite3_reset(st);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (accumulate(row, st, err, errlen) != 0) {
            sqlite3_reset(st);
            return -1;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(q->store, "running the spend query", err, errlen);
    return 0;
}


static int64_t ceil_div(int64_t a, int64_t b)
{
    return a / b + (a % b != 0);
}

/* Whole hours [first_hour, end_hour): whole days from the daily rollups, the
 * hours around them from the hourly ones. */
static int collect_hours(struct query *q, int64_t first_hour, int64_t end_hour, char *err, size_t errlen)
{
    int64_t first_day = ceil_div(first_hour, 24), end_day = end_hour / 24;
    enum tg_spend_by by = source_by(q);
    if (!daily_sql[by] || first_day >= end_day)
        return run_source(q, rollup_sql[by], first_hour, end_hour, err, errlen);
    if (run_source(q, daily_sql[by], first_day, end_day, err, errlen) != 0 ||
        run_source(q, rollup_sql[by], first_hour, first_day * 24, err, errlen) != 0 ||
        run_source(q, rollup_sql[by], end_day * 24, end_hour, err, errlen) != 0)
        return -1;
    return 0;
}

/* Raw rows of [lo, hi) by the minute, each placed by its own local date. */
static int run_minutes(struct query *q, int64_t lo, int64_t hi, char *err, size_t errlen)
{
    q->gid_ms = 60000;
    int rc = run_source(q, raw_minute_sql, lo, hi, err, errlen);
    q->gid_ms = TG_HOUR_MS;
    return rc;
}

/* The hours the rollups hold, so an open window does not walk a century. */
static int rollup_span(struct query *q, int64_t *since, int64_t *until, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(q->store), "SELECT min(hour), max(hour) FROM rollup_hourly", -1, &st,
                           NULL) != SQLITE_OK)
        return tg_store_fail(q->store, "preparing the spend query", err, errlen);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER) {
        int64_t lo = sqlite3_column_int64(st, 0) * TG_HOUR_MS, hi = (sqlite3_column_int64(st, 1) + 1) * TG_HOUR_MS;
        *since = *since > lo ? *since : lo;
        *until = *until < hi ? *until : hi;
    } else if (rc == SQLITE_ROW) {
        *until = *since; /* nothing stored */
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : tg_store_fail(q->store, "running the spend query", err, errlen);
}

/* Whether every request the rollups counted in this hour is still a row:
 * `prune --older-than` drops rows and keeps their spend in the rollups. */
static bool hour_has_its_rows(sqlite3_stmt *st, int64_t hour)
{
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, hour);
    return sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
}

/* Local days in a zone whose midnight falls inside a UTC hour (India's, at
 * 18:30Z): an hour holding a local midnight comes from raw rows by the
 * minute (or, its rows pruned, from its rollup, in the day it starts), every
 * other whole hour from the hourly rollups, so a month reads 30 hours of
 * rows rather than the month's (10M requests: 8.2 s before, 0.3 s). */
static int collect_split_days(struct query *q, int64_t since, int64_t until, char *err, size_t errlen)
{
    if (rollup_span(q, &since, &until, err, errlen) != 0)
        return -1;
    if (since >= until)
        return 0;
    int64_t hour = ceil_div(since, TG_HOUR_MS), end_hour = until / TG_HOUR_MS;
    if (hour >= end_hour)
        return run_minutes(q, since, until, err, errlen);
    sqlite3_stmt *rows;
    if (sqlite3_prepare_v2(tg_store_sqlite(q->store),
                           "SELECT (SELECT coalesce(sum(requests), 0) FROM rollup_hourly WHERE hour = ?1) ="
                           " (SELECT count(*) FROM requests WHERE ts_ms >= ?1 * 3600000 AND ts_ms < (?1 + 1) * 3600000)",
                           -1, &rows, NULL) != SQLITE_OK)
        return tg_store_fail(q->store, "preparing the spend query", err, errlen);
    int rc = run_minutes(q, since, hour * TG_HOUR_MS, err, errlen);
    int64_t run_from = hour;
    for (; rc == 0 && hour < end_hour; hour++) {
        if (tg_spend_local_day_ms(hour * TG_HOUR_MS) == tg_spend_local_day_ms((hour + 1) * TG_HOUR_MS - 1) ||
            !hour_has_its_rows(rows, hour))
            continue;
        rc = run_source(q, rollup_sql[TG_BY_HOUR], run_from, hour, err, errlen);
        if (rc == 0)
            rc = run_minutes(q, hour * TG_HOUR_MS, (hour + 1) * TG_HOUR_MS, err, errlen);
        run_from = hour + 1;
    }
    sqlite3_finalize(rows);
    if (rc == 0)
        rc = run_source(q, rollup_sql[TG_BY_HOUR], run_from, end_hour, err, errlen);
    if (rc == 0)
        rc = run_minutes(q, end_hour * TG_HOUR_MS, until, err, errlen);
    return rc;
}

/* Whole periods inside the window from rollups, the ragged edges from raw rows. */
static int collect(struct query *q, char *err, size_t errlen)
{
    int64_t since = q->filter->since_ms == TG_SPEND_OPEN ? 0 : q->filter->since_ms;
    int64_t until = q->filter->until_ms == TG_SPEND_OPEN ? END_OF_TIME_MS : q->filter->until_ms;
    if (since < 0)
        since = 0;
    if (until > END_OF_TIME_MS)
        until = END_OF_TIME_MS;
    if (since >= until)
        return 0;
    if (q->local && q->by == TG_BY_DAY && !tg_spend_midnights_on_hours(since, until))
        return collect_split_days(q, since, until, err, errlen);
    int64_t first_hour = ceil_div(since, TG_HOUR_MS), end_hour = until / TG_HOUR_MS;
    const char *raw = raw_sql[source_by(q)];
    if (first_hour >= end_hour)
        return run_source(q, raw, since, until, err, errlen);
    if (collect_hours(q, first_hour, end_hour, err, errlen) != 0 ||
        run_source(q, raw, since, first_hour * TG_HOUR_MS, err, errlen) != 0 ||
        run_source(q, raw, end_hour * TG_HOUR_MS, until, err, errlen) != 0)
        return -1;
    return 0;
}

static int by_spend(const void *a, const void *b)
{
    const struct tg_spend_row *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost > y->cost ? -1 : 1;
    if (x->requests != y->requests)
        return x->requests > y->requests ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int by_time(const void *a, const void *b)
{
    const struct tg_spend_row *x = a, *y = b;
    return (x->group_id > y->group_id) - (x->group_id < y->group_id);
}

static int add_into(struct tg_spend_row *total, const struct tg_spend_row *row, char *err, size_t errlen)
{
    int64_t *sums[ROW_SUM_COUNT] = ROW_SUMS(total);
    const int64_t *parts[ROW_SUM_COUNT] = ROW_SUMS(row);
    for (int i = 0; i < ROW_SUM_COUNT; i++) {
        if (!tg_add_checked(sums[i], *parts[i]))
            return overflowed("all the rows together", err, errlen);
    }
    tg_latency_merge(&total->latency, &row->latency);
    if (row->last_ms > total->last_ms)
        total->last_ms = row->last_ms;
    return 0;
}

static int finish(struct query *q, size_t limit, struct tg_spend_report *out, char *err, size_t errlen)
{
    size_t n = hashmap_count(q->groups), i = 0;
    out->rows = calloc(n ? n : 1, sizeof *out->rows);
    out->total.name = strdup("total");
    out->total.last_ms = -1;
    if (!out->rows || !out->total.name) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t pos = 0;
    const void *key;
    size_t key_len;
    void *value;
    int rc = 0;
    while (hashmap_next(q->groups, &pos, &key, &key_len, &value)) {
        out->rows[i] = *(struct tg_spend_row *)value; /* takes over the name */
        if (rc == 0)
            rc = add_into(&out->total, &out->rows[i], err, errlen);
        free(value);
        i++;
    }
    hashmap_clear(q->groups, NULL);
    out->count = n; /* so a failure below frees every name */
    if (rc != 0)
        return -1;
    bool by_time_order = q->by == TG_BY_DAY || q->by == TG_BY_HOUR;
    qsort(out->rows, n, sizeof *out->rows, by_time_order ? by_time : by_spend);
    out->total_groups = n;
    out->count = n;
    if (limit && limit < n) {
        for (size_t j = limit; j < n; j++)
            free(out->rows[j].name);
        out->count = limit;
    }
    return 0;
}

static void free_row(void *value)
{
    struct tg_spend_row *row = value;
    free(row->name);
    free(row);
}

/* The rollups know the hour of a group's newest request; the store keeps the
 * exact time each developer, key and model was last seen. When that time is
 * inside the window (always, for a window up to now), it is the group's LAST. */
static const char *const last_seen_sql[] = {
    [TG_BY_DEVELOPER] = "SELECT last_seen_ms FROM developers WHERE id = ?1",
    [TG_BY_KEY] = "SELECT last_seen_ms FROM keys WHERE id = ?1",
    [TG_BY_MODEL] = "SELECT last_seen_ms FROM models WHERE id = ?1",
    [TG_BY_DAY] = NULL,
    [TG_BY_HOUR] = NULL,
};

static void exact_last_seen(struct tg_store *store, enum tg_spend_by by, const struct tg_spend_filter *filter,
                            struct tg_spend_report *out)
{
    sqlite3_stmt *st;
    if (!last_seen_sql[by] ||
        sqlite3_prepare_v2(tg_store_sqlite(store), last_seen_sql[by], -1, &st, NULL) != SQLITE_OK)
        return;
    for (size_t i = 0; i < out->count; i++) {
        struct tg_spend_row *row = &out->rows[i];
        sqlite3_bind_int64(st, 1, row->group_id);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER) {
            int64_t seen = sqlite3_column_int64(st, 0);
            if (seen >= row->last_ms && (filter->until_ms == TG_SPEND_OPEN || seen < filter->until_ms))
                row->last_ms = seen;
        }
        sqlite3_reset(st);
        if (row->last_ms > out->total.last_ms)
            out->total.last_ms = row->last_ms;
    }
    sqlite3_finalize(st);
}

int tg_spend_query(struct tg_store *store, enum tg_spend_by by, const struct tg_spend_filter *filter,
                   size_t limit, struct tg_spend_report *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->by = by;
    struct query q = {.store = store,
                      .by = by,
                      .filter = filter,
                      .local = tg_spend_local_days(by, filter),
                      .groups = hashmap_new(),
                      .gid_ms = TG_HOUR_MS};
    if (!q.groups) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* one read transaction, so rollups and edges see the same snapshot */
    sqlite3 *db = tg_store_sqlite(store);
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    int rc = collect(&q, err, errlen);
    finalize_prepared(&q); /* before the COMMIT: none is left mid-step */
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc == 0)
        rc = finish(&q, limit, out, err, errlen);
    if (rc == 0)
        rc = tg_spend_take_out_refused(store, by, filter, out, err, errlen);
    if (rc == 0)
        exact_last_seen(store, by, filter, out);
    hashmap_free(q.groups, free_row);
    if (rc != 0)
        tg_spend_report_free(out);
    return rc;
}

void tg_spend_report_free(struct tg_spend_report *report)
{
    for (size_t i = 0; i < report->count; i++)
        free(report->rows[i].name);
    free(report->rows);
    free(report->total.name);
    memset(report, 0, sizeof *report);
}
