#include "cmd/offboard.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ops/keys.h"
#include "ops/revoke.h"
#include "base/sanitize.h"
#include "base/timeutil.h"

const char cmd_offboard_usage[] =
    "usage: tollgate offboard DEVELOPER [--apply] [--reason TEXT] [--delete] [--gateway respan|litellm]\n"
    "\n"
    "The leaver flow: every key of DEVELOPER (their customer_identifier). Without\n"
    "--apply it only lists what would be revoked. With --apply it revokes each key\n"
    "through the gateway, carries on past a key that fails, reports each result and\n"
    "writes one audit row per key.\n"
    "Exit status: 0 all revoked (or the dry run), 2 something failed.\n";

static void print_key(const struct tg_key_row *k, const char *what)
{
    char name[128], shown[64];
    tg_sanitize(tg_key_label(k), name, sizeof name);
    tg_sanitize(k->shown ? k->shown : "-", shown, sizeof shown);
    printf("  %-24s %-12s %s\n", name, shown, what);
}

static int offboard(struct cli_common *common, const char *developer, bool apply, const char *reason,
                    bool also_delete, const char *gateway_name)
{
    struct tg_store *store;
    int rc = cli_open_store(common, 0, &store);
    if (rc != 0)
        return rc;
    struct tg_key_rows keys;
    char err[512], who[200];
    tg_sanitize(developer, who, sizeof who);
    if (tg_keys_list(store, tg_now_ms(), developer, &keys, err, sizeof err) != 0) {
        tg_store_close(store);
        return cli_error(common, "%s", err);
    }
    if (keys.count == 0) {
        tg_key_rows_free(&keys);
        tg_store_close(store);
        return cli_error(common, "no keys known for developer '%s' (see `tollgate keys`)", who);
    }
    struct cli_gateway gateway;
    struct cli_gateway_options gopt = {gateway_name, NULL, NULL, NULL};
    if (apply && (rc = cli_open_gateway(common, &gopt, &gateway)) != 0) {
        tg_key_rows_free(&keys);
        tg_store_close(store);
        return rc;
    }
    printf("%s %s's keys:\n", apply ? "Revoking" : "Would revoke", who);
    size_t done = 0, failed = 0;
    for (size_t i = 0; i < keys.count; i++) {
        const struct tg_key_row *k = &keys.rows[i];
        if (strcmp(k->status, "revoked") == 0) {
            print_key(k, "already revoked");
            continue;
        }
        if (!apply) {
            print_key(k, k->key_id ? "would be revoked" : "no gateway id: run `tollgate keys` first");
            continue;
        }
        struct tg_revoke_result result;
        int r = tg_revoke_key(store, &gateway.gw, k, cli_actor(), reason, also_delete, &result);
        char msg[800];
        tg_sanitize(result.message, msg, sizeof msg);
        print_key(k, r == 0 ? "revoked" : msg);
        if (r == 0)
            done++;
        else
            failed++;
    }
    if (apply) {
        printf("%zu revoked, %zu failed%s\n", done, failed, failed ? ": run it again to retry the failed ones" : "");
        cli_close_gateway(&gateway);
    } else {
        printf("Nothing was changed: add --apply to revoke them.\n");
    }
    tg_key_rows_free(&keys);
    tg_store_close(store);
    return failed ? EXIT_FAILED : 0;
}

int cmd_offboard(int argc, char **argv, struct cli_common *common)
{
    static const struct option options[] = {
        CLI_COMMON_OPTIONS,
        {"apply", no_argument, NULL, 'a'},
        {"reason", required_argument, NULL, 'r'},
        {"delete", no_argument, NULL, 'd'},
        {"gateway", required_argument, NULL, 'g'},
        {NULL, 0, NULL, 0},
    };
    bool apply = false, also_delete = false;
    const char *reason = NULL, *gateway = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg))
            continue;
        switch (opt) {
        case 'h': fputs(cmd_offboard_usage, stdout); return 0;
        case 'a': apply = true; break;
        case 'r': reason = optarg; break;
        case 'd': also_delete = true; break;
        case 'g': gateway = optarg; break;
        default: fputs(cmd_offboard_usage, stderr); return EXIT_FAILED;
        }
    }
    if (optind != argc - 1)
        return cli_error(common, "give one developer (their customer_identifier)");
    return offboard(common, argv[optind], apply, reason ? reason : "offboarding", also_delete, gateway);
}
