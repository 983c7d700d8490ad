#include "ops/alerts.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/hashmap.h"
#include "base/paths.h"
#include "base/secrets.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "gateway/http.h"

#define COMMAND_TIMEOUT_MS 30000
#define WEBHOOK_ATTEMPTS 3

/* ---- building findings ---- */

static int push(struct tg_findings *out, const char *kind, struct strbuf *id, struct strbuf *fp, struct strbuf *json,
                struct strbuf *text)
{
    int failed = id->failed || fp->failed || json->failed || text->failed;
    struct tg_finding *grown = failed ? NULL : realloc(out->items, (out->count + 1) * sizeof *grown);
    if (!grown) {
        strbuf_free(id), strbuf_free(fp), strbuf_free(json), strbuf_free(text);
        return -1;
    }
    out->items = grown;
    struct tg_finding *f = &grown[out->count++];
    *f = (struct tg_finding){.kind = strdup(kind), .id = strbuf_detach(id), .fingerprint = strbuf_detach(fp),
                             .json = strbuf_detach(json), .text = strbuf_detach(text)};
    return f->kind && f->id && f->fingerprint && f->json && f->text ? 0 : -1;
}

static void json_money(struct strbuf *sb, const char *key, tg_nanos v)
{
    char buf[48];
    tg_nanos_format_plain(v, buf, sizeof buf);
    strbuf_printf(sb, ",\"%s\":%s", key, buf);
}

static void json_time(struct strbuf *sb, const char *key, int64_t ms)
{
    char iso[40];
    if (ms < 0) {
        strbuf_printf(sb, ",\"%s\":null", key);
        return;
    }
    tg_time_format_iso(ms, iso, sizeof iso);
    strbuf_printf(sb, ",\"%s\":\"%s\"", key, iso);
}

static const char *budget_kind(const struct tg_budget_status *s)
{
    if (s->tier == TG_TIER_OVER)
        return "budget_over";
    if (s->forecast_over)
        return "budget_forecast";
    return s->tier == TG_TIER_WARN ? "budget_warn" : NULL;
}

static void budget_text(const struct tg_budget_status *s, const char *kind, struct strbuf *text)
{
    char label[TG_BUDGET_NAME_MAX + 32], spent[48], amount[48], fc[48], lo[48], hi[48];
    tg_budget_label(s->budget, label, sizeof label);
    tg_nanos_format_human(s->forecast.spent, spent, sizeof spent);
    tg_nanos_format_human(s->budget->amount, amount, sizeof amount);
    tg_nanos_format_human(s->forecast.forecast, fc, sizeof fc);
    tg_nanos_format_human(s->forecast.low, lo, sizeof lo);
    tg_nanos_format_human(s->forecast.high, hi, sizeof hi);
    const char *what = strcmp(kind, "budget_over") == 0       ? "over budget,"
                       : strcmp(kind, "budget_forecast") == 0 ? "forecast to go over,"
                       : strcmp(kind, "budget_warn") == 0     ? "near its budget,"
                                                              : "";
    strbuf_printf(text, "%s: %s%s%s of %s this %s (%.0f%%); forecast %s (%s to %s)", label, what, *what ? " " : "", spent, amount,
                  tg_budget_period_name(s->budget->period), s->percent, fc, lo, hi);
    if (s->days_left > 0)
        strbuf_printf(text, "; runs out in %.1f days", s->days_left);
}

