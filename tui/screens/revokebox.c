#include "screens/revokebox.h"

#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/format.h"
#include "base/sanitize.h"
#include "base/timeutil.h"
#include "gateway/gateway_setup.h"
#include "ops/keys.h"
#include "ops/offboard.h"
#include "ops/revoke.h"
#include "screens/jobs.h"
#include "screens/lineedit.h"

#define DEFAULT_REASON "revoked from the screens"
#define BOX_CHROME_ROWS 9  /* border, title, blank lines, the warning, the reason's line */
#define BOX_MIN_COLS 40
#define SPINNER_TICK_MS 100
#define IDLE_TIMEOUT_MS 1000

/* What the job's thread gets: copies, nothing shared with the screens. */
struct revoke_job {
    char db_path[4096];
    char actor[64];
    enum revoke_scope scope;
    char *developer; /* REVOKE_DEVELOPER */
    char **keys;     /* REVOKE_KEY: gateway ids, else names */
    size_t count;
    char reason[200]; /* for the audit log */
};

static void free_job(void *arg)
{
    struct revoke_job *job = arg;
    for (size_t i = 0; i < job->count; i++)
        free(job->keys[i]);
    free(job->keys);
    free(job->developer);
    free(job);
}

static void revoke_keys(struct tg_store *store, struct tg_gateway *gw, const struct revoke_job *job,
                        struct job_result *out)
{
    int ok = 0;
    char err[512];
    for (size_t i = 0; i < job->count; i++) {
        struct tg_key_rows found;
        if (tg_keys_find(store, job->keys[i], tg_now_ms(), &found, err, sizeof err) != 0) {
            snprintf(out->message, sizeof out->message, "%s: not found", job->keys[i]);
            out->failed++;
            tg_key_rows_free(&found);
            continue;
        }
        struct tg_revoke_result result;
        if (tg_revoke_key(store, gw, &found.rows[0], job->actor, job->reason, false, &result) == 0)
            ok++;
        else
            out->failed++;
        snprintf(out->message, sizeof out->message, "%s", result.message);
        tg_key_rows_free(&found);
    }
    if (job->count > 1)
        snprintf(out->message, sizeof out->message, "%d revoked, %d failed (see tollgate audit)", ok, out->failed);
}

static void offboard(struct tg_store *store, struct tg_gateway *gw, const struct revoke_job *job,
                     struct job_result *out)
{
    struct tg_offboard_plan plan;
    char err[512];
    if (tg_offboard_plan(store, job->developer, tg_now_ms(), NULL, &plan, err, sizeof err) != 0) {
        snprintf(out->message, sizeof out->message, "%s", err);
        out->failed = 1;
        return;
    }
    size_t planned = plan.to_revoke;
    tg_offboard_apply(store, gw, &plan, job->actor, job->reason, false, NULL, NULL);
    out->failed = (int)plan.failed;
    if (planned == 0) {
        snprintf(out->message, sizeof out->message, "nothing to revoke: no active key here");
    } else if (planned == 1) {
        for (size_t i = 0; i < plan.count; i++) {
            if (plan.steps[i].state == TG_OFFBOARD_REVOKED || plan.steps[i].state == TG_OFFBOARD_FAILED)
                snprintf(out->message, sizeof out->message, "%s", plan.steps[i].result.message);
        }
    } else {
        snprintf(out->message, sizeof out->message, "%zu revoked, %zu failed (see tollgate audit)", plan.revoked,
                 plan.failed);
    }
    if (plan.shared_held) { /* revoking those cuts others off: the lead decides, with `tollgate offboard` */
        size_t n = strlen(out->message);
        snprintf(out->message + n, sizeof out->message - n, "; %zu shared key%s left active (tollgate offboard)",
                 plan.shared_held, plan.shared_held == 1 ? "" : "s");
    }
    tg_offboard_plan_free(&plan);
}

