/* What `tollgate check` reports and sends: findings (a budget over, near or
 * forecast to pass its limit; a dormant, shared, never-used key, or one used
 * after revocation), each one JSON object with a line for people; which of
 * them are new since the last run (a state file: the same finding is not sent
 * again until it changes, and one that failed to send is tried again); and
 * the two ways out: a command given the JSON on stdin, and an HTTPS POST. */
#ifndef TG_ALERTS_H
#define TG_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"
#include "ops/budget.h"
#include "ops/keyhygiene.h"

struct tg_finding {
    char *kind;        /* "budget_over", "budget_forecast", "budget_warn", "key_dormant", ... */
    char *id;          /* what it is about: the same from run to run */
    char *fingerprint; /* what it says: a change makes it new again */
    char *json;        /* one JSON object, "text" included (a Slack webhook shows it) */
    char *text;        /* one line for people; from logs, so sanitise before printing */
    bool is_new;       /* not sent before with this fingerprint (set by tg_alerts_mark_new) */
    bool sent;         /* every way out took it */
};

struct tg_findings {
    struct tg_finding *items;
    size_t count;
};

/* One budget's state as a JSON object (kind: a finding's kind, or NULL). */
void tg_budget_status_json(struct strbuf *json, const struct tg_budget_status *s, const char *kind);

/* Findings from budgets (only those warn, over or forecast over) and keys. */
int tg_findings_build(const struct tg_budget_statuses *budgets, const struct tg_key_findings *keys, int dormant_days,
                      int64_t now_ms, struct tg_findings *out, char *err, size_t errlen);
void tg_findings_free(struct tg_findings *findings);

/* Marks each finding new unless the state file says it was sent with the same
 * fingerprint. A missing file: all are new. 0, or -1 with err. */
int tg_alerts_mark_new(const char *state_path, struct tg_findings *findings, char *err, size_t errlen);

/* Writes the state for the next run: what was sent before and is still found,
 * and what was sent now. Atomic (temp, fsync, rename), mode 0600. */
int tg_alerts_save_state(const char *state_path, const struct tg_findings *findings, char *err, size_t errlen);

/* Runs `/bin/sh -c command` with json on its stdin; 0 when it exits 0 within
 * 30 seconds, else -1 with err. */
int tg_alerts_run_command(const char *command, const char *json, char *err, size_t errlen);

struct tg_webhook {
    const char *url;        /* https://, or http:// to loopback only */
    const char *token_file; /* a bearer token, one line, mode 0600; NULL for none */
    const char *cacert;     /* NULL: the system's CAs */
};

/* POSTs json; 0 on a 2xx answer, else -1 with err. TLS is always verified. */
int tg_alerts_post(const struct tg_webhook *hook, const char *json, char *err, size_t errlen);

/* Checks the URL and reads the token before anything is sent. */
int tg_alerts_check_webhook(const struct tg_webhook *hook, char *err, size_t errlen);

#endif
