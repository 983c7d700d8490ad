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
    "why, and what the gateway answered.\n";

static void json_field(struct strbuf *sb, const char *name, const char *value, bool comma)
{
    strbuf_printf(sb, "%s\"%s\":", comma ? "," : "", name);
    if (value)
        strbuf_json_string(sb, value);
    else
        strbuf_puts(sb, "null");
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
        strbuf_puts(&sb, "]}\n");
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
    }
    tg_audit_events_free(&events);
    tg_store_close(store);
    return 0;
}

const struct command_entry cmd_audit_entry = {"audit", cmd_audit, cmd_audit_usage,
                                              "Who revoked which key, when, and the result",
                                              {audit_options}};