/* On the job's thread, with its own read-write connection. */
static void revoke_main(void *arg, atomic_int *cancel, struct job_result *out)
{
    const struct revoke_job *job = arg;
    char err[512];
    struct tg_store *store = NULL;
    struct tg_gateway_setup setup;
    struct tg_gateway_setup_options so = {NULL, NULL, cancel, NULL};
    if (tg_store_open(job->db_path, TG_STORE_SMALL_CACHE, &store, err, sizeof err) != 0 ||
        tg_gateway_setup_open(&so, &setup, err, sizeof err) != 0) {
        snprintf(out->message, sizeof out->message, "%s", err);
        out->failed = job->scope == REVOKE_KEY ? (int)job->count : 1;
        tg_store_close(store);
        return;
    }
    if (job->scope == REVOKE_KEY)
        revoke_keys(store, &setup.gw, job, out);
    else
        offboard(store, &setup.gw, job, out);
    tg_gateway_setup_close(&setup);
    tg_store_close(store);
}

/* The keys R would revoke, fresh from the db: another process may have
 * revoked one. Pointers into *keys. */
static size_t find_targets(struct ui *ui, enum revoke_scope scope, const char *name, struct tg_key_rows *keys,
                           const struct tg_key_row ***out)
{
    char err[200];
    *out = NULL;
    if (tg_keys_list(ui->store, tg_now_ms(), scope == REVOKE_DEVELOPER ? name : NULL, keys, err, sizeof err) != 0) {
        memset(keys, 0, sizeof *keys);
        return 0;
    }
    *out = calloc(keys->count ? keys->count : 1, sizeof **out);
    if (!*out)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < keys->count; i++) {
        const struct tg_key_row *k = &keys->rows[i];
        bool match = scope == REVOKE_DEVELOPER || strcmp(tg_key_label(k), name) == 0;
        if (match && strcmp(k->status, "revoked") != 0)
            (*out)[n++] = k;
    }
    return n;
}

static void impact_line(const struct tg_key_row *k, char *line, size_t len)
{
    char name[96], owner[96], spend[32], last[48];
    tg_sanitize(tg_key_label(k), name, sizeof name);
    tg_sanitize(k->owner ? k->owner : "(unknown owner)", owner, sizeof owner);
    tg_nanos_format_human(k->spend_30d, spend, sizeof spend);
    if (k->last_used_ms >= 0) {
        tg_time_format_iso(k->last_used_ms, last, sizeof last);
        last[16] = '\0';
    } else {
        snprintf(last, sizeof last, "never");
    }
    snprintf(line, len, "%s (%s)  owner %s  last used %s  30 days %s, %lld requests", name, k->status, owner, last,
             spend, (long long)k->requests_30d);
}

/* Lines of the box: each key's impact (cut in two at a double space when it
 * is wider than the box can be), then the rest. */
#define BOX_LINES_MAX 64
struct box {
    char lines[BOX_LINES_MAX][400];
    int count;
};

static void box_add(struct box *b, const char *text, int inner)
{
    if (b->count >= BOX_LINES_MAX)
        return;
    const char *split = NULL;
    if ((int)strlen(text) > inner) { /* the last "  " that leaves a first part that fits */
        for (const char *p = strstr(text, "  "); p && p - text <= inner; p = strstr(p + 2, "  "))
            split = p;
    }
    if (!split) {
        snprintf(b->lines[b->count++], sizeof b->lines[0], "%s", text);
        return;
    }
    snprintf(b->lines[b->count++], sizeof b->lines[0], "%.*s", (int)(split - text), text);
    if (b->count < BOX_LINES_MAX)
        snprintf(b->lines[b->count++], sizeof b->lines[0], "    %s", split + 2);
}

/* The box, as wide as its longest line (within the screen), as tall as its
 * lines: what the user is about to cut off, nothing of it cut. */
