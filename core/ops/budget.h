/* Budgets against spend: each budget of the config with its period's spend so
 * far, the tier it is in (ok, warn at its soft threshold, over at its hard
 * one), the period-end forecast and range, and the days until it runs out.
 * Used by `tollgate budget list`, `check`, `report --budget` and the screens. */
#ifndef TG_OPS_BUDGET_H
#define TG_OPS_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/budgetconf.h"
#include "query/forecast.h"
#include "store/store.h"

enum tg_budget_tier { TG_TIER_OK, TG_TIER_WARN, TG_TIER_OVER };

struct tg_budget_status {
    const struct tg_budget *budget; /* points into the config; NULL for a row without a budget */
    struct tg_forecast forecast;
    int warn_pct, alert_pct;
    enum tg_budget_tier tier;
    bool forecast_over;   /* the period-end forecast passes the budget */
    double percent;       /* spent / amount x 100, for showing (the tier is decided exactly) */
    double days_left;     /* until the budget runs out at the recent burn; -1 not within a year */
};

struct tg_budget_statuses {
    struct tg_budget_status *items; /* the most used first */
    size_t count;
};

/* Every budget of config at now_ms. 0, or -1 with err. */
int tg_budget_evaluate(struct tg_store *store, const struct tg_budget_config *config, int64_t now_ms,
                       struct tg_budget_statuses *out, char *err, size_t errlen);
void tg_budget_statuses_free(struct tg_budget_statuses *statuses);

/* For report rows: each of n names of scope (developer, key or model) with
 * its budget when the config has one (else a month with no amount: spend to
 * date and forecast only). out[n]. 0, or -1 with err. */
int tg_budget_rows(struct tg_store *store, const struct tg_budget_config *config, enum tg_budget_scope scope,
                   const char *const *names, size_t n, int64_t now_ms, struct tg_budget_status *out, char *err,
                   size_t errlen);

/* ok / warn / over for spent against amount: warn from warn_pct% of it, over
 * from alert_pct%, compared exactly (no rounding at the edge). */
enum tg_budget_tier tg_budget_tier_of(tg_nanos spent, tg_nanos amount, int warn_pct, int alert_pct);
const char *tg_budget_tier_name(enum tg_budget_tier tier);

/* The budget of config for scope and name (NULL name: the org), or NULL. */
const struct tg_budget *tg_budget_find(const struct tg_budget_config *config, enum tg_budget_scope scope,
                                       const char *name);

/* The forecast scope of a budget (a team's members from the config). */
struct tg_forecast_scope tg_budget_scope_of(const struct tg_budget_config *config, const struct tg_budget *b);

/* The config file: $XDG_CONFIG_HOME/tollgate/config. 0, or -1 with err. */
int tg_budget_config_path(char *buf, size_t len, char *err, size_t errlen);

#endif
