#include "cmd/offboard.h"

#include <getopt.h>
#include <stdio.h>

#include "ops/offboard.h"
#include "base/sanitize.h"
#include "base/timeutil.h"

static const char cmd_offboard_usage[] =
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

static void print_step(void *ctx, const struct tg_offboard_step *step)
{
    (void)ctx;
    char msg[800];
    switch (step->state) {
    case TG_OFFBOARD_ALREADY_REVOKED: print_key(step->key, "already revoked"); break;
    case TG_OFFBOARD_TO_REVOKE:
        print_key(step->key, step->key->key_id ? "would be revoked" : "no gateway id: run `tollgate keys` first");
        break;
    case TG_OFFBOARD_REVOKED: print_key(step->key, "revoked"); break;
    case TG_OFFBOARD_FAILED:
        tg_sanitize(step->result.message, msg, sizeof msg);
        print_key(step->key, msg);
        break;
    }
}

static int offboard(struct cli_common *common, const char *developer, bool apply, const char *reason,
                    bool also_delete, const char *gateway_name)
{
    struct tg_store *store;
    int rc = cli_open_store(common, 0, &store);
    if (rc != 0)
        return rc;
    struct tg_offboard_plan plan;
    char err[512], who[200];
    tg_sanitize(developer, who, sizeof who);
    if (tg_offboard_plan(store, developer, tg_now_ms(), &plan, err, sizeof err) != 0) {
        tg_store_close(store);
        return cli_error(common, "%s", err);
    }
    if (plan.count == 0) {
        tg_offboard_plan_free(&plan);
        tg_store_close(store);
        return cli_error(common, "no keys known for developer '%s' (see `tollgate keys`)", who);
    }
    struct cli_gateway gateway;
    struct cli_gateway_options gopt = {gateway_name, NULL, NULL, NULL};
    if (apply && (rc = cli_open_gateway(common, &gopt, &gateway)) != 0) {
        tg_offboard_plan_free(&plan);
        tg_store_close(store);
        return rc;
    }
    printf("%s %s's keys:\n", apply ? "Revoking" : "Would revoke", who);
    if (apply) {
        tg_offboard_apply(store, &gateway.gw, &plan, cli_actor(), reason, also_delete, print_step, NULL);
        printf("%zu revoked, %zu failed%s\n", plan.revoked, plan.failed,
               plan.failed ? ": run it again to retry the failed ones" : "");
        cli_close_gateway(&gateway);
    } else {
        for (size_t i = 0; i < plan.count; i++)
            print_step(NULL, &plan.steps[i]);
        printf("Nothing was changed: add --apply to revoke them.\n");
    }
    size_t failed = plan.failed;
    tg_offboard_plan_free(&plan);
    tg_store_close(store);
    return failed ? EXIT_FAILED : 0;
}

static const struct option offboard_options[] = {
    CLI_COMMON_OPTIONS,
    {"apply", no_argument, NULL, 'a'},
    {"reason", required_argument, NULL, 'r'},
    {"delete", no_argument, NULL, 'd'},
    {"gateway", required_argument, NULL, 'g'},
    {NULL, 0, NULL, 0},
};

static int cmd_offboard(int argc, char **argv, struct cli_common *common)
{
    bool apply = false, also_delete = false;
    const char *reason = NULL, *gateway = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", offboard_options, NULL)) != -1) {
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

const struct command_entry cmd_offboard_entry = {"offboard", cmd_offboard, cmd_offboard_usage,
                                                 "Revoke every key of a developer who leaves",
                                                 {offboard_options}};
