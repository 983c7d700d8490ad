#include "cmd/keys.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/keys.h"
#include "ops/revoke.h"
#include "base/money.h"
#include "base/sanitize.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/format.h"
#include "base/utf8.h"

static const char cmd_keys_usage[] =
    "usage: tollgate keys [list] [--format table|csv|json] [--gateway respan|litellm] [--offline]\n"
    "       tollgate keys revoke KEY [--reason TEXT] [--yes] [--delete] [--gateway respan|litellm]\n"
    "\n"
    "list: every key the gateway lists and every key seen in logs: name, prefix (never\n"
    "the whole key), owner, last use, requests and spend over the last 30 days, status\n"
    "(--format csv / json add the gateway's id and the creation time).\n"
    "Keys seen in logs that the gateway does not list are flagged. --offline skips the\n"
    "gateway. The gateway comes from RESPAN_API_KEY / RESPAN_BASE_URL (or LITELLM_*),\n"
    "or $XDG_CONFIG_HOME/tollgate/config (refused unless only you can read it).\n"
    "\n"
    "revoke: shows what revoking KEY (a name or an id) does (owner, last use, 30-day\n"
    "spend, the owner's other keys, requests in the last hour), asks you to type the\n"
    "key's name, then revokes it through the gateway (Respan: its expiry set to now;\n"
    "LiteLLM: blocked; --delete also deletes it). Every attempt, failed or not, goes\n"
    "to the audit log (`tollgate audit`). Without a terminal it needs --yes.\n"
    "Exit status: 0 done, 1 the gateway could not be asked (list), 2 failed.\n";

enum format { FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON };

static void when(int64_t ms, int64_t now, char *buf, size_t len)
{
    if (ms < 0) {
        snprintf(buf, len, "-");
        return;
    }
    int64_t ago = (now - ms) / 1000;
    if (ago < 0)
        ago = 0;
    if (ago < 3600)
        snprintf(buf, len, "%lldm ago", (long long)(ago / 60));
    else if (ago < 86400)
        snprintf(buf, len, "%lldh ago", (long long)(ago / 3600));
    else if (ago < 60 * 86400)
        snprintf(buf, len, "%lldd ago", (long long)(ago / 86400));
    else {
        char iso[40];
        tg_time_format_iso(ms, iso, sizeof iso);
        snprintf(buf, len, "%.10s", iso);
    }
}

/* Revoked keys still being tried: "bob-laptop: 10 attempts after revocation, last 21:40". */
static void print_use_after_revocation(const struct tg_key_rows *rows, int64_t now)
{
    bool header = false;
    for (size_t i = 0; i < rows->count; i++) {
        const struct tg_key_row *k = &rows->rows[i];
        if (k->after_revocation.attempts <= 0)
            continue;
        char name[96], text[200];
        tg_sanitize(tg_key_label(k), name, sizeof name);
        tg_key_after_revocation_text(k, now, text, sizeof text);
        if (!header)
            printf("\nUsed after revocation (refused requests are not counted as errors):\n");
        header = true;
        printf("  %s: %s\n", name, text);
    }
}

enum { KCOL_KEY, KCOL_PREFIX, KCOL_OWNER, KCOL_LAST, KCOL_REQ, KCOL_SPEND, KCOL_STATUS, KCOLS };
static const char *const key_titles[KCOLS] = {"KEY", "PREFIX", "OWNER", "LAST USE", "REQ 30D", "SPEND 30D", "STATUS"};
/* the widths the table always had: it only grows past them */
static const int key_min_width[KCOLS] = {22, 11, 12, 9, 8, 11, 0};

/* "alice", or "alice (team platform)" when the gateway puts the key in a team. */
static char *owner_cell(const struct tg_key_row *k)
{
    const char *owner = k->owner ? k->owner : "-";
    if (!k->team)
        return tg_sanitize_dup(owner);
    size_t len = strlen(owner) + strlen(k->team) + 16;
    char *both = malloc(len);
    if (!both)
        return NULL;
    snprintf(both, len, "%s (team %s)", owner, k->team);
    char *clean = tg_sanitize_dup(both);
    free(both);
    return clean;
}