void tg_budget_status_json(struct strbuf *json, const struct tg_budget_status *s, const char *kind)
{
    const struct tg_budget *b = s->budget;
    struct strbuf text = STRBUF_INIT;
    budget_text(s, kind ? kind : "budget", &text);
    strbuf_puts(json, "{");
    if (kind)
        strbuf_printf(json, "\"kind\":\"%s\",", kind);
    strbuf_printf(json, "\"scope\":\"%s\",\"name\":", tg_budget_scope_name(b->scope));
    if (b->name)
        strbuf_json_string(json, b->name);
    else
        strbuf_puts(json, "null");
    strbuf_printf(json, ",\"period\":\"%s\"", tg_budget_period_name(b->period));
    json_time(json, "period_start", s->forecast.period_start_ms);
    json_time(json, "period_end", s->forecast.period_end_ms);
    json_money(json, "budget", b->amount);
    json_money(json, "spent", s->forecast.spent);
    strbuf_printf(json, ",\"percent\":%.1f,\"tier\":\"%s\",\"warn_pct\":%d,\"alert_pct\":%d,\"forecast_over\":%s",
                  s->percent, tg_budget_tier_name(s->tier), s->warn_pct, s->alert_pct,
                  s->forecast_over ? "true" : "false");
    json_money(json, "forecast", s->forecast.forecast);
    json_money(json, "forecast_low", s->forecast.low);
    json_money(json, "forecast_high", s->forecast.high);
    json_money(json, "per_day", s->forecast.per_day);
    if (s->days_left >= 0)
        strbuf_printf(json, ",\"days_left\":%.1f", s->days_left);
    else
        strbuf_puts(json, ",\"days_left\":null");
    strbuf_puts(json, ",\"known\":");
    strbuf_puts(json, s->forecast.known ? "true" : "false");
    strbuf_puts(json, ",\"text\":");
    strbuf_json_string(json, text.data ? text.data : "");
    strbuf_putc(json, '}');
    strbuf_free(&text);
}

static int budget_finding(struct tg_findings *out, const struct tg_budget_status *s)
{
    const char *kind = budget_kind(s);
    if (!kind)
        return 0;
    struct strbuf id = STRBUF_INIT, fp = STRBUF_INIT, json = STRBUF_INIT, text = STRBUF_INIT;
    char label[TG_BUDGET_NAME_MAX + 32], start[40];
    tg_budget_label(s->budget, label, sizeof label);
    tg_time_format_iso(s->forecast.period_start_ms, start, sizeof start);
    strbuf_printf(&id, "budget:%s:%s", label, start);
    strbuf_puts(&fp, kind);
    budget_text(s, kind, &text);
    tg_budget_status_json(&json, s, kind);
    return push(out, kind, &id, &fp, &json, &text);
}

static void key_text(const struct tg_key_finding *k, int dormant_days, int64_t now_ms, struct strbuf *text)
{
    const char *owner = k->owner ? k->owner : "unknown owner";
    switch (k->kind) {
    case TG_KEY_DORMANT:
        strbuf_printf(text, "key %s (%s): dormant, no request in %lld days (more than %d)", k->key, owner,
                      (long long)((now_ms - k->last_used_ms) / TG_DAY_MS), dormant_days);
        break;
    case TG_KEY_SHARED:
        strbuf_printf(text, "key %s: shared, used by %lld developers in the last %d days: %s", k->key,
                      (long long)k->count, dormant_days, k->users ? k->users : "");
        break;
    case TG_KEY_NEVER_USED:
        strbuf_printf(text, "key %s (%s): never used: the gateway lists it, no log names it", k->key, owner);
        break;
    default:
        strbuf_printf(text, "key %s (%s): %lld requests after its revocation", k->key, owner, (long long)k->count);
        break;
    }
}

static int key_finding(struct tg_findings *out, const struct tg_key_finding *k, int dormant_days, int64_t now_ms)
{
    const char *kind = tg_key_finding_name(k->kind);
    struct strbuf id = STRBUF_INIT, fp = STRBUF_INIT, json = STRBUF_INIT, text = STRBUF_INIT;
    strbuf_printf(&id, "%s:%s", kind, k->key);
    strbuf_puts(&fp, kind);
    if (k->users)
        strbuf_printf(&fp, ":%s", k->users);
    if (k->kind == TG_KEY_USED_AFTER_REVOCATION)
        strbuf_printf(&fp, ":%lld", (long long)k->count);
    key_text(k, dormant_days, now_ms, &text);
    strbuf_printf(&json, "{\"kind\":\"%s\",\"key\":", kind);
    strbuf_json_string(&json, k->key);
    strbuf_puts(&json, ",\"owner\":");
    if (k->owner)
        strbuf_json_string(&json, k->owner);
    else
        strbuf_puts(&json, "null");
    json_time(&json, "last_used", k->last_used_ms);
    json_time(&json, "created", k->created_ms);
    if (k->kind == TG_KEY_SHARED) {
        strbuf_printf(&json, ",\"developers\":%lld,\"users\":", (long long)k->count);
        strbuf_json_string(&json, k->users ? k->users : "");
    }
    if (k->kind == TG_KEY_USED_AFTER_REVOCATION)
        strbuf_printf(&json, ",\"requests\":%lld", (long long)k->count);
    strbuf_puts(&json, ",\"text\":");
    strbuf_json_string(&json, text.data ? text.data : "");
    strbuf_putc(&json, '}');
    return push(out, kind, &id, &fp, &json, &text);
}