static void draw_box(const char *title, const struct box *b)
{
    int width = (int)strlen(title) + 4;
    for (int i = 0; i < b->count; i++) {
        if ((int)strlen(b->lines[i]) + 4 > width)
            width = (int)strlen(b->lines[i]) + 4;
    }
    if (width < BOX_MIN_COLS)
        width = BOX_MIN_COLS;
    if (width > COLS - 2)
        width = COLS - 2;
    int height = b->count + 4;
    if (height > LINES - 2)
        height = LINES - 2;
    int y0 = (LINES - height) / 2 > 1 ? (LINES - height) / 2 : 1, x0 = (COLS - width) / 2;
    for (int y = y0; y < y0 + height && y < LINES - 1; y++) {
        move(y, x0);
        for (int x = 0; x < width; x++)
            addch(y == y0 || y == y0 + height - 1 ? '-' : (x == 0 || x == width - 1) ? '|' : ' ');
    }
    attron(A_BOLD);
    draw_text(y0 + 1, x0 + 2, title, width - 4);
    attroff(A_BOLD);
    for (int i = 0; i < b->count && 3 + i < height - 1; i++)
        draw_text(y0 + 3 + i, x0 + 2, b->lines[i], width - 4);
    refresh();
}

/* The impact: each key to be cut off, then what happens. */
static void impact_box(const struct tg_key_row *const keys[], size_t n, const char *gateway_err, struct box *b)
{
    int inner = COLS - 6;
    int fits = LINES - BOX_CHROME_ROWS - 2 > 1 ? LINES - BOX_CHROME_ROWS - 2 : 1;
    memset(b, 0, sizeof *b);
    for (size_t i = 0; i < n; i++) {
        char line[400];
        if (b->count >= fits - 1 && i + 1 < n) {
            snprintf(line, sizeof line, "... and %zu more", n - i);
            box_add(b, line, inner);
            break;
        }
        impact_line(keys[i], line, sizeof line);
        box_add(b, line, inner);
    }
    box_add(b, "", inner);
    char text[300];
    if (gateway_err) {
        char clean[200];
        tg_sanitize(gateway_err, clean, sizeof clean);
        snprintf(text, sizeof text, "no gateway configured: %s", clean);
        box_add(b, text, inner);
        box_add(b, "Set RESPAN_API_KEY (Respan), or LITELLM_BASE_URL and LITELLM_MASTER_KEY", inner);
        box_add(b, "(LiteLLM), or put them in the config file; then press R again.", inner);
        box_add(b, "Nothing was revoked. Any key closes this box.", inner);
        return;
    }
    if (n == 1)
        snprintf(text, sizeof text, "The gateway will refuse this key at once. Esc cancels.");
    else
        snprintf(text, sizeof text, "The gateway will refuse these %zu keys at once. Esc cancels.", n);
    box_add(b, text, inner);
    box_add(b, "A reason may follow the name (kept in the audit log): NAME left the team", inner);
}

static struct revoke_job *new_job(struct ui *ui, enum revoke_scope scope, const char *name,
                                  const struct tg_key_row *const targets[], size_t n)
{
    struct revoke_job *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    snprintf(job->db_path, sizeof job->db_path, "%s", ui->opt->db_path);
    snprintf(job->actor, sizeof job->actor, "%s", ui->opt->actor ? ui->opt->actor : "unknown");
    job->scope = scope;
    if (scope == REVOKE_DEVELOPER) {
        job->developer = strdup(name);
        if (job->developer)
            return job;
        free_job(job);
        return NULL;
    }
    job->keys = calloc(n, sizeof *job->keys);
    for (size_t i = 0; job->keys && i < n; i++) {
        job->keys[i] = strdup(targets[i]->key_id ? targets[i]->key_id : tg_key_label(targets[i]));
        if (!job->keys[i])
            break;
        job->count++;
    }
    if (job->count == n)
        return job;
    free_job(job);
    return NULL;
}