/* The cells of one key, sanitised (a row of NULLs for the header). */
static void key_cells(const struct tg_key_row *k, int64_t now, char *cells[KCOLS])
{
    char last[32], reqs[32], spend[48];
    if (!k) {
        for (int c = 0; c < KCOLS; c++)
            cells[c] = strdup(key_titles[c]);
        return;
    }
    when(k->last_used_ms, now, last, sizeof last);
    tg_format_count(k->requests_30d, reqs, sizeof reqs);
    tg_nanos_format_human(k->spend_30d, spend, sizeof spend);
    cells[KCOL_KEY] = tg_sanitize_dup(tg_key_label(k));
    cells[KCOL_PREFIX] = tg_sanitize_dup(k->shown ? k->shown : "-");
    cells[KCOL_OWNER] = owner_cell(k);
    cells[KCOL_LAST] = strdup(last);
    cells[KCOL_REQ] = strdup(reqs);
    cells[KCOL_SPEND] = strdup(spend);
    char status[64];
    snprintf(status, sizeof status, "%s%s", tg_key_status(k), k->after_revocation.attempts > 0 ? ", used since" : "");
    cells[KCOL_STATUS] = strdup(status);
}

/* Columns as wide as their widest cell, by display width; on a terminal too
 * narrow for them, KEY then OWNER give way down to their old widths. */
static void key_widths(char *(*cells)[KCOLS], size_t n, int *width)
{
    for (int c = 0; c < KCOLS; c++) {
        width[c] = key_min_width[c];
        for (size_t i = 0; i < n; i++) {
            int w = cells[i][c] ? tg_utf8_width(cells[i][c]) : 0;
            width[c] = w > width[c] ? w : width[c];
        }
    }
    int room = cli_table_width();
    if (room == 0)
        return;
    int total = KCOLS; /* the gaps */
    for (int c = 0; c < KCOLS; c++)
        total += width[c];
    const int give[] = {KCOL_KEY, KCOL_OWNER};
    for (size_t g = 0; g < 2 && total > room; g++) {
        int c = give[g], spare = width[c] - key_min_width[c];
        int cut = total - room < spare ? total - room : spare;
        width[c] -= cut;
        total -= cut;
    }
}

static void print_key_line(char *const cells[KCOLS], const int *width)
{
    for (int c = 0; c < KCOLS; c++) {
        bool right = c == KCOL_REQ || c == KCOL_SPEND;
        const char *text = cells[c] ? cells[c] : "";
        size_t len = strlen(text) + (size_t)width[c] + 8;
        char *cell = malloc(len);
        if (!cell)
            return;
        /* the last column is not padded: no trailing spaces */
        tg_format_cell(text, c == KCOLS - 1 ? 0 : width[c], right ? TG_ALIGN_RIGHT : TG_ALIGN_LEFT, cell, len);
        printf("%s%s", c == 0 ? "" : c == KCOL_STATUS ? "  " : " ", cell);
        free(cell);
    }
    putchar('\n');
}

static void print_table(const struct tg_key_rows *rows, int64_t now)
{
    size_t n = rows->count + 1;
    char *(*cells)[KCOLS] = calloc(n, sizeof *cells);
    if (!cells)
        return;
    key_cells(NULL, now, cells[0]);
    for (size_t i = 0; i < rows->count; i++)
        key_cells(&rows->rows[i], now, cells[i + 1]);
    int width[KCOLS];
    key_widths(cells, n, width);
    for (size_t i = 0; i < n; i++)
        print_key_line(cells[i], width);
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < KCOLS; c++)
            free(cells[i][c]);
    }
    free(cells);
    print_use_after_revocation(rows, now);
    size_t missing = 0;
    for (size_t i = 0; i < rows->count; i++)
        missing += tg_key_missing_at_gateway(&rows->rows[i]);
    if (missing)
        printf("\n%zu key%s seen in logs %s not listed by the gateway: deleted there, or another gateway's.\n",
               missing, missing == 1 ? "" : "s", missing == 1 ? "is" : "are");
}

static void json_time(struct strbuf *sb, const char *name, int64_t ms)
{
    char iso[40];
    if (ms < 0) {
        strbuf_printf(sb, ",\"%s\":null", name);
        return;
    }
    tg_time_format_iso(ms, iso, sizeof iso);
    strbuf_printf(sb, ",\"%s\":\"%s\"", name, iso);
}

