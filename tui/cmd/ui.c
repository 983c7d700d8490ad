#include "cmd/ui.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/paths.h"
#include "screens/app.h"

static const char cmd_ui_usage[] =
    "usage: tollgate [ui] [--db PATH] [--utc]\n"
    "\n"
    "The screens: Overview, Developers, Keys, Models and Requests over a time window,\n"
    "and any request's prompt and response. Press ? inside for every key. Everything\n"
    "that comes from a log is shown with control characters escaped. NO_COLOR turns\n"
    "colour off. The db is opened read-only and the screens follow new logs.\n"
    "Calendar windows (today, week, month, last-month) are in the local time zone;\n"
    "--utc puts them in UTC.\n";

/* --utc: taken out of argv before the common options are read. */
static bool take_utc(int *argc, char **argv)
{
    bool found = false;
    int kept = 0;
    for (int i = 0; i < *argc; i++) {
        if (i > 0 && strcmp(argv[i], "--utc") == 0) {
            found = true;
            continue;
        }
        argv[kept++] = argv[i];
    }
    *argc = kept;
    argv[kept] = NULL;
    return found;
}

static int cmd_ui(int argc, char **argv, struct cli_common *common)
{
    bool utc = take_utc(&argc, argv);
    int parsed = cli_common_options_only(argc, argv, common, cmd_ui_usage);
    if (parsed >= 0)
        return parsed;
    char path[4096], err[256];
    if (!common->db_path) {
        if (tg_paths_default_db(path, sizeof path, err, sizeof err) != 0)
            return cli_error(common, "%s", err);
        common->db_path = path;
    }
    struct tg_store *store;
    char why[512];
    /* once read-write, to bring an older db to the current schema; a db we may
     * not write is shown read-only (then without search). Only a db that
     * exists: a mistyped path is refused below, never created. */
    if (access(common->db_path, F_OK) == 0 && tg_store_open(common->db_path, 0, &store, why, sizeof why) == 0)
        tg_store_close(store);
    int rc = cli_open_store(common, TG_STORE_READ_ONLY | TG_STORE_SMALL_CACHE, &store);
    if (rc != 0)
        return rc;
    struct ui_options uo = {common->db_path, cli_actor(), utc};
    rc = ui_run(store, &uo);
    tg_store_close(store);
    return rc;
}

const struct command_entry cmd_ui_entry = {"ui", cmd_ui, cmd_ui_usage,
                                           "The screens (also with no command)",
                                           {cli_common_only_options}};