/* The spinner until the job ends (true) or the user stops waiting (false). */
static bool wait_for(struct ui *ui, struct job *job)
{
    static const char spin[] = "|/-\\";
    timeout(SPINNER_TICK_MS);
    for (int tick = 0; !jobs_done(job); tick++) {
        char line[160];
        snprintf(line, sizeof line, " revoking %c  (Esc stops waiting; the revocation goes on, its result goes to "
                 "the audit log)", spin[tick % 4]);
        draw_status_line(line);
        refresh();
        if (getch() == KEY_ESCAPE) {
            ui_status(ui, "still revoking in the background: the result will show here and in `tollgate audit`");
            timeout(IDLE_TIMEOUT_MS);
            return false;
        }
    }
    timeout(IDLE_TIMEOUT_MS);
    struct job_result result;
    jobs_collect(ui->jobs, job, &result);
    jobs_result_text(&result, ui->status, sizeof ui->status);
    return true;
}

/* Whether a gateway is set up, before anyone types a name: NULL when it is,
 * else why not (in err). */
static const char *gateway_problem(char *err, size_t errlen)
{
    struct tg_gateway_setup setup;
    struct tg_gateway_setup_options so = {NULL, NULL, NULL, NULL};
    if (tg_gateway_setup_open(&so, &setup, err, errlen) != 0)
        return err;
    tg_gateway_setup_close(&setup);
    return NULL;
}

/* "NAME" or "NAME a reason": true when it starts with the name, the reason
 * (or the default) into reason. */
static bool confirmed(const char *typed, const char *name, char *reason, size_t len)
{
    size_t n = strlen(name);
    if (strncmp(typed, name, n) != 0 || (typed[n] && typed[n] != ' '))
        return false;
    const char *r = typed + n;
    while (*r == ' ')
        r++;
    snprintf(reason, len, "%s", *r ? r : DEFAULT_REASON);
    return true;
}

/* The box, the typed name, the job: true when it ended while the user waited. */
static bool confirm_and_revoke(struct ui *ui, enum revoke_scope scope, const char *name,
                               const struct tg_key_row *const targets[], size_t n)
{
    static struct box box;
    char title[300], prompt[300], typed[256] = "", shown[256], err[300], reason[200];
    tg_sanitize(name, shown, sizeof shown);
    if (scope == REVOKE_KEY)
        snprintf(title, sizeof title, "Revoke the key %s?", shown);
    else
        snprintf(title, sizeof title, n == 1 ? "Revoke every key of %s? (this key)" : "Revoke every key of %s? "
                 "(these %zu keys)", shown, n);
    const char *problem = gateway_problem(err, sizeof err);
    impact_box(targets, n, problem, &box);
    draw_box(title, &box);
    if (problem) {
        timeout(-1);
        getch();
        timeout(IDLE_TIMEOUT_MS);
        ui_status(ui, "not revoked: no gateway configured (set RESPAN_API_KEY, or LITELLM_BASE_URL and "
                      "LITELLM_MASTER_KEY)");
        return false;
    }
    snprintf(prompt, sizeof prompt, "Type %s to confirm (a reason may follow): ", shown);
    if (!lineedit_read(prompt, typed, sizeof typed) || !confirmed(typed, name, reason, sizeof reason)) {
        ui_status(ui, "not revoked");
        return false;
    }
    struct revoke_job *job = new_job(ui, scope, name, targets, n);
    if (job)
        snprintf(job->reason, sizeof job->reason, "%s", reason);
    struct job *running = job ? jobs_start(ui->jobs, revoke_main, job, free_job) : NULL;
    if (!running) {
        ui_status(ui, "could not start the revocation");
        return false;
    }
    return wait_for(ui, running);
}

bool revokebox_run(struct ui *ui, enum revoke_scope scope, const char *name)
{
    struct tg_key_rows keys;
    const struct tg_key_row **targets;
    size_t n = find_targets(ui, scope, name, &keys, &targets);
    bool finished = false;
    if (n == 0)
        ui_status(ui, "nothing to revoke: no active key here");
    else
        finished = confirm_and_revoke(ui, scope, name, targets, n);
    free(targets);
    tg_key_rows_free(&keys);
    return finished;
}