/* "revoked_at" and, for a revoked key, "after_revocation": its use since. */
static void json_after_revocation(struct strbuf *sb, const struct tg_store_after_revocation *a)
{
    json_time(sb, "revoked_at", a->revoked_ms);
    if (a->revoked_ms < 0) {
        strbuf_puts(sb, ",\"after_revocation\":null");
        return;
    }
    strbuf_printf(sb, ",\"after_revocation\":{\"attempts\":%lld,\"refused\":%lld,\"failed\":%lld",
                  (long long)a->attempts, (long long)a->refused, (long long)a->failed);
    json_time(sb, "last", a->last_ms);
    strbuf_putc(sb, '}');
}

static void json_key(struct strbuf *sb, const struct tg_key_row *k)
{
    char created[40] = "", last[40] = "", spend[40];
    tg_nanos_format_plain(k->spend_30d, spend, sizeof spend);
    strbuf_puts(sb, "{\"name\":");
    if (k->name) strbuf_json_string(sb, k->name); else strbuf_puts(sb, "null");
    strbuf_puts(sb, ",\"id\":");
    if (k->key_id) strbuf_json_string(sb, k->key_id); else strbuf_puts(sb, "null");
    strbuf_puts(sb, ",\"prefix\":");
    if (k->shown) strbuf_json_string(sb, k->shown); else strbuf_puts(sb, "null");
    strbuf_puts(sb, ",\"owner\":");
    if (k->owner) strbuf_json_string(sb, k->owner); else strbuf_puts(sb, "null");
    strbuf_puts(sb, ",\"team\":");
    if (k->team) strbuf_json_string(sb, k->team); else strbuf_puts(sb, "null");
    if (k->created_ms >= 0)
        tg_time_format_iso(k->created_ms, created, sizeof created);
    if (k->last_used_ms >= 0)
        tg_time_format_iso(k->last_used_ms, last, sizeof last);
    strbuf_printf(sb, ",\"created\":%s%s%s,\"last_used\":%s%s%s", *created ? "\"" : "", *created ? created : "null",
                  *created ? "\"" : "", *last ? "\"" : "", *last ? last : "null", *last ? "\"" : "");
    strbuf_printf(sb, ",\"requests_30d\":%lld,\"spend_30d\":%s,\"status\":\"%s\",\"in_logs\":%s,\"at_gateway\":%s",
                  (long long)k->requests_30d, spend, k->status, k->in_logs ? "true" : "false",
                  !k->gateway_known ? "null" : k->at_gateway ? "true" : "false");
    json_after_revocation(sb, &k->after_revocation);
    strbuf_putc(sb, '}');
}

static void print_csv(const struct tg_key_rows *rows)
{
    printf("name,id,prefix,owner,created,last_used,requests_30d,spend_30d,status,in_logs,at_gateway,revoked_at,"
           "attempts_after_revocation,refused_after_revocation,last_attempt_after_revocation,team\n");
    for (size_t i = 0; i < rows->count; i++) {
        const struct tg_key_row *k = &rows->rows[i];
        char created[40] = "", last[40] = "", spend[40];
        if (k->created_ms >= 0)
            tg_time_format_iso(k->created_ms, created, sizeof created);
        if (k->last_used_ms >= 0)
            tg_time_format_iso(k->last_used_ms, last, sizeof last);
        tg_nanos_format_plain(k->spend_30d, spend, sizeof spend);
        cli_csv_field(k->name); putchar(',');
        cli_csv_field(k->key_id); putchar(',');
        cli_csv_field(k->shown); putchar(',');
        cli_csv_field(k->owner);
        printf(",%s,%s,%lld,%s,%s,%s,%s", created, last, (long long)k->requests_30d, spend, tg_key_status(k),
               k->in_logs ? "yes" : "no", !k->gateway_known ? "" : k->at_gateway ? "yes" : "no");
        const struct tg_store_after_revocation *a = &k->after_revocation;
        char revoked[40] = "", attempt[40] = "";
        if (a->revoked_ms >= 0)
            tg_time_format_iso(a->revoked_ms, revoked, sizeof revoked);
        if (a->last_ms >= 0)
            tg_time_format_iso(a->last_ms, attempt, sizeof attempt);
        printf(",%s,%lld,%lld,%s,", revoked, (long long)a->attempts, (long long)a->refused, attempt);
        cli_csv_field(k->team);
        putchar('\n');
    }
}

