/* tollgate: watch an AI gateway's spend and logs from the terminal. Commands are
 * dispatched from one table, which also prints the help, the man page and the
 * shell completion, and checks every option before a command runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clidoc.h"
#include "base/jsonarena.h"
#include "base/suggest.h"
#include "cmd/audit.h"
#include "cmd/budget.h"
#include "cmd/check.h"
#include "cmd/collect.h"
#include "cmd/demo.h"
#include "cmd/import.h"
#include "cmd/index.h"
#include "cmd/keys.h"
#include "cmd/migrate.h"
#include "cmd/offboard.h"
#include "cmd/prune.h"
#include "cmd/report.h"
#include "cmd/status.h"
#include "cmd/sync.h"
#include "cmd/ui.h"

#ifndef TOLLGATE_VERSION
#define TOLLGATE_VERSION "0.1.0-dev"
#endif

static int cmd_completion(int argc, char **argv, struct cli_common *common);

static const char completion_usage[] =
    "usage: tollgate completion bash|zsh\n"
    "\n"
    "Prints the shell completion script, made from the same table as --help.\n"
    "bash: tollgate completion bash > ~/.local/share/bash-completion/completions/tollgate\n"
    "zsh:  tollgate completion zsh > ~/.zfunc/_tollgate (with ~/.zfunc in $fpath)\n"
    "`make install` installs both.\n";

static const struct command_entry completion_entry = {"completion", cmd_completion, completion_usage,
                                                      "Print the bash or zsh completion script",
                                                      {cli_common_only_options}};

/* In the order `tollgate --help` lists them. */
static const struct command_entry *const commands[] = {
    &cmd_ui_entry,       &cmd_import_entry, &cmd_report_entry,  &cmd_sync_entry,
    &cmd_keys_entry,     &cmd_offboard_entry, &cmd_audit_entry, &cmd_index_entry,
    &cmd_prune_entry,    &cmd_migrate_entry, &cmd_collect_entry, &cmd_demo_entry,
    &cmd_status_entry,
    &completion_entry,
    &cmd_budget_entry,   &cmd_check_entry,
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const struct clidoc_table table = {commands, NCOMMANDS, TOLLGATE_VERSION};

static int cmd_completion(int argc, char **argv, struct cli_common *common)
{
    int opt;
    while ((opt = getopt_long(argc, argv, "h", cli_common_only_options, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg))
            continue;
        fputs(completion_usage, opt == 'h' ? stdout : stderr);
        return opt == 'h' ? 0 : EXIT_FAILED;
    }
    if (optind != argc - 1)
        return cli_error(common, "name one shell: bash or zsh");
    if (clidoc_completion(stdout, argv[optind], &table) != 0)
        return cli_error(common, "no completion for '%s': bash or zsh", argv[optind]);
    return 0;
}

static const struct command_entry *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    }
    return NULL;
}

static int unknown_command(const char *name)
{
    struct tg_suggest s;
    tg_suggest_init(&s, name);
    for (size_t i = 0; i < NCOMMANDS; i++)
        tg_suggest_add(&s, commands[i]->name);
    char closest[256];
    tg_suggest_format(&s, NULL, closest, sizeof closest);
    if (*closest)
        fprintf(stderr, "tollgate: '%s' is not a command; did you mean %s? See 'tollgate --help'.\n", name, closest);
    else
        fprintf(stderr, "tollgate: '%s' is not a command. See 'tollgate --help'.\n", name);
    return EXIT_FAILED;
}

/* The option `--NAME` (NAME without any "=value") names in cmd's tables, or in
 * every command's when cmd is NULL: exactly, or as the start of one (getopt_long
 * takes an abbreviation). NULL when none does. */
static const struct option *lookup_option(const struct command_entry *cmd, const char *name, size_t len)
{
    const struct option *prefix = NULL;
    for (size_t c = 0; c < NCOMMANDS; c++) {
        if (cmd && commands[c] != cmd)
            continue;
        for (size_t s = 0; s < CLI_OPTION_SETS && commands[c]->options[s]; s++) {
            for (const struct option *o = commands[c]->options[s]; o->name; o++) {
                if (strncmp(o->name, name, len) != 0)
                    continue;
                if (o->name[len] == '\0')
                    return o;
                prefix = prefix ? prefix : o;
            }
        }
    }
    return prefix;
}

