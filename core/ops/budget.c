#include "ops/budget.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/paths.h"

static const char *const tier_names[] = {"ok", "warn", "over"};

const char *tg_budget_tier_name(enum tg_budget_tier tier)
{
    return tier_names[tier];
}

enum tg_budget_tier tg_budget_tier_of(tg_nanos spent, tg_nanos amount, int warn_pct, int alert_pct)
{
    __int128 scaled = (__int128)spent * 100;
    if (amount <= 0)
        return TG_TIER_OK;
    if (scaled >= (__int128)amount * alert_pct)
        return TG_TIER_OVER;
    if (scaled >= (__int128)amount * warn_pct)
        return TG_TIER_WARN;
    return TG_TIER_OK;
}

const struct tg_budget *tg_budget_find(const struct tg_budget_config *config, enum tg_budget_scope scope,
                                       const char *name)
{
    for (size_t i = 0; i < config->count; i++) {
        const struct tg_budget *b = &config->budgets[i];
        if (b->scope == scope && (scope == TG_BUDGET_ORG || (name && strcmp(b->name, name) == 0)))
            return b;
    }
    return NULL;
}

struct tg_forecast_scope tg_budget_scope_of(const struct tg_budget_config *config, const struct tg_budget *b)
{
    struct tg_forecast_scope s = {.scope = b->scope, .name = b->name, .period = b->period};
    if (b->scope == TG_BUDGET_TEAM) {
        const struct tg_team *team = tg_budget_team(config, b->name);
        if (team) {
            s.members = (const char *const *)team->members;
            s.nmembers = team->count;
        }
    }
    return s;
}

int tg_budget_config_path(char *buf, size_t len, char *err, size_t errlen)
{
    char dir[4096];
    if (tg_paths_config_dir(dir, sizeof dir, err, errlen) != 0)
        return -1;
    if ((size_t)snprintf(buf, len, "%s/config", dir) >= len) {
        snprintf(err, errlen, "the config directory's path is too long");
        return -1;
    }
    return 0;
}

static void judge(const struct tg_budget_config *config, const struct tg_budget *b, struct tg_budget_status *s)
{
    s->budget = b;
    s->days_left = -1;
    if (!b)
        return;
    s->warn_pct = tg_budget_warn_pct(config, b);
    s->alert_pct = tg_budget_alert_pct(config, b);
    s->tier = tg_budget_tier_of(s->forecast.spent, b->amount, s->warn_pct, s->alert_pct);
    s->forecast_over = tg_budget_tier_of(s->forecast.forecast, b->amount, s->warn_pct, s->alert_pct) == TG_TIER_OVER;
    s->percent = 100.0 * (double)s->forecast.spent / (double)b->amount;
    s->days_left = tg_forecast_days_left(&s->forecast, b->amount);
}

int tg_budget_rows(struct tg_store *store, const struct tg_budget_config *config, enum tg_budget_scope scope,
                   const char *const *names, size_t n, int64_t now_ms, struct tg_budget_status *out, char *err,
                   size_t errlen)
{
    memset(out, 0, n * sizeof *out);
    if (n == 0)
        return 0;
    struct tg_forecast_scope *scopes = calloc(n, sizeof *scopes);
    struct tg_forecast *forecasts = calloc(n, sizeof *forecasts);
    int rc = -1;
    if (!scopes || !forecasts) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const struct tg_budget *b = tg_budget_find(config, scope, names[i]);
        scopes[i] = (struct tg_forecast_scope){.scope = scope, .name = names[i],
                                               .period = b ? b->period : TG_BUDGET_PER_MONTH};
    }
    if ((rc = tg_forecast_run(store, now_ms, scopes, n, forecasts, err, errlen)) != 0)
        goto done;
    for (size_t i = 0; i < n; i++) {
        out[i].forecast = forecasts[i];
        judge(config, tg_budget_find(config, scope, names[i]), &out[i]);
    }
done:
    free(scopes);
    free(forecasts);
    return rc;
}

/* The most used first: over, then warn, then ok; within a tier the highest share. */
static int by_use(const void *a, const void *b)
{
    const struct tg_budget_status *x = a, *y = b;
    if (x->tier != y->tier)
        return x->tier > y->tier ? -1 : 1;
    if (x->percent != y->percent)
        return x->percent > y->percent ? -1 : 1;
    return 0;
}

int tg_budget_evaluate(struct tg_store *store, const struct tg_budget_config *config, int64_t now_ms,
                       struct tg_budget_statuses *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t n = config->count;
    if (n == 0)
        return 0;
    struct tg_forecast_scope *scopes = calloc(n, sizeof *scopes);
    struct tg_forecast *forecasts = calloc(n, sizeof *forecasts);
    out->items = calloc(n, sizeof *out->items);
    if (!scopes || !forecasts || !out->items) {
        free(scopes);
        free(forecasts);
        free(out->items);
        out->items = NULL;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        scopes[i] = tg_budget_scope_of(config, &config->budgets[i]);
    int rc = tg_forecast_run(store, now_ms, scopes, n, forecasts, err, errlen);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        out->items[i].forecast = forecasts[i];
        judge(config, &config->budgets[i], &out->items[i]);
    }
    free(scopes);
    free(forecasts);
    if (rc != 0) {
        tg_budget_statuses_free(out);
        return -1;
    }
    out->count = n;
    qsort(out->items, n, sizeof *out->items, by_use);
    return 0;
}

void tg_budget_statuses_free(struct tg_budget_statuses *statuses)
{
    free(statuses->items);
    memset(statuses, 0, sizeof *statuses);
}