/* Asks the gateway for its keys and records them. 0 ok, 1 not configured or failed. */
static int refresh_from_gateway(struct cli_common *common, const char *gateway_name, struct tg_store *store)
{
    struct cli_gateway_options gopt = {gateway_name, NULL, NULL, NULL};
    struct cli_gateway gateway;
    if (cli_open_gateway(common, &gopt, &gateway) != 0) {
        fprintf(stderr, "%s: showing the keys seen in logs only\n", common->prog);
        return 1;
    }
    char err[512];
    int rc = tg_keys_refresh(store, &gateway.gw, tg_now_ms(), err, sizeof err);
    if (rc == TG_KEYS_GATEWAY_FAILED) {
        char msg[600];
        tg_sanitize(err, msg, sizeof msg);
        cli_error(common, "%s: showing what the db knew", msg);
    } else if (rc != 0) {
        cli_error(common, "%s", err);
    }
    cli_close_gateway(&gateway);
    return rc != 0;
}

static const struct option keys_list_options[] = {
    CLI_COMMON_OPTIONS,
    {"format", required_argument, NULL, 'f'},
    {"gateway", required_argument, NULL, 'g'},
    {"offline", no_argument, NULL, 'o'},
    {NULL, 0, NULL, 0},
};

static int list_keys(int argc, char **argv, struct cli_common *common)
{
    enum format format = FORMAT_TABLE;
    const char *gateway = NULL;
    bool offline = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", keys_list_options, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg))
            continue;
        switch (opt) {
        case 'h': fputs(cmd_keys_usage, stdout); return 0;
        case 'f':
            if (strcmp(optarg, "table") == 0) format = FORMAT_TABLE;
            else if (strcmp(optarg, "csv") == 0) format = FORMAT_CSV;
            else if (strcmp(optarg, "json") == 0) format = FORMAT_JSON;
            else return cli_error(common, "--format must be table, csv or json, not '%s'", optarg);
            break;
        case 'g': gateway = optarg; break;
        case 'o': offline = true; break;
        default: fputs(cmd_keys_usage, stderr); return EXIT_FAILED;
        }
    }
    if (optind < argc && strcmp(argv[optind], "list") != 0)
        return cli_error(common, "unexpected argument '%s'", argv[optind]);
    struct tg_store *store;
    int rc = cli_open_store(common, 0, &store);
    if (rc != 0)
        return rc;
    int stale = offline ? 0 : refresh_from_gateway(common, gateway, store);
    struct tg_key_rows rows;
    char err[512];
    int64_t now = tg_now_ms();
    if (tg_keys_list(store, now, NULL, &rows, err, sizeof err) != 0) {
        tg_store_close(store);
        return cli_error(common, "%s", err);
    }
    if (format == FORMAT_JSON) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_puts(&sb, "{\"keys\":[");
        for (size_t i = 0; i < rows.count; i++) {
            if (i)
                strbuf_putc(&sb, ',');
            json_key(&sb, &rows.rows[i]);
        }
        strbuf_puts(&sb, "]}\n");
        fputs(sb.data, stdout);
        strbuf_free(&sb);
    } else if (format == FORMAT_CSV) {
        print_csv(&rows);
    } else {
        print_table(&rows, now);
    }
    tg_key_rows_free(&rows);
    tg_store_close(store);
    return stale ? EXIT_REJECTED : 0;
}

static void print_impact(struct tg_store *store, const struct tg_key_row *k, int64_t now)
{
    char name[256], owner[256], last[32], spend[48], reqs[32], hour[32];
    tg_sanitize(tg_key_label(k), name, sizeof name);
    tg_sanitize(k->owner ? k->owner : "(unknown)", owner, sizeof owner);
    when(k->last_used_ms, now, last, sizeof last);
    tg_nanos_format_human(k->spend_30d, spend, sizeof spend);
    tg_format_count(k->requests_30d, reqs, sizeof reqs);
    tg_format_count(k->requests_last_hour, hour, sizeof hour);
    printf("Revoking %s", name);
    if (k->shown) {
        char shown[64];
        tg_sanitize(k->shown, shown, sizeof shown);
        printf(" (%s)", shown);
    }
    printf("\n  owner:               %s\n  status now:          %s\n  last used:           %s\n"
           "  last 30 days:        %s requests, %s\n  requests, last hour: %s\n",
           owner, tg_key_status(k), last, reqs, spend, hour);
    if (!k->owner)
        return;
    struct tg_key_rows others;
    char err[256];
    if (tg_keys_list(store, now, k->owner, &others, err, sizeof err) != 0)
        return;
    printf("  the owner's other keys:");
    size_t shown = 0;
    for (size_t i = 0; i < others.count; i++) {
        if (others.rows[i].row_id == k->row_id)
            continue;
        char other[128];
        tg_sanitize(tg_key_label(&others.rows[i]), other, sizeof other);
        printf("%s %s (%s)", shown++ ? "," : "", other, tg_key_status(&others.rows[i]));
    }
    printf("%s\n", shown ? "" : " none");
    tg_key_rows_free(&others);
}

