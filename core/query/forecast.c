#include "query/forecast.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"

#define Z90 1.645              /* a two-sided 90% range of a normal spread */
#define DAYS_LEFT_HORIZON (366 * 24)
#define MAX_NANOS_DOUBLE 9.2e18

/* ---- the arithmetic ---- */

static int64_t slot_of(int64_t hour)
{
    return ((hour % TG_FORECAST_WEEK_HOURS) + TG_FORECAST_WEEK_HOURS) % TG_FORECAST_WEEK_HOURS;
}

/* The first index the history counts from: the start of the UTC day of the
 * first hour with spend (a new developer's level is not diluted by the weeks
 * before they started), or TG_FORECAST_SHAPE_HOURS when nothing was spent. */
static int first_observed(const struct tg_burn_history *h)
{
    int64_t base = h->current_hour - TG_FORECAST_SHAPE_HOURS;
    for (int i = 0; i < TG_FORECAST_SHAPE_HOURS; i++) {
        if (h->hourly[i] > 0) {
            int64_t day_start = (base + i) - ((base + i) % 24 + 24) % 24;
            return day_start > base ? (int)(day_start - base) : 0;
        }
    }
    return TG_FORECAST_SHAPE_HOURS;
}

static void shape_and_level(const struct tg_burn_history *h, int first, struct tg_projection *p)
{
    double sum[TG_FORECAST_WEEK_HOURS] = {0}, total = 0;
    int count[TG_FORECAST_WEEK_HOURS] = {0};
    int64_t base = h->current_hour - TG_FORECAST_SHAPE_HOURS;
    for (int i = first; i < TG_FORECAST_SHAPE_HOURS; i++) {
        int64_t s = slot_of(base + i);
        sum[s] += h->hourly[i];
        count[s]++;
        total += h->hourly[i];
    }
    double mean = total / (TG_FORECAST_SHAPE_HOURS - first);
    int level_from = first > TG_FORECAST_SHAPE_HOURS - TG_FORECAST_LEVEL_HOURS
                         ? first
                         : TG_FORECAST_SHAPE_HOURS - TG_FORECAST_LEVEL_HOURS;
    double recent = 0;
    for (int i = level_from; i < TG_FORECAST_SHAPE_HOURS; i++)
        recent += h->hourly[i];
    p->level = recent / (TG_FORECAST_SHAPE_HOURS - level_from);
    for (int s = 0; s < TG_FORECAST_WEEK_HOURS; s++) {
        double shape = count[s] && mean > 0 ? (sum[s] / count[s]) / mean : 1.0;
        p->expected[s] = p->level * shape;
    }
}

/* Sigma of a day's spend around what the model expected of it, from the whole
 * days of the last 7 (at least two of them; else a day's level, i.e. +-100%),
 * and how many days it rests on. */
static double day_sigma(const struct tg_burn_history *h, const struct tg_projection *p, int first, int *days)
{
    int64_t base = h->current_hour - TG_FORECAST_SHAPE_HOURS;
    int from = TG_FORECAST_SHAPE_HOURS - TG_FORECAST_LEVEL_HOURS;
    if (first > from)
        from = first;
    int start = from + (int)((24 - (base + from) % 24) % 24); /* the first midnight */
    double sq = 0;
    int n = 0;
    for (int d = start; d + 24 <= TG_FORECAST_SHAPE_HOURS; d += 24, n++) {
        double actual = 0, expected = 0;
        for (int i = d; i < d + 24; i++) {
            actual += h->hourly[i];
            expected += p->expected[slot_of(base + i)];
        }
        sq += (actual - expected) * (actual - expected);
    }
    *days = n;
    if (n < 2)
        return p->level * 24;
    return sqrt(sq / (n - 1));
}

void tg_forecast_project(const struct tg_burn_history *h, int64_t end_ms, struct tg_projection *p)
{
    memset(p, 0, sizeof *p);
    int first = first_observed(h);
    if (first >= TG_FORECAST_SHAPE_HOURS)
        return; /* nothing spent: nothing expected */
    shape_and_level(h, first, p);
    int64_t end_hour = end_ms / TG_HOUR_MS;
    double end_fraction = (double)(end_ms % TG_HOUR_MS) / TG_HOUR_MS;
    double rest = 0;
    if (end_hour > h->current_hour) {
        rest += (1.0 - h->current_fraction) * p->expected[slot_of(h->current_hour)];
        for (int64_t hour = h->current_hour + 1; hour < end_hour; hour++)
            rest += p->expected[slot_of(hour)];
        rest += end_fraction * p->expected[slot_of(end_hour)];
    } else if (end_hour == h->current_hour && end_fraction > h->current_fraction) {
        rest += (end_fraction - h->current_fraction) * p->expected[slot_of(end_hour)];
    }
    int days;
    double sigma = day_sigma(h, p, first, &days);
    double days_left = (double)(end_ms - (h->current_hour * TG_HOUR_MS + (int64_t)(h->current_fraction * TG_HOUR_MS))) /
                       TG_DAY_MS;
    if (days_left < 0)
        days_left = 0;
    double spread = Z90 * sigma * sqrt(days_left + days_left * days_left / (days > 0 ? days : 1));
    p->rest = rest;
    p->low = rest - spread > 0 ? rest - spread : 0;
    p->high = rest + spread;
}

