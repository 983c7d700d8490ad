#include "base/budgetconf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/strbuf.h"

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
    if (period == TG_PERIOD_DAY) {
        *start_ms = day * DAY_MS;
        *end_ms = *start_ms + DAY_MS;
    } else if (period == TG_PERIOD_WEEK) {
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
    *period = TG_PERIOD_MONTH;
    if (*p == '/') {
        const char *unit = p + 1;
        if (strcmp(unit, "month") == 0 || strcmp(unit, "mo") == 0)
            *period = TG_PERIOD_MONTH;
        else if (strcmp(unit, "week") == 0 || strcmp(unit, "wk") == 0)
            *period = TG_PERIOD_WEEK;
        else if (strcmp(unit, "day") == 0 || strcmp(unit, "d") == 0)
            *period = TG_PERIOD_DAY;
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

static bool valid_name(const char *name)
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
    if (!valid_name(bare)) {
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
            return valid_name(*name) ? 0 : -1;
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
    if (!valid_name(name)) {
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

/* ---- editing ---- */

struct lines {
    char **items;
    size_t count;
};

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
}

static int lines_insert(struct lines *l, size_t at, const char *text)
{
    char **grown = realloc(l->items, (l->count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    l->items = grown;
    char *copy = strdup(text);
    if (!copy)
        return -1;
    memmove(&l->items[at + 1], &l->items[at], (l->count - at) * sizeof *l->items);
    l->items[at] = copy;
    l->count++;
    return 0;
}

static void lines_remove(struct lines *l, size_t at)
{
    free(l->items[at]);
    memmove(&l->items[at], &l->items[at + 1], (l->count - at - 1) * sizeof *l->items);
    l->count--;
}

static int read_lines(const char *path, struct lines *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (lines_insert(out, out->count, line) != 0) {
            free(line);
            fclose(f);
            lines_free(out);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    free(line);
    fclose(f);
    return 0;
}

/* Temp file in the same directory, fsync, rename over, fsync the directory:
 * a crash leaves the old file or the new one, never half of either. */
static int write_lines(const char *path, const struct lines *l, char *err, size_t errlen)
{
    if (tg_paths_make_parent(path, err, errlen) != 0)
        return -1;
    struct strbuf text = STRBUF_INIT;
    for (size_t i = 0; i < l->count; i++) {
        strbuf_puts(&text, l->items[i]);
        strbuf_putc(&text, '\n');
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    int fd = text.failed ? -1 : mkstemp(tmp); /* mode 0600 */
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, text.failed ? "out of memory" : strerror(errno));
        strbuf_free(&text);
        return -1;
    }
    size_t done = 0;
    while (done < text.len) {
        ssize_t w = write(fd, text.data + done, text.len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    int failed = done != text.len || fchmod(fd, 0600) != 0 || fsync(fd) != 0;
    failed |= close(fd) != 0;
    strbuf_free(&text);
    if (failed || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        int dfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    return 0;
}

/* Where a section's lines are: [*first, *end), or *first = SIZE_MAX when absent. */
static void find_section(const struct lines *l, const char *header, size_t *first, size_t *end)
{
    *first = *end = SIZE_MAX;
    for (size_t i = 0; i < l->count; i++) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", l->items[i]);
        char *t = trim(buf);
        if (*t != '[')
            continue;
        if (*first != SIZE_MAX) {
            *end = i;
            return;
        }
        if (strcmp(t, header) == 0)
            *first = i + 1;
    }
    if (*first != SIZE_MAX)
        *end = l->count;
}

/* The line of the section whose left side is `left`, or SIZE_MAX. */
static size_t find_entry(const struct lines *l, size_t first, size_t end, const char *left)
{
    for (size_t i = first; i < end; i++) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", l->items[i]);
        char *eq = strchr(buf, '=');
        if (!eq || *trim(buf) == '#')
            continue;
        *eq = '\0';
        char *t = trim(buf);
        /* "developer   alice" matches "developer alice" */
        char norm[1024] = "";
        char *space = strpbrk(t, " \t");
        if (space) {
            *space = '\0';
            snprintf(norm, sizeof norm, "%s %s", t, trim(space + 1));
        } else {
            snprintf(norm, sizeof norm, "%s", t);
        }
        if (strcmp(norm, left) == 0)
            return i;
    }
    return SIZE_MAX;
}

/* Sets (line != NULL) or removes the entry `left` of section `header`.
 * Returns 0, 1 when removing found nothing, -1 with err. */
static int edit_entry(const char *path, const char *header, const char *left, const char *line, char *err,
                      size_t errlen)
{
    struct lines l;
    if (read_lines(path, &l, err, errlen) != 0)
        return -1;
    size_t first, end;
    find_section(&l, header, &first, &end);
    size_t at = first == SIZE_MAX ? SIZE_MAX : find_entry(&l, first, end, left);
    int rc = 0;
    if (!line && at == SIZE_MAX) {
        lines_free(&l);
        return 1;
    }
    if (!line) {
        lines_remove(&l, at);
    } else if (at != SIZE_MAX) {
        free(l.items[at]);
        l.items[at] = strdup(line);
        rc = l.items[at] ? 0 : -1;
    } else if (first == SIZE_MAX) {
        if (l.count && *l.items[l.count - 1])
            rc |= lines_insert(&l, l.count, "");
        rc |= lines_insert(&l, l.count, header);
        rc |= lines_insert(&l, l.count, line);
    } else {
        size_t after = end; /* after the section's last line that is not blank */
        while (after > first && !*l.items[after - 1])
            after--;
        rc = lines_insert(&l, after, line);
    }
    if (rc != 0)
        snprintf(err, errlen, "out of memory");
    else
        rc = write_lines(path, &l, err, errlen);
    lines_free(&l);
    return rc;
}

static void left_of(enum tg_budget_scope scope, const char *name, char *buf, size_t len)
{
    if (scope == TG_BUDGET_ORG)
        snprintf(buf, len, "org");
    else
        snprintf(buf, len, "%s %s", scope_names[scope], name);
}

int tg_budget_config_set(const char *path, const struct tg_budget *b, char *err, size_t errlen)
{
    if (b->scope != TG_BUDGET_ORG && !valid_name(b->name)) {
        snprintf(err, errlen, "'%.60s' cannot be a budget's name", b->name);
        return -1;
    }
    char left[TG_BUDGET_NAME_MAX + 32], line[TG_BUDGET_NAME_MAX + 128];
    left_of(b->scope, b->name, left, sizeof left);
    int64_t dollars = b->amount / TG_NANOS_PER_DOLLAR, frac = b->amount % TG_NANOS_PER_DOLLAR;
    char amount[64];
    if (frac == 0) {
        snprintf(amount, sizeof amount, "%lld", (long long)dollars);
    } else {
        snprintf(amount, sizeof amount, "%lld.%09lld", (long long)dollars, (long long)frac);
        char *z = amount + strlen(amount);
        while (z[-1] == '0')
            *--z = '\0';
    }
    int n = snprintf(line, sizeof line, "%s = %s/%s", left, amount, period_names[b->period]);
    if (b->warn_pct)
        n += snprintf(line + n, sizeof line - (size_t)n, " warn %d%%", b->warn_pct);
    if (b->alert_pct)
        snprintf(line + n, sizeof line - (size_t)n, " alert %d%%", b->alert_pct);
    return edit_entry(path, "[budgets]", left, line, err, errlen);
}

int tg_budget_config_unset(const char *path, enum tg_budget_scope scope, const char *name, char *err, size_t errlen)
{
    char left[TG_BUDGET_NAME_MAX + 32];
    left_of(scope, name, left, sizeof left);
    return edit_entry(path, "[budgets]", left, NULL, err, errlen);
}

int tg_budget_config_set_team(const char *path, const char *team, const char *const *members, size_t count,
                              char *err, size_t errlen)
{
    if (!valid_name(team)) {
        snprintf(err, errlen, "'%.60s' cannot be a team's name", team);
        return -1;
    }
    if (count == 0) {
        int rc = edit_entry(path, "[teams]", team, NULL, err, errlen);
        return rc > 0 ? 0 : rc;
    }
    struct strbuf line = STRBUF_INIT;
    strbuf_printf(&line, "%s = ", team);
    for (size_t i = 0; i < count; i++) {
        if (!valid_name(members[i])) {
            snprintf(err, errlen, "'%.60s' cannot be a team member's name", members[i]);
            strbuf_free(&line);
            return -1;
        }
        strbuf_printf(&line, "%s%s", i ? ", " : "", members[i]);
    }
    int rc = line.failed ? -1 : edit_entry(path, "[teams]", team, line.data, err, errlen);
    if (line.failed)
        snprintf(err, errlen, "out of memory");
    strbuf_free(&line);
    return rc;
}
