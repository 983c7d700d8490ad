/* Budgets as the config file holds them: the [budgets] and [teams] sections of
 * $XDG_CONFIG_HOME/tollgate/config (the lines before any section are the
 * gateway's, read by gateway/config.c). Parsing, the periods budgets run
 * over, and editing the file in place: other lines are kept as they are and
 * the file is replaced atomically (temp file, fsync, rename), mode 0600.
 *
 *   [budgets]
 *   # defaults for every budget below (whole-line comments only)
 *   warn = 80%
 *   alert = 100%
 *   org = 5000/month
 *   developer alice = 200/month
 *   key ci-bot = 50/week warn 70%
 *   model claude-opus-4-1 = 1000/month alert 110%
 *   team platform = 1500/month
 *
 *   [teams]
 *   platform = alice, bob, carol
 */
#ifndef TG_BUDGETCONF_H
#define TG_BUDGETCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/money.h"

#define TG_BUDGET_SCOPE_LIST(X)           \
    X(TG_BUDGET_ORG, "org")               \
    X(TG_BUDGET_TEAM, "team")             \
    X(TG_BUDGET_DEVELOPER, "developer")   \
    X(TG_BUDGET_KEY, "key")               \
    X(TG_BUDGET_MODEL, "model")

#define TG_BUDGET_SCOPE_ENUM(id, name) id,
enum tg_budget_scope { TG_BUDGET_SCOPE_LIST(TG_BUDGET_SCOPE_ENUM) TG_BUDGET_NSCOPES };
#undef TG_BUDGET_SCOPE_ENUM

enum tg_budget_period { TG_BUDGET_PER_DAY, TG_BUDGET_PER_WEEK, TG_BUDGET_PER_MONTH };

#define TG_BUDGET_DEFAULT_WARN 80
#define TG_BUDGET_DEFAULT_ALERT 100
#define TG_BUDGET_NAME_MAX 200

struct tg_budget {
    enum tg_budget_scope scope;
    char *name; /* NULL for the org */
    enum tg_budget_period period;
    tg_nanos amount;
    int warn_pct, alert_pct; /* 0 = the section's default */
};

struct tg_team {
    char *name;
    char **members; /* developer idents */
    size_t count;
};

struct tg_budget_config {
    struct tg_budget *budgets;
    size_t count;
    struct tg_team *teams;
    size_t nteams;
    int warn_pct, alert_pct; /* the defaults: 80 and 100 unless the file says */
};

/* A missing file is an empty config (0). -1 with err naming the file and line
 * for anything it cannot read. */
int tg_budget_config_load(const char *path, struct tg_budget_config *config, char *err, size_t errlen);
void tg_budget_config_free(struct tg_budget_config *config);

/* The thresholds that apply to b. */
int tg_budget_warn_pct(const struct tg_budget_config *config, const struct tg_budget *b);
int tg_budget_alert_pct(const struct tg_budget_config *config, const struct tg_budget *b);

/* A team by name, or NULL. */
const struct tg_team *tg_budget_team(const struct tg_budget_config *config, const char *name);

/* "alice" (a developer), "org", "developer:alice", "key:ci-bot", "model:gpt-5.5",
 * "team:platform". *name is malloc'd (NULL for the org). 0, or -1 with err. */
int tg_budget_parse_target(const char *text, enum tg_budget_scope *scope, char **name, char *err, size_t errlen);

/* "200/month", "$1,500.50/week", "20/day", "200" (a month): exact to the
 * nano-dollar, positive, at most $1,000,000,000. 0, or -1 with err. */
int tg_budget_parse_amount(const char *text, tg_nanos *amount, enum tg_budget_period *period, char *err,
                           size_t errlen);

/* "80%" or "80": 1 to 1000. 0, or -1 with err. */
int tg_budget_parse_pct(const char *text, int *pct, char *err, size_t errlen);

const char *tg_budget_scope_name(enum tg_budget_scope scope);
const char *tg_budget_period_name(enum tg_budget_period period);

/* "developer alice", "org": how a budget is named in the file and in findings. */
void tg_budget_label(const struct tg_budget *b, char *buf, size_t len);

/* The period around now_ms (UTC; weeks start on Monday): [start, end). */
void tg_budget_period_bounds(enum tg_budget_period period, int64_t now_ms, int64_t *start_ms, int64_t *end_ms);

/* A name a budget, team or member may have in the file: not empty, at most
 * TG_BUDGET_NAME_MAX bytes, no '=', '#', ',', control characters or spaces
 * at either end. */
bool tg_budget_name_valid(const char *name);

#endif