int tg_findings_build(const struct tg_budget_statuses *budgets, const struct tg_key_findings *keys, int dormant_days,
                      int64_t now_ms, struct tg_findings *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; budgets && i < budgets->count; i++) {
        if (budget_finding(out, &budgets->items[i]) != 0)
            goto oom;
    }
    for (size_t i = 0; keys && i < keys->count; i++) {
        if (key_finding(out, &keys->items[i], dormant_days, now_ms) != 0)
            goto oom;
    }
    return 0;
oom:
    tg_findings_free(out);
    snprintf(err, errlen, "out of memory");
    return -1;
}

void tg_findings_free(struct tg_findings *findings)
{
    for (size_t i = 0; i < findings->count; i++) {
        struct tg_finding *f = &findings->items[i];
        free(f->kind), free(f->id), free(f->fingerprint), free(f->json), free(f->text);
    }
    free(findings->items);
    memset(findings, 0, sizeof *findings);
}

/* ---- the state file: one line per finding sent, "ID-HASH FINGERPRINT-HASH" ---- */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

struct sent {
    uint64_t id, fp;
};

static int load_state(const char *path, struct sent **out, size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    unsigned long long id, fp;
    while (fscanf(f, "%16llx %16llx", &id, &fp) == 2) {
        struct sent *grown = realloc(*out, (*n + 1) * sizeof *grown);
        if (!grown)
            break;
        *out = grown;
        (*out)[(*n)++] = (struct sent){id, fp};
    }
    fclose(f);
    return 0;
}

static const struct sent *find_sent(const struct sent *s, size_t n, uint64_t id)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i].id == id)
            return &s[i];
    }
    return NULL;
}