/* The user types the key's name: a typo revokes nothing. */
static bool confirmed(const struct tg_key_row *k)
{
    char expected[256], line[512];
    tg_sanitize(tg_key_label(k), expected, sizeof expected);
    printf("Type the key's name (%s) to revoke it: ", expected);
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin))
        return false;
    line[strcspn(line, "\r\n")] = '\0';
    return strcmp(line, tg_key_label(k)) == 0;
}

static int revoke_one(struct cli_common *common, const char *which, const char *gateway_name, const char *reason,
                      bool also_delete, bool yes)
{
    struct tg_store *store;
    int rc = cli_open_store(common, 0, &store);
    if (rc != 0)
        return rc;
    struct tg_key_rows found;
    char err[512];
    int64_t now = tg_now_ms();
    int f = tg_keys_find(store, which, now, &found, err, sizeof err);
    if (f != 0) {
        char clean[200];
        tg_sanitize(which, clean, sizeof clean);
        tg_key_rows_free(&found);
        tg_store_close(store);
        if (f == 1)
            return cli_error(common, "no key '%s' (see `tollgate keys`)", clean);
        return cli_error(common, "%s", err);
    }
    const struct tg_key_row *k = &found.rows[0];
    struct cli_gateway_options gopt = {gateway_name, NULL, NULL, NULL};
    struct cli_gateway gateway;
    print_impact(store, k, now);
    if (!yes && !isatty(STDIN_FILENO)) {
        rc = cli_error(common, "not a terminal, so no one can confirm: pass --yes to revoke without asking");
    } else if ((rc = cli_open_gateway(common, &gopt, &gateway)) == 0) {
        if (!yes && !confirmed(k)) {
            rc = cli_error(common, "the name did not match: nothing was revoked");
        } else {
            struct tg_revoke_result result;
            int r = tg_revoke_key(store, &gateway.gw, k, cli_actor(), reason, also_delete, &result);
            char msg[800];
            tg_sanitize(result.message, msg, sizeof msg);
            bool unchanged = result.readback == TG_READBACK_ACTIVE || result.write_refused;
            if (r == 0)
                printf("%s\n", msg);
            else
                rc = cli_error(common, "%s%s", msg, unchanged ? "; the key is unchanged" : "");
        }
        cli_close_gateway(&gateway);
    }
    tg_key_rows_free(&found);
    tg_store_close(store);
    return rc;
}

static const struct option keys_revoke_options[] = {
    CLI_COMMON_OPTIONS,
    {"reason", required_argument, NULL, 'r'},
    {"yes", no_argument, NULL, 'y'},
    {"delete", no_argument, NULL, 'd'},
    {"gateway", required_argument, NULL, 'g'},
    {NULL, 0, NULL, 0},
};

static int revoke_key(int argc, char **argv, struct cli_common *common)
{
    const char *gateway = NULL, *reason = NULL;
    bool yes = false, also_delete = false;
    int opt;
    argc--, argv++; /* from "revoke" on, as if it were the command */
    while ((opt = getopt_long(argc, argv, "h", keys_revoke_options, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg))
            continue;
        switch (opt) {
        case 'h': fputs(cmd_keys_usage, stdout); return 0;
        case 'r': reason = optarg; break;
        case 'y': yes = true; break;
        case 'd': also_delete = true; break;
        case 'g': gateway = optarg; break;
        default: fputs(cmd_keys_usage, stderr); return EXIT_FAILED;
        }
    }
    if (optind != argc - 1)
        return cli_error(common, "give one key to revoke, by name or id");
    return revoke_one(common, argv[optind], gateway, reason, also_delete, yes);
}

static int cmd_keys(int argc, char **argv, struct cli_common *common)
{
    if (argc >= 2 && strcmp(argv[1], "revoke") == 0)
        return revoke_key(argc, argv, common);
    return list_keys(argc, argv, common);
}

const struct command_entry cmd_keys_entry = {"keys", cmd_keys, cmd_keys_usage,
                                             "List gateway keys with spend; revoke one",
                                             {keys_list_options, keys_revoke_options}};
