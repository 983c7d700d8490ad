#include "base/budgetconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DOLLARS 1000000000LL
#define MAX_PCT 1000
#define DAY_MS 86400000LL

#define AS_NAME(id, name) name,
static const char *const scope_names[TG_BUDGET_NSCOPES] = {TG_BUDGET_SCOPE_LIST(AS_NAME)};
static const char *const period_names[] = {"day", "week", "month"};

const char *tg_budget_scope_name(enum tg_budget_scope scope)
{
    return scope_names[scope];
}

const char *tg_budget_period_name(enum tg_budget_period period)
{
    return period_names[period];
}

void tg_budget_label(const struct tg_budget *b, char *buf, size_t len)
{
    if (b->scope == TG_BUDGET_ORG)
        snprintf(buf, len, "org");
    else
        snprintf(buf, len, "%s %s", scope_names[b->scope], b->name);
}

/* ---- calendar (UTC), for the periods ---- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

void tg_budget_period_bounds(enum tg_budget_period period, int64_t now_ms, int64_t *start_ms, int64_t *end_ms)
{
    int64_t day = floor_div(now_ms, DAY_MS);
    if (period == TG_BUDGET_PER_DAY) {
        *start_ms = day * DAY_MS;
        *end_ms = *start_ms + DAY_MS;
    } else if (period == TG_BUDGET_PER_WEEK) {
        int64_t monday = day - ((day % 7 + 7 + 3) % 7); /* 1970-01-01 was a Thursday */
        *start_ms = monday * DAY_MS;
        *end_ms = *start_ms + 7 * DAY_MS;
    } else {
        int64_t y;
        int m;
        civil_from_days(day, &y, &m);
        *start_ms = days_from_civil(y, m, 1) * DAY_MS;
        *end_ms = (m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1)) * DAY_MS;
    }
}

/* ---- values ---- */

int tg_budget_parse_amount(const char *text, tg_nanos *amount, enum tg_budget_period *period, char *err,
                           size_t errlen)
{
    const char *p = text;
    if (*p == '$')
        p++;
    int64_t dollars = 0, frac = 0, scale = TG_NANOS_PER_DOLLAR;
    bool digits = false, point = false;
    for (; *p && *p != '/'; p++) {
        if (isdigit((unsigned char)*p) && !point) {
            dollars = dollars * 10 + (*p - '0');
            digits = true;
            if (dollars > MAX_DOLLARS)
                goto too_big;
        } else if (isdigit((unsigned char)*p)) {
            if (scale == 1)
                goto bad;
            scale /= 10;
            frac += (*p - '0') * scale;
            digits = true;
        } else if (*p == '.' && !point) {
            point = true;
        } else if (*p == ',' && !point && digits) {
            continue;
        } else {
            goto bad;
        }
    }
    if (!digits)
        goto bad;
    *period = TG_BUDGET_PER_MONTH;
    if (*p == '/') {
        const char *unit = p + 1;
        if (strcmp(unit, "month") == 0 || strcmp(unit, "mo") == 0)
            *period = TG_BUDGET_PER_MONTH;
        else if (strcmp(unit, "week") == 0 || strcmp(unit, "wk") == 0)
            *period = TG_BUDGET_PER_WEEK;
        else if (strcmp(unit, "day") == 0 || strcmp(unit, "d") == 0)
            *period = TG_BUDGET_PER_DAY;
        else {
            snprintf(err, errlen, "'%.60s': the period must be /month, /week or /day", text);
            return -1;
        }
    }
    if (dollars == MAX_DOLLARS && frac > 0)
        goto too_big;
    *amount = dollars * TG_NANOS_PER_DOLLAR + frac;
    if (*amount <= 0) {
        snprintf(err, errlen, "'%.60s': a budget must be more than $0", text);
        return -1;
    }
    return 0;
bad:
    snprintf(err, errlen, "'%.60s' is not an amount (try 200/month, 1500.50/week, 20/day)", text);
    return -1;
too_big:
    snprintf(err, errlen, "'%.60s': a budget is at most $1,000,000,000", text);
    return -1;
}

int tg_budget_parse_pct(const char *text, int *pct, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || errno || (*end && strcmp(end, "%") != 0) || v < 1 || v > MAX_PCT) {
        snprintf(err, errlen, "'%.40s' is not a threshold (a percentage from 1%% to %d%%, such as 80%%)", text,
                 MAX_PCT);
        return -1;
    }
    *pct = (int)v;
    return 0;
}