int tg_alerts_mark_new(const char *state_path, struct tg_findings *findings, char *err, size_t errlen)
{
    struct sent *sent;
    size_t n;
    if (load_state(state_path, &sent, &n, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < findings->count; i++) {
        struct tg_finding *f = &findings->items[i];
        const struct sent *s = find_sent(sent, n, fnv1a(f->id));
        f->is_new = !s || s->fp != fnv1a(f->fingerprint);
    }
    free(sent);
    return 0;
}

int tg_alerts_save_state(const char *state_path, const struct tg_findings *findings, char *err, size_t errlen)
{
    struct sent *old;
    size_t n;
    if (load_state(state_path, &old, &n, err, errlen) != 0)
        return -1;
    struct strbuf text = STRBUF_INIT;
    for (size_t i = 0; i < findings->count; i++) {
        const struct tg_finding *f = &findings->items[i];
        uint64_t id = fnv1a(f->id);
        const struct sent *before = find_sent(old, n, id);
        if (f->is_new && f->sent)
            strbuf_printf(&text, "%016llx %016llx\n", (unsigned long long)id,
                          (unsigned long long)fnv1a(f->fingerprint));
        else if (before) /* not sent now: what went before still stands */
            strbuf_printf(&text, "%016llx %016llx\n", (unsigned long long)id, (unsigned long long)before->fp);
    }
    free(old);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", state_path);
    int fd = text.failed ? -1 : (tg_paths_make_parent(state_path, err, errlen) == 0 ? mkstemp(tmp) : -2);
    if (fd < 0) {
        if (fd == -1)
            snprintf(err, errlen, "cannot write %s: %s", state_path, text.failed ? "out of memory" : strerror(errno));
        strbuf_free(&text);
        return -1;
    }
    ssize_t w = text.len ? write(fd, text.data, text.len) : 0;
    int failed = w != (ssize_t)text.len || fsync(fd) != 0;
    failed |= close(fd) != 0;
    strbuf_free(&text);
    if (failed || rename(tmp, state_path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", state_path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ---- the ways out ---- */

/* Writes all of json to fd, giving up at the deadline. */
static void feed(int fd, const char *json, int64_t deadline)
{
    size_t len = strlen(json), done = 0;
    while (done < len && tg_monotonic_us() / 1000 < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t w = write(fd, json + done, len - done);
        if (w < 0 && errno != EINTR && errno != EAGAIN)
            break; /* the command does not read its input: its exit status says the rest */
        if (w > 0)
            done += (size_t)w;
    }
}

int tg_alerts_run_command(const char *command, const char *json, char *err, size_t errlen)
{
    int pipefd[2];
    if (pipe(pipefd) != 0) {
        snprintf(err, errlen, "cannot run the --notify command: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(pipefd[0]), close(pipefd[1]);
        snprintf(err, errlen, "cannot run the --notify command: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        dup2(pipefd[0], 0);
        close(pipefd[0]), close(pipefd[1]);
        signal(SIGPIPE, SIG_DFL);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    close(pipefd[0]);
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    fcntl(pipefd[1], F_SETFL, O_NONBLOCK);
    int64_t deadline = tg_monotonic_us() / 1000 + COMMAND_TIMEOUT_MS;
    feed(pipefd[1], json, deadline);
    close(pipefd[1]);
    signal(SIGPIPE, old);
    int status = 0;
    pid_t done;
    while ((done = waitpid(pid, &status, WNOHANG)) == 0 && tg_monotonic_us() / 1000 < deadline)
        usleep(10000);
    if (done == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        snprintf(err, errlen, "the --notify command took more than %d s and was stopped", COMMAND_TIMEOUT_MS / 1000);
        return -1;
    }
    if (done < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "the --notify command failed (%s %d)", WIFEXITED(status) ? "exit status" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        return -1;
    }
    return 0;
}

static bool loopback_http(const char *url)
{
    static const char *const hosts[] = {"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:",
                                        "http://localhost/", "http://[::1]:", "http://[::1]/"};
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        if (strncmp(url, hosts[i], strlen(hosts[i])) == 0)
            return true;
    }
    return false;
}

static int read_token(const struct tg_webhook *hook, struct tg_tokens *tokens, char *err, size_t errlen)
{
    memset(tokens, 0, sizeof *tokens);
    if (!hook->token_file)
        return 0;
    if (tg_tokens_load_file(tokens, hook->token_file, err, errlen) != 0)
        return -1;
    if (tokens->count != 1) {
        snprintf(err, errlen, "%s: expected one token, found %zu", hook->token_file, tokens->count);
        tg_tokens_free(tokens);
        return -1;
    }
    return 0;
}

int tg_alerts_check_webhook(const struct tg_webhook *hook, char *err, size_t errlen)
{
    if (strncmp(hook->url, "https://", 8) != 0 && !loopback_http(hook->url)) {
        snprintf(err, errlen, "--webhook: '%.80s' must be an https:// URL (plain http only to 127.0.0.1 or localhost)",
                 hook->url);
        return -1;
    }
    struct tg_tokens tokens;
    if (read_token(hook, &tokens, err, errlen) != 0)
        return -1;
    tg_tokens_free(&tokens);
    return 0;
}

int tg_alerts_post(const struct tg_webhook *hook, const char *json, char *err, size_t errlen)
{
    if (tg_alerts_check_webhook(hook, err, errlen) != 0)
        return -1;
    struct tg_tokens tokens;
    if (read_token(hook, &tokens, err, errlen) != 0)
        return -1;
    if (tg_http_global_init() != 0) {
        tg_tokens_free(&tokens);
        snprintf(err, errlen, "--webhook: cannot start libcurl");
        return -1;
    }
    struct tg_http_options options = {.cacert = hook->cacert, .max_attempts = WEBHOOK_ATTEMPTS};
    struct tg_http_response response;
    char why[512];
    int rc = tg_http_call(&options, "POST", hook->url, tokens.count ? tokens.items[0] : NULL, json, false, &response,
                          why, sizeof why);
    tg_tokens_free(&tokens);
    if (rc != 0) {
        snprintf(err, errlen, "--webhook: %s", why);
        return -1;
    }
    long status = response.status;
    tg_http_response_free(&response);
    if (status < 200 || status >= 300) {
        snprintf(err, errlen, "--webhook: the server answered HTTP %ld", status);
        return -1;
    }
    return 0;
}
