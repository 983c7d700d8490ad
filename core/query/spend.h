/* Spend questions: requests, tokens, cost and latency grouped by developer, key,
 * model, day or hour over a time window. Whole hours come from the rollups; only
 * the partial hours at the window's edges read raw requests. */
#ifndef TG_SPEND_H
#define TG_SPEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/latency.h"
#include "base/money.h"
#include "store/store.h"

/* What spend is grouped by, with the name --by and the reports use: one list
 * makes the enum and the names (spend.c). */
#define TG_SPEND_BY_LIST(X)          \
    X(TG_BY_DEVELOPER, "developer")  \
    X(TG_BY_KEY, "key")              \
    X(TG_BY_MODEL, "model")          \
    X(TG_BY_DAY, "day")              \
    X(TG_BY_HOUR, "hour")

#define TG_SPEND_BY_ENUM(id, name) id,
enum tg_spend_by { TG_SPEND_BY_LIST(TG_SPEND_BY_ENUM) TG_SPEND_BY_COUNT };
#undef TG_SPEND_BY_ENUM

/* since / until in epoch ms, until exclusive; TG_SPEND_OPEN for no bound. Name
 * filters are exact: the developer's customer_identifier, a key's name or id, a
 * model as logged. NULL for no filter. */
#define TG_SPEND_OPEN (-1)
struct tg_spend_filter {
    int64_t since_ms, until_ms;
    const char *developer, *key, *model;
    bool utc; /* days and hours in UTC, not the local time zone */
};

struct tg_spend_row {
    char *name;       /* developer, key name (else id), model, "2026-11-01", "2026-11-01T10:00Z"
                       * ("2026-11-01T19:00+09:00" for an hour in a local zone) */
    int64_t group_id; /* dimension row id, or the day / hour number since the epoch; a day in a local
                       * zone is the number of its date (tg_spend_local_day) */
    int64_t requests, errors;
    int64_t prompt_tokens, completion_tokens, total_tokens, cache_read_tokens, cache_creation_tokens;
    tg_nanos cost;           /* all of it: gateway figures plus estimates */
    tg_nanos cost_estimated; /* the part tollgate priced itself */
    int64_t unpriced;        /* requests with no cost and no known price */
    int64_t last_ms;         /* the newest request: exact for developers, keys and models seen last inside
                              * the window; else to the hour where rollups answer. -1 none */
    int64_t refused_revoked; /* refused (401 / 403) on a key after its revocation: not in requests
                              * nor errors (see refused.h) */
    struct tg_latency_hist latency;
};

struct tg_spend_report {
    enum tg_spend_by by;
    struct tg_spend_row *rows; /* spend first for developer / key / model, oldest first for time */
    size_t count;              /* after the limit */
    size_t total_groups;       /* before the limit */
    struct tg_spend_row total; /* over every group, not only those shown */
};

/* limit 0 = every group. Returns 0, or -1 with err. */
int tg_spend_query(struct tg_store *store, enum tg_spend_by by, const struct tg_spend_filter *filter,
                   size_t limit, struct tg_spend_report *out, char *err, size_t errlen);
void tg_spend_report_free(struct tg_spend_report *report);

/* Days follow the local zone unless filter->utc (or the zone is UTC): then
 * whole hours come from the hourly rollups, never the UTC daily ones. */
bool tg_spend_local_days(enum tg_spend_by by, const struct tg_spend_filter *filter);
/* The local day (days from 1970-01-01 to its date) the hour starting at
 * hour * 1 h since the epoch falls in; in a zone half an hour off UTC, the day
 * where the hour starts. */
int64_t tg_spend_local_day(int64_t hour);
/* The local day the instant ms since the epoch falls in. */
int64_t tg_spend_local_day_ms(int64_t ms);
/* Whether the local zone's midnights fall on whole UTC hours over
 * [since_ms, until_ms) (India's, at 18:30Z, do not): only then can local days
 * be made of hours; else they come from raw rows by the minute. */
bool tg_spend_midnights_on_hours(int64_t since_ms, int64_t until_ms);

int tg_spend_by_parse(const char *text, enum tg_spend_by *by);
const char *tg_spend_by_name(enum tg_spend_by by);

#endif