double tg_forecast_days_left(const struct tg_forecast *f, tg_nanos budget)
{
    if (f->spent >= budget)
        return 0;
    double need = (double)(budget - f->spent), got = 0;
    const double *e = f->projection.expected;
    if (f->projection.level <= 0)
        return -1;
    double first = (1.0 - f->current_fraction) * e[slot_of(f->current_hour)];
    if (first >= need)
        return need / e[slot_of(f->current_hour)] / 24.0;
    got = first;
    double hours = 1.0 - f->current_fraction;
    for (int64_t h = f->current_hour + 1; h < f->current_hour + DAYS_LEFT_HORIZON; h++) {
        double x = e[slot_of(h)];
        if (got + x >= need)
            return (hours + (need - got) / x) / 24.0;
        got += x;
        hours += 1.0;
    }
    return -1;
}

/* ---- reading the rollups ---- */

struct matcher {
    int column; /* 1 developer, 2 key, 3 model; 0 every row */
    int64_t *ids;
    size_t count;
};

static int add_ids(struct tg_store *store, const char *sql, const char *name, struct matcher *m, char *err,
                   size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "finding a budget's name", err, errlen);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t *grown = realloc(m->ids, (m->count + 1) * sizeof *grown);
        if (!grown) {
            sqlite3_finalize(st);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        m->ids = grown;
        m->ids[m->count++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "finding a budget's name", err, errlen);
    return 0;
}

static int resolve(struct tg_store *store, const struct tg_forecast_scope *s, struct matcher *m, char *err,
                   size_t errlen)
{
    static const char dev_sql[] = "SELECT id FROM developers WHERE ident = ?1";
    memset(m, 0, sizeof *m);
    switch (s->scope) {
    case TG_BUDGET_ORG:
        return 0;
    case TG_BUDGET_DEVELOPER:
        m->column = 1;
        return add_ids(store, dev_sql, s->name, m, err, errlen);
    case TG_BUDGET_TEAM:
        m->column = 1;
        for (size_t i = 0; i < s->nmembers; i++) {
            if (add_ids(store, dev_sql, s->members[i], m, err, errlen) != 0)
                return -1;
        }
        return 0;
    case TG_BUDGET_KEY:
        m->column = 2;
        return add_ids(store, "SELECT id FROM keys WHERE name = ?1 OR key_id = ?1 OR ident = ?1", s->name, m, err,
                       errlen);
    case TG_BUDGET_MODEL:
        m->column = 3;
        return add_ids(store, "SELECT id FROM models WHERE name = ?1", s->name, m, err, errlen);
    default:
        return 0;
    }
}

/* One rollup row: [1] developer, [2] key, [3] model (the matcher's column). */
struct row_ids {
    int64_t id[4];
};

static bool matches(const struct matcher *m, const struct row_ids *row)
{
    if (m->column == 0)
        return true;
    int64_t id = row->id[m->column];
    for (size_t i = 0; i < m->count; i++) {
        if (m->ids[i] == id)
            return true;
    }
    return false;
}

struct run {
    struct tg_store *store;
    const struct tg_forecast_scope *scopes;
    struct tg_forecast *out;
    struct matcher *matchers;
    struct tg_burn_history *history;
    size_t n;
    int64_t now_ms, today, hour;
    bool overflow;
};

static void add_checked(struct run *r, tg_nanos *sum, tg_nanos v)
{
    if (__builtin_add_overflow(*sum, v, sum))
        r->overflow = true;
}

/* One row of the daily rollups (before today) or the hourly ones. */
static void take_daily(struct run *r, const struct row_ids *row, int64_t day, tg_nanos cost)
{
    for (size_t i = 0; i < r->n; i++) {
        if (!matches(&r->matchers[i], row))
            continue;
        struct tg_forecast *f = &r->out[i];
        if (day * TG_DAY_MS >= f->period_start_ms)
            add_checked(r, &f->spent, cost);
        int64_t back = r->today - day;
        if (back >= 0 && back < TG_FORECAST_SPARK_DAYS)
            add_checked(r, &f->daily[TG_FORECAST_SPARK_DAYS - 1 - back], cost);
    }
}

static void take_hourly(struct run *r, const struct row_ids *row, int64_t hour, tg_nanos cost)
{
    int64_t index = hour - (r->hour - TG_FORECAST_SHAPE_HOURS);
    for (size_t i = 0; i < r->n; i++) {
        if (!matches(&r->matchers[i], row))
            continue;
        if (index >= 0 && index < TG_FORECAST_SHAPE_HOURS)
            r->history[i].hourly[index] += (double)cost;
        if (hour / 24 == r->today) { /* today: to date, from the hours */
            struct tg_forecast *f = &r->out[i];
            if (hour * TG_HOUR_MS >= f->period_start_ms)
                add_checked(r, &f->spent, cost);
            add_checked(r, &f->daily[TG_FORECAST_SPARK_DAYS - 1], cost);
        }
    }
}

