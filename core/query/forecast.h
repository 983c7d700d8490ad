/* Spend to date in a budget period and where it is heading, from the rollups
 * only (never raw requests): the period's spend so far, exact to the
 * nano-dollar; the period-end forecast from the recent burn, with a range; how
 * long until a budget runs out at that burn; and the last 30 days' spend for a
 * sparkline.
 *
 * The method (docs/budgets.md says it for users): the level is the mean
 * hourly spend of the last 7 days of whole hours (or since the first day with
 * spend, when that is later); the shape is the spend of each hour of the week
 * over the last 2 weeks against their mean, so working hours and weekends
 * repeat. Each hour still to come is expected to cost level x shape of its
 * hour of the week. The range is the forecast +- 1.645 sigma (about 90%),
 * sigma from how far each of the last 7 whole days was from what the same
 * model expected of it, grown over the days left (day-to-day noise) and by
 * how few days the level rests on. A steady burn has no range; a spike
 * widens it. The forecast is an estimate computed in floating point and
 * rounded to nano-dollars; the spend to date is summed exactly. */
#ifndef TG_FORECAST_H
#define TG_FORECAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/budgetconf.h"
#include "base/money.h"
#include "store/store.h"

#define TG_FORECAST_SHAPE_HOURS 336 /* 2 weeks: the hour-of-week shape */
#define TG_FORECAST_LEVEL_HOURS 168 /* 7 days: the level and the residuals */
#define TG_FORECAST_WEEK_HOURS 168
#define TG_FORECAST_SPARK_DAYS 30

/* What one forecast is for: a scope (developer, key, model, team, org) by
 * name, and the period. Team members are developer idents. */
struct tg_forecast_scope {
    enum tg_budget_scope scope;
    const char *name;
    const char *const *members;
    size_t nmembers;
    enum tg_budget_period period;
};

/* The hourly spend behind a projection: hourly[i] is the hour
 * current_hour - TG_FORECAST_SHAPE_HOURS + i (whole hours, the current one
 * not among them), in nano-dollars. */
struct tg_burn_history {
    double hourly[TG_FORECAST_SHAPE_HOURS];
    int64_t current_hour;    /* hours since the epoch */
    double current_fraction; /* how much of the current hour has passed, 0..1 */
};

/* The projection: what is expected per hour of the week, and over [now, end). */
struct tg_projection {
    double expected[TG_FORECAST_WEEK_HOURS]; /* by (hour since the epoch) mod 168, nano-dollars */
    double level;                            /* mean hourly spend, nano-dollars */
    double rest, low, high;                  /* expected spend from now to the end, and its range */
};

struct tg_forecast {
    int64_t period_start_ms, period_end_ms;
    tg_nanos spent;               /* in the period up to now, exact */
    tg_nanos forecast, low, high; /* at the period's end */
    tg_nanos per_day;             /* the recent burn, a day of it */
    tg_nanos daily[TG_FORECAST_SPARK_DAYS]; /* the last 30 days, oldest first, today last (so far) */
    bool known;                   /* the name is in the db (a developer, key or model seen) */
    struct tg_projection projection;
    int64_t current_hour;
    double current_fraction;
};

/* Forecasts for n scopes at now_ms into out[n]. 0, or -1 with err (a store
 * failure, or spend beyond what 64 bits of nano-dollars hold). */
int tg_forecast_run(struct tg_store *store, int64_t now_ms, const struct tg_forecast_scope *scopes, size_t n,
                    struct tg_forecast *out, char *err, size_t errlen);

/* The arithmetic alone, for tests: projects history up to end_ms. */
void tg_forecast_project(const struct tg_burn_history *history, int64_t end_ms, struct tg_projection *out);

/* Days from now until spend reaches budget at the projected burn: 0 when it
 * already has, -1 when it would not within a year (or nothing is spent). */
double tg_forecast_days_left(const struct tg_forecast *forecast, tg_nanos budget);

#endif
