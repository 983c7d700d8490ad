#include "cli.h"

#include <getopt.h>

#include <ctype.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/sanitize.h"

const struct option cli_common_only_options[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};

int cli_common_option(struct cli_common *common, int opt, const char *arg)
{
    if (opt == 'D')
        common->db_path = arg;
    else if (opt == 'P')
        common->pricing_path = arg;
    else if (opt == 'U')
        common->utc = true;
    else
        return 0;
    return 1;
}

int cli_error(const struct cli_common *common, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", common->prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_FAILED;
}

int cli_open_store(const struct cli_common *common, int flags, struct tg_store **store)
{
    char path[4096], err[512];
    const char *db = common->db_path;
    if (!db) {
        if (tg_paths_default_db(path, sizeof path, err, sizeof err) != 0)
            return cli_error(common, "%s", err);
        db = path;
    }
    if (!(flags & TG_STORE_READ_ONLY) && tg_paths_make_parent(db, err, sizeof err) != 0)
        return cli_error(common, "%s", err);
    if (tg_store_open(db, flags, store, err, sizeof err) != 0)
        return cli_error(common, "%s", err);
    return 0;
}

int cli_load_pricing(const struct cli_common *common, struct tg_pricing **pricing)
{
    char err[512], dir[4096], user_file[4200];
    *pricing = tg_pricing_new();
    if (!*pricing)
        return cli_error(common, "out of memory");
    if (tg_pricing_merge_builtin(*pricing, err, sizeof err) != 0)
        goto fail;
    if (tg_paths_config_dir(dir, sizeof dir, err, sizeof err) == 0) {
        snprintf(user_file, sizeof user_file, "%s/pricing.json", dir);
        if (access(user_file, F_OK) == 0 && tg_pricing_merge_file(*pricing, user_file, err, sizeof err) != 0)
            goto fail;
    }
    if (common->pricing_path && tg_pricing_merge_file(*pricing, common->pricing_path, err, sizeof err) != 0)
        goto fail;
    return 0;
fail:
    tg_pricing_free(*pricing);
    *pricing = NULL;
    return cli_error(common, "%s", err);
}

int cli_terminal_width(void)
{
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *columns = getenv("COLUMNS");
    int n = columns ? atoi(columns) : 0;
    return n >= 40 ? n : 80;
}

int cli_table_width(void)
{
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *columns = getenv("COLUMNS");
    int n = columns ? atoi(columns) : 0;
    if (n > 0)
        return n < 40 ? 40 : n;
    return isatty(STDOUT_FILENO) ? 80 : 0;
}

long cli_parse_count(const char *text)
{
    char *end;
    long n = strtol(text, &end, 10);
    if (end == text || *end != '\0' || n <= 0)
        return -1;
    return n;
}

int cli_open_gateway(const struct cli_common *common, const struct cli_gateway_options *o, struct cli_gateway *out)
{
    char err[512];
    struct tg_gateway_setup_options so = {o->name, o->cacert, o->cancel, o->on_retry};
    if (tg_gateway_setup_open(&so, &out->setup, err, sizeof err) != 0)
        return cli_error(common, "%s", err);
    out->gw = out->setup.gw;
    return 0;
}

void cli_close_gateway(struct cli_gateway *gateway)
{
    tg_gateway_setup_close(&gateway->setup);
}

void cli_show_progress(void *ctx, const char *what, int64_t done, int64_t total)
{
    const struct cli_progress *p = ctx;
    if (!p->tty)
        return;
    if (total > 0)
        fprintf(stderr, "\r\033[K%s: %lld of %lld (%lld%%)", what, (long long)done, (long long)total,
                (long long)(done * 100 / total));
    else
        fprintf(stderr, "\r\033[K%s: %lld", what, (long long)done);
}

/* -?DIGITS(.DIGITS)? */
static bool plain_number(const char *s)
{
    const char *p = s + (*s == '-');
    if (!isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.') {
        if (!isdigit((unsigned char)*++p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return *p == '\0';
}

/* A cell a spreadsheet would run as a formula (OWASP, "CSV injection"):
 * =HYPERLINK(...), =cmd|' /C calc'!A0, @SUM(1+1), +1+1, -1+1, or a tab or
 * carriage return first. A plain number such as "-1.00" runs nothing and is
 * left a number, so a column of changes stays numeric. */
static bool formula_like(const char *s)
{
    return *s && strchr("=+-@\t\r", *s) && !plain_number(s);
}

void cli_csv_field(const char *s)
{
    if (!s)
        s = "";
    char *clean = tg_sanitize_dup(s);
    if (!clean)
        return;
    bool neutralise = formula_like(s) || formula_like(clean);
    if (!strpbrk(clean, ",\"")) {
        if (neutralise)
            putchar('\'');
        fputs(clean, stdout);
        free(clean);
        return;
    }
    putchar('"');
    if (neutralise)
        putchar('\'');
    for (const char *p = clean; *p; p++) {
        if (*p == '"')
            putchar('"');
        putchar(*p);
    }
    putchar('"');
    free(clean);
}

const char *cli_actor(void)
{
    const char *user = getenv("USER");
    if (!user || !*user)
        user = getenv("LOGNAME");
    return user && *user ? user : "unknown";
}

int cli_common_options_only(int argc, char **argv, struct cli_common *common, const char *usage)
{
    int opt;
    while ((opt = getopt_long(argc, argv, "h", cli_common_only_options, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg))
            continue;
        fputs(usage, opt == 'h' ? stdout : stderr);
        return opt == 'h' ? 0 : EXIT_FAILED;
    }
    if (optind < argc) {
        fputs(usage, stderr);
        return EXIT_FAILED;
    }
    return -1;
}

int cli_common_options_then_open(int argc, char **argv, struct cli_common *common, const char *usage,
                                 struct tg_store **store)
{
    int parsed = cli_common_options_only(argc, argv, common, usage);
    if (parsed >= 0)
        return parsed;
    int rc = cli_open_store(common, 0, store);
    return rc != 0 ? rc : -1;
}
