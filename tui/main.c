/* tollgate: watch an AI gateway's spend and logs from the terminal. Commands are
 * dispatched from one table, which also prints the help. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "base/jsonarena.h"
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
#include "cmd/sync.h"
#include "cmd/ui.h"

#ifndef TOLLGATE_VERSION
#define TOLLGATE_VERSION "0.1.0-dev"
#endif

/* In the order `tollgate --help` lists them. */
static const struct command_entry *const commands[] = {
    &cmd_ui_entry,       &cmd_import_entry, &cmd_report_entry,  &cmd_sync_entry,
    &cmd_keys_entry,     &cmd_offboard_entry, &cmd_audit_entry, &cmd_index_entry,
    &cmd_prune_entry,    &cmd_migrate_entry, &cmd_collect_entry, &cmd_demo_entry,
    &cmd_budget_entry,   &cmd_check_entry,
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void print_help(FILE *out)
{
    fprintf(out,
            "usage: tollgate [--db PATH] [--pricing FILE] COMMAND [ARGS]\n"
            "       tollgate --help | --version | COMMAND --help\n"
            "\n"
            "Watch an AI gateway's request logs: spend per developer, key and model.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out,
            "\n"
            "Every command takes --db PATH (default: $TOLLGATE_DB, else\n"
            "$XDG_DATA_HOME/tollgate/tollgate.db, created mode 0600) and --pricing FILE\n"
            "(LiteLLM-format prices overriding the built-in table and\n"
            "$XDG_CONFIG_HOME/tollgate/pricing.json).\n");
}

static const struct command_entry *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    }
    return NULL;
}

/* Options given before the command: --db PATH, --db=PATH, --pricing FILE. */
static int global_options(int argc, char **argv, struct cli_common *common)
{
    int i = 1;
    while (i < argc && strncmp(argv[i], "--", 2) == 0) {
        const char *arg = argv[i];
        const char **target = NULL;
        const char *name = NULL;
        if (strncmp(arg, "--db", 4) == 0 && (arg[4] == '\0' || arg[4] == '=')) {
            target = &common->db_path;
            name = "--db";
        } else if (strncmp(arg, "--pricing", 9) == 0 && (arg[9] == '\0' || arg[9] == '=')) {
            target = &common->pricing_path;
            name = "--pricing";
        } else {
            break;
        }
        const char *eq = strchr(arg, '=');
        if (eq) {
            *target = eq + 1;
            i++;
        } else if (i + 1 < argc) {
            *target = argv[i + 1];
            i += 2;
        } else {
            fprintf(stderr, "tollgate: %s needs a value\n", name);
            return -1;
        }
    }
    return i;
}

int main(int argc, char **argv)
{
    /* before any thread exists: the hooks are process-wide */
    tg_json_arena_install();
    struct cli_common common = {.prog = "tollgate"};
    int first = global_options(argc, argv, &common);
    if (first < 0)
        return EXIT_FAILED;
    if (first >= argc) { /* no command: the screens */
        common.prog = "tollgate";
        char *ui_argv[] = {(char *)"ui", NULL};
        return cmd_ui_entry.run(1, ui_argv, &common);
    }
    const char *name = argv[first];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        const struct command_entry *cmd = first + 1 < argc ? find_command(argv[first + 1]) : NULL;
        if (cmd)
            fputs(cmd->usage, stdout);
        else
            print_help(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("tollgate %s\n", TOLLGATE_VERSION);
        return 0;
    }
    const struct command_entry *cmd = find_command(name);
    if (!cmd) {
        fprintf(stderr, "tollgate: '%s' is not a command. See 'tollgate --help'.\n", name);
        return EXIT_FAILED;
    }
    char prog[64];
    snprintf(prog, sizeof prog, "tollgate %s", cmd->name);
    common.prog = prog;
    return cmd->run(argc - first, argv + first, &common);
}