static int scan(struct run *r, const char *sql, int64_t lo, int64_t hi, bool daily, char *err, size_t errlen)
{
    if (lo >= hi)
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(r->store), sql, -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(r->store, "preparing the forecast query", err, errlen);
    sqlite3_bind_int64(st, 1, lo);
    sqlite3_bind_int64(st, 2, hi);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t unit = sqlite3_column_int64(st, 0);
        tg_nanos cost = sqlite3_column_int64(st, 4);
        struct row_ids row = {{0, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
                               sqlite3_column_int64(st, 3)}};
        if (cost == 0)
            continue;
        if (daily)
            take_daily(r, &row, unit, cost);
        else
            take_hourly(r, &row, unit, cost);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(r->store, "running the forecast query", err, errlen);
    return 0;
}

static tg_nanos to_nanos(double v)
{
    if (!(v > 0))
        return 0;
    return v >= MAX_NANOS_DOUBLE ? (tg_nanos)MAX_NANOS_DOUBLE : (tg_nanos)llround(v);
}

static void finish(struct run *r, size_t i)
{
    struct tg_forecast *f = &r->out[i];
    struct tg_burn_history *h = &r->history[i];
    tg_forecast_project(h, f->period_end_ms, &f->projection);
    f->current_hour = h->current_hour;
    f->current_fraction = h->current_fraction;
    tg_nanos rest = to_nanos(f->projection.rest), low = to_nanos(f->projection.low),
             high = to_nanos(f->projection.high);
    if (__builtin_add_overflow(f->spent, rest, &f->forecast) || __builtin_add_overflow(f->spent, low, &f->low) ||
        __builtin_add_overflow(f->spent, high, &f->high))
        r->overflow = true;
    f->per_day = to_nanos(f->projection.level * 24);
}

static int run_all(struct run *r, char *err, size_t errlen)
{
    int64_t first_day = r->today - (TG_FORECAST_SPARK_DAYS - 1);
    for (size_t i = 0; i < r->n; i++) {
        tg_budget_period_bounds(r->scopes[i].period, r->now_ms, &r->out[i].period_start_ms,
                                &r->out[i].period_end_ms);
        if (r->out[i].period_start_ms / TG_DAY_MS < first_day)
            first_day = r->out[i].period_start_ms / TG_DAY_MS;
        if (resolve(r->store, &r->scopes[i], &r->matchers[i], err, errlen) != 0)
            return -1;
        r->out[i].known = r->scopes[i].scope == TG_BUDGET_ORG || r->matchers[i].count > 0;
        r->history[i].current_hour = r->hour;
        r->history[i].current_fraction = (double)(r->now_ms - r->hour * TG_HOUR_MS) / TG_HOUR_MS;
    }
    /* whole days before today from the daily rollups; the last 2 weeks of
     * hours (and today's, up to the current hour) from the hourly ones */
    if (scan(r, "SELECT day, developer_id, key_id, model_id, cost_nanos FROM rollup_daily"
                " WHERE day >= ?1 AND day < ?2", first_day, r->today, true, err, errlen) != 0 ||
        scan(r, "SELECT hour, developer_id, key_id, model_id, cost_nanos FROM rollup_hourly"
                " WHERE hour >= ?1 AND hour < ?2", r->hour - TG_FORECAST_SHAPE_HOURS, r->hour + 1, false, err,
             errlen) != 0)
        return -1;
    for (size_t i = 0; i < r->n; i++)
        finish(r, i);
    if (r->overflow) {
        snprintf(err, errlen, "spend is beyond what tollgate can add up (over $9 billion)");
        return -1;
    }
    return 0;
}

int tg_forecast_run(struct tg_store *store, int64_t now_ms, const struct tg_forecast_scope *scopes, size_t n,
                    struct tg_forecast *out, char *err, size_t errlen)
{
    memset(out, 0, n * sizeof *out);
    if (n == 0)
        return 0;
    struct run r = {.store = store, .scopes = scopes, .out = out, .n = n, .now_ms = now_ms,
                    .today = now_ms / TG_DAY_MS, .hour = now_ms / TG_HOUR_MS};
    r.matchers = calloc(n, sizeof *r.matchers);
    r.history = calloc(n, sizeof *r.history);
    int rc = -1;
    if (!r.matchers || !r.history)
        snprintf(err, errlen, "out of memory");
    else
        rc = run_all(&r, err, errlen);
    for (size_t i = 0; r.matchers && i < n; i++)
        free(r.matchers[i].ids);
    free(r.matchers);
    free(r.history);
    return rc;
}