bool tg_budget_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > TG_BUDGET_NAME_MAX || name[0] == ' ' || name[n - 1] == ' ' || name[0] == '[')
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '=' || *p == '#' || *p == ',')
            return false;
    }
    return true;
}

int tg_budget_parse_target(const char *text, enum tg_budget_scope *scope, char **name, char *err, size_t errlen)
{
    *name = NULL;
    if (strcmp(text, "org") == 0) {
        *scope = TG_BUDGET_ORG;
        return 0;
    }
    const char *colon = strchr(text, ':');
    const char *bare = text;
    *scope = TG_BUDGET_DEVELOPER;
    if (colon) {
        size_t n = (size_t)(colon - text);
        int found = -1;
        for (int s = TG_BUDGET_TEAM; s < TG_BUDGET_NSCOPES; s++) {
            if (strlen(scope_names[s]) == n && strncmp(text, scope_names[s], n) == 0)
                found = s;
        }
        if (found >= 0) {
            *scope = (enum tg_budget_scope)found;
            bare = colon + 1;
        }
    }
    if (!tg_budget_name_valid(bare)) {
        snprintf(err, errlen,
                 "'%.60s' cannot be a budget's name (no '=', '#', ',', control characters or edge spaces)", bare);
        return -1;
    }
    *name = strdup(bare);
    if (!*name) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* ---- reading ---- */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

enum section { SECTION_TOP, SECTION_BUDGETS, SECTION_TEAMS, SECTION_OTHER };

static enum section section_of(const char *header)
{
    if (strcmp(header, "[budgets]") == 0)
        return SECTION_BUDGETS;
    if (strcmp(header, "[teams]") == 0)
        return SECTION_TEAMS;
    return SECTION_OTHER;
}

/* "SCOPE NAME" or "org" left of '=': 0, or -1. name points into left. */
static int split_target(char *left, enum tg_budget_scope *scope, char **name)
{
    *name = NULL;
    if (strcmp(left, "org") == 0) {
        *scope = TG_BUDGET_ORG;
        return 0;
    }
    char *space = strpbrk(left, " \t");
    if (!space)
        return -1;
    *space = '\0';
    for (int s = TG_BUDGET_TEAM; s < TG_BUDGET_NSCOPES; s++) {
        if (strcmp(left, scope_names[s]) == 0) {
            *scope = (enum tg_budget_scope)s;
            *name = trim(space + 1);
            return tg_budget_name_valid(*name) ? 0 : -1;
        }
    }
    return -1;
}

/* "200/month warn 70% alert 110%" */
static int parse_value(char *value, struct tg_budget *b, char *err, size_t errlen)
{
    char *save = NULL;
    char *amount = strtok_r(value, " \t", &save);
    if (!amount || tg_budget_parse_amount(amount, &b->amount, &b->period, err, errlen) != 0) {
        if (!amount)
            snprintf(err, errlen, "no amount");
        return -1;
    }
    char *word;
    while ((word = strtok_r(NULL, " \t", &save))) {
        int *slot = strcmp(word, "warn") == 0 ? &b->warn_pct : strcmp(word, "alert") == 0 ? &b->alert_pct : NULL;
        char *pct = slot ? strtok_r(NULL, " \t", &save) : NULL;
        if (!slot || !pct) {
            snprintf(err, errlen, "expected `warn N%%` or `alert N%%` after the amount, not '%.40s'", word);
            return -1;
        }
        if (tg_budget_parse_pct(pct, slot, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int add_budget(struct tg_budget_config *c, const struct tg_budget *b)
{
    for (size_t i = 0; i < c->count; i++) { /* a later line wins */
        struct tg_budget *old = &c->budgets[i];
        if (old->scope == b->scope && (b->scope == TG_BUDGET_ORG || strcmp(old->name, b->name) == 0)) {
            free(old->name);
            *old = *b;
            return 0;
        }
    }
    struct tg_budget *grown = realloc(c->budgets, (c->count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    c->budgets = grown;
    c->budgets[c->count++] = *b;
    return 0;
}

static int budget_line(struct tg_budget_config *c, char *left, char *value, char *err, size_t errlen)
{
    if (strcmp(left, "warn") == 0)
        return tg_budget_parse_pct(value, &c->warn_pct, err, errlen);
    if (strcmp(left, "alert") == 0)
        return tg_budget_parse_pct(value, &c->alert_pct, err, errlen);
    struct tg_budget b = {0};
    char *name;
    if (split_target(left, &b.scope, &name) != 0) {
        snprintf(err, errlen, "expected `org`, `warn`, `alert` or `developer|key|model|team NAME` before '=', not '%.60s'",
                 left);
        return -1;
    }
    if (parse_value(value, &b, err, errlen) != 0)
        return -1;
    if (name && !(b.name = strdup(name)))
        return -1;
    if (add_budget(c, &b) != 0) {
        free(b.name);
        return -1;
    }
    return 0;
}

static void free_team(struct tg_team *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->members[i]);
    free(t->members);
    free(t->name);
}

static int team_line(struct tg_budget_config *c, const char *name, char *value, char *err, size_t errlen)
{
    if (!tg_budget_name_valid(name)) {
        snprintf(err, errlen, "'%.60s' cannot be a team's name", name);
        return -1;
    }
    struct tg_team t = {.name = strdup(name)};
    char *save = NULL;
    for (char *m = strtok_r(value, ",", &save); m && t.name; m = strtok_r(NULL, ",", &save)) {
        m = trim(m);
        if (!*m)
            continue;
        char **grown = realloc(t.members, (t.count + 1) * sizeof *grown);
        if (!grown || !(grown[t.count] = strdup(m))) {
            t.members = grown ? grown : t.members;
            free_team(&t);
            return -1;
        }
        t.members = grown;
        t.count++;
    }
    struct tg_team *teams = t.name ? realloc(c->teams, (c->nteams + 1) * sizeof *teams) : NULL;
    if (!teams) {
        free_team(&t);
        return -1;
    }
    c->teams = teams;
    c->teams[c->nteams++] = t;
    return 0;
}

int tg_budget_config_load(const char *path, struct tg_budget_config *config, char *err, size_t errlen)
{
    memset(config, 0, sizeof *config);
    config->warn_pct = TG_BUDGET_DEFAULT_WARN;
    config->alert_pct = TG_BUDGET_DEFAULT_ALERT;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL, why[200] = "";
    size_t cap = 0;
    int lineno = 0, rc = 0;
    enum section section = SECTION_TOP;
    while (rc == 0 && getline(&line, &cap, f) > 0) {
        lineno++;
        char *t = trim(line);
        if (*t == '\0' || *t == '#')
            continue;
        if (*t == '[') {
            section = section_of(t);
            continue;
        }
        if (section != SECTION_BUDGETS && section != SECTION_TEAMS)
            continue;
        char *eq = strchr(t, '=');
        if (!eq) {
            snprintf(why, sizeof why, "expected `name = value`");
            rc = -1;
            break;
        }
        *eq = '\0';
        char *left = trim(t), *value = trim(eq + 1);
        snprintf(why, sizeof why, "out of memory");
        rc = section == SECTION_BUDGETS ? budget_line(config, left, value, why, sizeof why)
                                        : team_line(config, left, value, why, sizeof why);
    }
    free(line);
    fclose(f);
    if (rc != 0) {
        snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
        tg_budget_config_free(config);
    }
    return rc;
}

void tg_budget_config_free(struct tg_budget_config *c)
{
    for (size_t i = 0; i < c->count; i++)
        free(c->budgets[i].name);
    free(c->budgets);
    for (size_t i = 0; i < c->nteams; i++)
        free_team(&c->teams[i]);
    free(c->teams);
    memset(c, 0, sizeof *c);
}

int tg_budget_warn_pct(const struct tg_budget_config *config, const struct tg_budget *b)
{
    return b->warn_pct ? b->warn_pct : config->warn_pct;
}

int tg_budget_alert_pct(const struct tg_budget_config *config, const struct tg_budget *b)
{
    return b->alert_pct ? b->alert_pct : config->alert_pct;
}

const struct tg_team *tg_budget_team(const struct tg_budget_config *config, const char *name)
{
    for (size_t i = config->nteams; i-- > 0;) { /* a later line wins */
        if (strcmp(config->teams[i].name, name) == 0)
            return &config->teams[i];
    }
    return NULL;
}
