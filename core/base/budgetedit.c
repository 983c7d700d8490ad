#include "base/budgetedit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/strbuf.h"

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}


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
        snprintf(buf, len, "%s %s", tg_budget_scope_name(scope), name);
}

int tg_budget_config_set(const char *path, const struct tg_budget *b, char *err, size_t errlen)
{
    if (b->scope != TG_BUDGET_ORG && !tg_budget_name_valid(b->name)) {
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
    int n = snprintf(line, sizeof line, "%s = %s/%s", left, amount, tg_budget_period_name(b->period));
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
    if (!tg_budget_name_valid(team)) {
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
        if (!tg_budget_name_valid(members[i])) {
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
