#include "cmd/audit.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/keys.h"
#include "base/sanitize.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/utf8.h"

static const char cmd_audit_usage[] =
    "usage: tollgate audit [--format table|csv|json] [--limit N] [--db PATH]\n"
    "\n"
    "The audit log, newest first: who revoked (or tried to revoke) which key, when,\n"
    "why, what the gateway answered and what reading the key back showed; then the\n"
    "revoked keys tried since their revocation (attempts, refused, the latest):\n"
    "\"after_revocation\" in JSON.\n";

static void json_field(struct strbuf *sb, const char *name, const char *value, bool comma)
{
    strbuf_printf(sb, "%s\"%s\":", comma ? "," : "", name);
    if (value)
        strbuf_json_string(sb, value);
    else
        strbuf_puts(sb, "null");
}

/* Revoked keys that were tried since: the keys with attempts, newest first. */
static size_t used_after_revocation(struct tg_store *store, struct tg_key_rows *keys)
{
    char err[256];
    if (tg_keys_list(store, tg_now_ms(), NULL, keys, err, sizeof err) != 0) {
        memset(keys, 0, sizeof *keys);
        return 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < keys->count; i++)
        n += keys->rows[i].after_revocation.attempts > 0;
    return n;
}

static void json_after_revocation(struct strbuf *sb, const struct tg_key_rows *keys)
{
    strbuf_puts(sb, ",\"after_revocation\":[");
    bool first = true;
    for (size_t i = 0; i < keys->count; i++) {
        const struct tg_key_row *k = &keys->rows[i];
        const struct tg_store_after_revocation *a = &k->after_revocation;
        if (a->attempts <= 0)
            continue;
        char revoked[40], last[40];
        tg_time_format_iso(a->revoked_ms, revoked, sizeof revoked);
        tg_time_format_iso(a->last_ms, last, sizeof last);
        strbuf_puts(sb, first ? "{" : ",{");
        first = false;
        json_field(sb, "key", tg_key_label(k), false);
        json_field(sb, "id", k->key_id, true);
        json_field(sb, "revoked_at", revoked, true);
        strbuf_printf(sb, ",\"attempts\":%lld,\"refused\":%lld,\"failed\":%lld", (long long)a->attempts,
                      (long long)a->refused, (long long)a->failed);
        json_field(sb, "last", last, true);
        strbuf_putc(sb, '}');
    }
    strbuf_putc(sb, ']');
}

static void print_after_revocation(const struct tg_key_rows *keys)
{
    printf("\nUsed after revocation:\n");
    for (size_t i = 0; i < keys->count; i++) {
        const struct tg_key_row *k = &keys->rows[i];
        if (k->after_revocation.attempts <= 0)
            continue;
        char name[128], text[200];
        tg_sanitize(tg_key_label(k), name, sizeof name);
        tg_key_after_revocation_text(k, tg_now_ms(), text, sizeof text);
        printf("  %s: %s\n", name, text);
    }
}
/* Two lines an event, whole (never cut: piped output keeps everything), the
 * columns padded by display width. */
static void print_event(const struct tg_audit_event *e)
{
    char when[40];
    char *fields[5] = {tg_sanitize_dup(e->actor), tg_sanitize_dup(e->action), tg_sanitize_dup(e->target),
                       tg_sanitize_dup(e->result), tg_sanitize_dup(e->reason ? e->reason : "")};
    tg_time_format_iso(e->ts_ms, when, sizeof when);
    if (fields[0] && fields[1] && fields[2] && fields[3] && fields[4]) {
        int actor_pad = 10 - tg_utf8_width(fields[0]), action_pad = 13 - tg_utf8_width(fields[1]);
        printf("%.19sZ  %s%*s %s%*s %s\n    %s%s%s\n", when, fields[0], actor_pad > 0 ? actor_pad : 0, "", fields[1],
               action_pad > 0 ? action_pad : 0, "", fields[2], fields[3], *fields[4] ? "; reason: " : "", fields[4]);
    }
    for (size_t f = 0; f < 5; f++)
        free(fields[f]);
}

static const struct option audit_options[] = {
    CLI_COMMON_OPTIONS,
    {"format", required_argument, NULL, 'f'},
    {"limit", required_argument, NULL, 'l'},
    {NULL, 0, NULL, 0},
};

static int cmd_audit(int argc, char **argv, struct cli_common *common)
{
    const char *format = "table";
    long limit = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", audit_options, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg))
            continue;
        switch (opt) {
        case 'h': fputs(cmd_audit_usage, stdout); return 0;
        case 'f':
            if (strcmp(optarg, "table") && strcmp(optarg, "csv") && strcmp(optarg, "json"))
                return cli_error(common, "--format must be table, csv or json, not '%s'", optarg);
            format = optarg;
            break;
        case 'l':
            if ((limit = cli_parse_count(optarg)) < 0)
                return cli_error(common, "--limit must be a positive number, not '%s'", optarg);
            break;
        default: fputs(cmd_audit_usage, stderr); return EXIT_FAILED;
        }
    }
    struct tg_store *store;
    int rc = cli_open_store(common, TG_STORE_READ_ONLY, &store);
    if (rc != 0)
        return rc;
    struct tg_audit_events events;
    char err[512];
    if (tg_audit_list(store, (size_t)limit, &events, err, sizeof err) != 0) {
        tg_store_close(store);
        return cli_error(common, "%s", err);
    }
    struct tg_key_rows keys;
    size_t tried = used_after_revocation(store, &keys);
    if (strcmp(format, "json") == 0) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_puts(&sb, "{\"events\":[");
        for (size_t i = 0; i < events.count; i++) {
            const struct tg_audit_event *e = &events.items[i];
            char when[40];
            tg_time_format_iso(e->ts_ms, when, sizeof when);
            strbuf_puts(&sb, i ? ",{" : "{");
            json_field(&sb, "time", when, false);
            json_field(&sb, "actor", e->actor, true);
            json_field(&sb, "action", e->action, true);
            json_field(&sb, "target", e->target, true);
            json_field(&sb, "reason", e->reason, true);
            json_field(&sb, "result", e->result, true);
            json_field(&sb, "detail", e->detail, true);
            strbuf_putc(&sb, '}');
        }
        strbuf_putc(&sb, ']');
        json_after_revocation(&sb, &keys);
        strbuf_puts(&sb, "}\n");
        fputs(sb.data, stdout);
        strbuf_free(&sb);
    } else if (strcmp(format, "csv") == 0) {
        printf("time,actor,action,target,reason,result,detail\n");
        for (size_t i = 0; i < events.count; i++) {
            const struct tg_audit_event *e = &events.items[i];
            char when[40];
            tg_time_format_iso(e->ts_ms, when, sizeof when);
            const char *fields[] = {when, e->actor, e->action, e->target, e->reason, e->result, e->detail};
            for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
                if (f)
                    putchar(',');
                cli_csv_field(fields[f]);
            }
            putchar('\n');
        }
    } else {
        if (events.count == 0)
            printf("The audit log is empty.\n");
        for (size_t i = 0; i < events.count; i++)
            print_event(&events.items[i]);
        if (tried)
            print_after_revocation(&keys);
    }
    tg_key_rows_free(&keys);
    tg_audit_events_free(&events);
    tg_store_close(store);
    return 0;
}

const struct command_entry cmd_audit_entry = {"audit", cmd_audit, cmd_audit_usage,
                                              "Who revoked which key, when, and the result",
                                              {audit_options}};