static int unknown_option(const struct command_entry *cmd, const char *arg)
{
    size_t len = strcspn(arg + 2, "=");
    char word[128];
    snprintf(word, sizeof word, "%.*s", (int)(len < 100 ? len : 100), arg + 2);
    struct tg_suggest s;
    tg_suggest_init(&s, word);
    for (size_t c = 0; c < NCOMMANDS; c++) {
        if (cmd && commands[c] != cmd)
            continue;
        for (size_t k = 0; k < CLI_OPTION_SETS && commands[c]->options[k]; k++) {
            for (const struct option *o = commands[c]->options[k]; o->name; o++)
                tg_suggest_add(&s, o->name);
        }
    }
    char closest[256], prog[64] = "tollgate";
    tg_suggest_format(&s, "--", closest, sizeof closest);
    if (cmd)
        snprintf(prog, sizeof prog, "tollgate %s", cmd->name);
    fprintf(stderr, "%s: unknown option '--%s'", prog, word);
    if (*closest)
        fprintf(stderr, "; did you mean %s?", closest);
    else
        fputc('.', stderr);
    fprintf(stderr, " See '%s --help'.\n", prog);
    return EXIT_FAILED;
}

/* Where the words of an option end: argv[i] is "--name" or "--name=value";
 * returns the index after it (and after its value), or -1 when no command
 * (cmd, or any when NULL) has it, with the error printed. */
static int skip_option(const struct command_entry *cmd, int argc, char **argv, int i)
{
    const char *arg = argv[i];
    size_t len = strcspn(arg + 2, "=");
    const struct option *o = lookup_option(cmd, arg + 2, len);
    if (!o)
        return unknown_option(cmd, arg), -1;
    if (arg[2 + len] == '=' || o->has_arg != required_argument)
        return i + 1;
    return i + 2 <= argc ? i + 2 : argc;
}

static bool is_long_option(const char *arg)
{
    return strncmp(arg, "--", 2) == 0 && arg[2] != '\0';
}

static bool is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 || strcmp(arg, "help") == 0;
}

/* Every option after the command must be one of its own. */
static int check_command_options(const struct command_entry *cmd, int argc, char **argv)
{
    for (int i = 1; i < argc;) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (!is_long_option(argv[i])) {
            i++;
            continue;
        }
        if ((i = skip_option(cmd, argc, argv, i)) < 0)
            return -1;
    }
    return 0;
}

static int run_command(const struct command_entry *cmd, int argc, char **argv, struct cli_common *common)
{
    if (check_command_options(cmd, argc, argv) != 0)
        return EXIT_FAILED;
    char prog[64];
    snprintf(prog, sizeof prog, "tollgate %s", cmd->name);
    common->prog = prog;
    return cmd->run(argc, argv, common);
}

/* Options may come before the command (`tollgate --db X report`,
 * `tollgate --limit 3 report`): they are moved after its arguments, so the
 * command parses them as its own, and then checked like the rest. */
int main(int argc, char **argv)
{
    /* before any thread exists: the hooks are process-wide */
    tg_json_arena_install();
    struct cli_common common = {.prog = "tollgate"};
    int first = 1;
    while (first < argc && is_long_option(argv[first]) && !is_help(argv[first]) &&
           strcmp(argv[first], "--version") != 0 && strcmp(argv[first], "--help-man") != 0) {
        if ((first = skip_option(NULL, argc, argv, first)) < 0)
            return EXIT_FAILED;
    }
    const struct command_entry *cmd = first < argc ? NULL : &cmd_ui_entry; /* no command: the screens */
    if (!cmd) {
        const char *name = argv[first];
        if (is_help(name)) {
            const struct command_entry *which = first + 1 < argc ? find_command(argv[first + 1]) : NULL;
            if (which)
                fputs(which->usage, stdout);
            else
                clidoc_help(stdout, &table);
            return 0;
        }
        if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
            printf("tollgate %s\n", TOLLGATE_VERSION);
            return 0;
        }
        if (strcmp(name, "--help-man") == 0) {
            clidoc_man_page(stdout, &table);
            return 0;
        }
        if (!(cmd = find_command(name)))
            return unknown_command(name);
    }
    /* argv as if the options given before the command came after its own
     * words (so `keys revoke` still sees its subcommand first), before any "--" */
    char **moved = malloc(((size_t)argc + 1) * sizeof *moved);
    if (!moved)
        return EXIT_FAILED;
    int n = 0, rest = first + 1;
    moved[n++] = (char *)cmd->name;
    while (rest < argc && strcmp(argv[rest], "--") != 0)
        moved[n++] = argv[rest++];
    for (int i = 1; i < first; i++)
        moved[n++] = argv[i];
    while (rest < argc)
        moved[n++] = argv[rest++];
    moved[n] = NULL;
    int rc = run_command(cmd, n, moved, &common);
    free(moved);
    return rc;
}
