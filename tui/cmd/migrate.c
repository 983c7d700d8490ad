#include "cmd/migrate.h"

#include <stdio.h>
#include <unistd.h>

#include "base/format.h"
#include "ops/prune.h"

static const char cmd_migrate_usage[] =
    "usage: tollgate migrate [--db PATH]\n"
    "\n"
    "Converts the bodies an older tollgate stored (whole, or as a skeleton and\n"
    "messages) into the current layout: content-defined chunks, each distinct\n"
    "chunk stored once. Then drops the messages no body uses any more, and moves\n"
    "the bodies a schema-13 tollgate kept in a table of their own into their\n"
    "request rows (about 30 bytes a request; `prune --vacuum` gives them back).\n"
    "In transactions of 1,000 bodies, safe beside a running collector; stop it any\n"
    "time and it continues where it was. The db is usable throughout.\n";

static int cmd_migrate(int argc, char **argv, struct cli_common *common)
{
    struct tg_store *store;
    int rc = cli_common_options_then_open(argc, argv, common, cmd_migrate_usage, &store);
    if (rc >= 0)
        return rc;
    struct cli_progress progress = {.tty = isatty(STDERR_FILENO)};
    int64_t converted = 0;
    char err[512];
    rc = tg_prune_migrate_bodies(store, cli_show_progress, &progress, &converted, err, sizeof err);
    if (progress.tty && converted)
        fputc('\n', stderr);
    int64_t moved = 0;
    if (rc == 0)
        rc = tg_prune_move_bodies(store, cli_show_progress, &progress, &moved, err, sizeof err);
    if (progress.tty && moved)
        fputc('\n', stderr);
    struct tg_db_size size = {0};
    char size_err[512];
    if (rc == 0 && tg_prune_db_size(store, &size, size_err, sizeof size_err) != 0)
        size.file_bytes = size.free_bytes = 0;
    tg_store_close(store);
    if (rc != 0)
        return cli_error(common, "%s (%lld bodies converted before that stay converted; run it again to go on)", err,
                         (long long)converted);
    char n[32];
    tg_format_count(converted, n, sizeof n);
    char m[32];
    tg_format_count(moved, m, sizeof m);
    printf("migrate: %s bodies converted, %s moved into their request rows; every body is in the current layout\n",
           n, m);
    printf("db: %.1f MB, of which %.1f MB free for reuse%s\n", (double)size.file_bytes / 1e6,
           (double)size.free_bytes / 1e6,
           size.free_bytes > 0 ? " (`tollgate prune --vacuum` gives it back to the disk)" : "");
    return 0;
}

const struct command_entry cmd_migrate_entry = {"migrate", cmd_migrate, cmd_migrate_usage,
                                                "Convert bodies stored by an older tollgate",
                                                {cli_common_only_options}};
