/* What every plain command shares: the --db / --pricing options, opening the
 * store and the pricing table with a message for the user (number formats are in base/format.h). */
#ifndef TG_CLI_H
#define TG_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#include "gateway/gateway_setup.h"
#include "log/pricing.h"
#include "store/store.h"

/* Exit codes: 0 ok, 1 done but some input was rejected, 2 failed or misused. */
enum { EXIT_REJECTED = 1, EXIT_FAILED = 2 };

struct cli_common {
    const char *db_path;      /* --db, else TOLLGATE_DB, else the XDG default */
    const char *pricing_path; /* --pricing: overrides entries of the built-in table */
    const char *prog;         /* "tollgate import", for messages */
    bool utc;                 /* --utc: days, weeks and months of --since / --until in UTC, not local time */
};

/* One command, as tui/cmd/X.c exports it (cmd_X_entry) and the table in
 * main.c lists it: the name typed, what runs, the --help text, the line
 * `tollgate --help` shows for it, and the getopt_long tables it parses (one
 * per subcommand; NULL after the last). main.c checks options against them
 * ("did you mean"), and the man page and shell completion list them. */
#define CLI_OPTION_SETS 2
struct command_entry {
    const char *name;
    int (*run)(int argc, char **argv, struct cli_common *common);
    const char *usage;
    const char *summary;
    const struct option *options[CLI_OPTION_SETS];
};

/* Long options every command accepts, to put in its getopt_long table; they
 * may also come before the command (`tollgate --db X report`). */
#define CLI_COMMON_OPTIONS                                   \
    {"db", required_argument, NULL, 'D'},                   \
    {"pricing", required_argument, NULL, 'P'},              \
    {"utc", no_argument, NULL, 'U'},                        \
    {"help", no_argument, NULL, 'h'}

/* The table of a command whose only options are the common ones. */
extern const struct option cli_common_only_options[];

/* For commands whose only options are the common ones: parses them. Returns
 * -1 to go on, else the exit status (0 after --help, EXIT_FAILED with the
 * usage on stderr for anything else). */
int cli_common_options_only(int argc, char **argv, struct cli_common *common, const char *usage);

/* The same, then opens the db read-write. Returns -1 with *store open to go
 * on, else the exit status. */
int cli_common_options_then_open(int argc, char **argv, struct cli_common *common, const char *usage,
                                 struct tg_store **store);

/* Handles 'D', 'P' and 'U'; returns 1 when it did. */
int cli_common_option(struct cli_common *common, int opt, const char *arg);

/* Prints "tollgate CMD: message" on stderr; returns EXIT_FAILED. */
int cli_error(const struct cli_common *common, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Opens the db (creating it and its directory unless read-only). Prints why not. */
int cli_open_store(const struct cli_common *common, int flags, struct tg_store **store);

/* The built-in table, then pricing.json in the config dir, then --pricing. */
int cli_load_pricing(const struct cli_common *common, struct tg_pricing **pricing);

/* The configured gateway (see gateway_setup.h), with the error printed. */
struct cli_gateway {
    struct tg_gateway gw;
    struct tg_gateway_setup setup;
};

struct cli_gateway_options {
    const char *name;
    const char *cacert;
    atomic_int *cancel;
    void (*on_retry)(void *ctx, int attempt, long wait_ms, const char *why);
};

int cli_open_gateway(const struct cli_common *common, const struct cli_gateway_options *options,
                     struct cli_gateway *out);
void cli_close_gateway(struct cli_gateway *gateway);

/* Progress of a long step on stderr, one line redrawn, only on a terminal:
 * a tg_prune_progress_fn for prune and migrate. ctx is a struct cli_progress. */
struct cli_progress {
    bool tty;
};
void cli_show_progress(void *ctx, const char *what, int64_t done, int64_t total);

/* One CSV field on stdout: s (NULL as empty) with control characters escaped
 * (base/sanitize.h), quoted as RFC 4180 says when it holds a comma or a quote,
 * and a single quote put before a cell that a spreadsheet would run as a
 * formula (one starting with = + - @, a tab or a carriage return; a plain
 * number such as -1.00 stays a number). Every cell of text that came from a
 * log or a gateway goes through here. */
void cli_csv_field(const char *s);

/* $USER, for the audit log. */
const char *cli_actor(void);

/* Columns of the terminal on stdout, COLUMNS, else 80. */
int cli_terminal_width(void);

/* How wide a table on stdout may be: the terminal's width, COLUMNS when set,
 * else 0 = no limit (piped output keeps every column and whole names). */
int cli_table_width(void);

/* Parses a positive count such as --limit; -1 when it is not one. */
long cli_parse_count(const char *text);

#endif
