#include "cmd/offboard.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/offboard.h"
#include "base/sanitize.h"
#include "base/timeutil.h"

#define MAX_CONFIRMED 64

static const char cmd_offboard_usage[] =
    "usage: tollgate offboard DEVELOPER [--apply] [--include-shared] [--key KEY]... [--reason TEXT] [--delete]\n"
    "                        [--gateway respan|litellm]\n"
    "\n"
    "The leaver flow. DEVELOPER is their id (customer_identifier), e-mail or display\n"
    "name. Their keys: every key the gateway says they own (used or not, its owner\n"
    "given as their id or e-mail), every key they used, every key first seen with\n"
    "them. A key someone else used too is shared: it is listed with who else used it\n"
    "and when, and revoked only when you confirm it: --include-shared (all of them)\n"
    "or --key NAME (that one; repeat for more). Run `tollgate keys` first so the\n"
    "gateway's list is known. Without --apply it only lists what would be done. With\n"
    "--apply it revokes each key through the gateway and reads it back (a key counts\n"
    "as revoked only when the gateway shows it cut off), carries on past a key that\n"
    "fails, reports each result and writes one audit row per key.\n"
    "Exit status: 0 all revoked (or the dry run), 2 something failed.\n";

static void when_text(int64_t ms, char *buf, size_t len)
{
    char iso[40];
    tg_time_format_iso(ms, iso, sizeof iso);
    snprintf(buf, len, "%.10s %.5s", iso, iso + 11);
}

static void print_key(const struct tg_key_row *k, const char *what)
{
    char name[128], shown[64];
    tg_sanitize(tg_key_label(k), name, sizeof name);
    tg_sanitize(k->shown ? k->shown : "-", shown, sizeof shown);
    printf("  %-24s %-12s %s\n", name, shown, what);
}

/* Why the key is theirs, and for a shared one who else used it and when. */
static void print_why(const struct tg_offboard_step *s)
{
    char last[32];
    printf("      %s", s->why & TG_OFFBOARD_OWNED ? "owned by them; " : "");
    if (s->why & TG_OFFBOARD_USED) {
        when_text(s->last_used_by_them_ms, last, sizeof last);
        printf("used by them, last %s", last);
    } else {
        printf("never used by them");
    }
    if (s->others_count) {
        printf("; SHARED: also used by");
        for (size_t i = 0; i < s->others_count; i++) {
            char who[128];
            tg_sanitize(s->others[i].developer, who, sizeof who);
            when_text(s->others[i].last_ms, last, sizeof last);
            printf("%s %s (last %s)", i ? "," : "", who, last);
        }
    }
    putchar('\n');
}

static void print_step(void *ctx, const struct tg_offboard_step *step)
{
    (void)ctx;
    char msg[800], held[300], name[128];
    switch (step->state) {
    case TG_OFFBOARD_ALREADY_REVOKED: print_key(step->key, "already revoked"); break;
    case TG_OFFBOARD_TO_REVOKE:
        print_key(step->key, step->key->key_id ? "would be revoked" : "no gateway id: run `tollgate keys` first");
        break;
    case TG_OFFBOARD_SHARED_HELD:
        tg_sanitize(tg_key_label(step->key), name, sizeof name);
        snprintf(held, sizeof held, "shared, not revoked: confirm with --key %s or --include-shared", name);
        print_key(step->key, held);
        break;
    case TG_OFFBOARD_REVOKED:
        tg_sanitize(step->result.message, msg, sizeof msg);
        print_key(step->key, msg);
        break;
    case TG_OFFBOARD_FAILED:
        tg_sanitize(step->result.message, msg, sizeof msg);
        print_key(step->key, msg);
        break;
    }
    print_why(step);
}

static void print_who(const struct tg_offboard_plan *plan, bool apply)
{
    char who[300], name[300], email[300];
    tg_sanitize(plan->developer.ident, who, sizeof who);
    tg_sanitize(plan->developer.name, name, sizeof name);
    tg_sanitize(plan->developer.email, email, sizeof email);
    printf("%s %s's keys", apply ? "Revoking" : "Would revoke", who);
    if (*name || *email)
        printf(" (%s%s%s%s%s)", name, *name && *email ? " " : "", *email ? "<" : "", email, *email ? ">" : "");
    if (!plan->developer.id)
        printf(" (never seen in logs: keys the gateway says they own)");
    printf(":\n");
}

struct offboard_args {
    const char *developer, *reason, *gateway;
    bool apply, also_delete;
    struct tg_offboard_options options;
};

/* A gateway that cannot list its keys does not stop the offboarding: the
 * keys the db knows are still revoked, and the lead is told the list may be
 * short. */
static void refresh_keys(struct cli_common *common, struct tg_store *store, struct cli_gateway *gateway)
{
    char err[512], msg[600];
    if (tg_keys_refresh(store, &gateway->gw, tg_now_ms(), err, sizeof err) == 0)
        return;
    tg_sanitize(err, msg, sizeof msg);
    fprintf(stderr, "%s: %s: the gateway's own list of keys is missing, showing the keys the db knows\n",
            common->prog, msg);
}

static int offboard(struct cli_common *common, const struct offboard_args *a)
{
    struct tg_store *store;
    int rc = cli_open_store(common, 0, &store);
    if (rc != 0)
        return rc;
    /* the gateway's own list first: a key it says they own counts even if
     * never used, or if `tollgate keys` was not run since it was made */
    struct cli_gateway gateway;
    struct cli_gateway_options gopt = {a->gateway, NULL, NULL, NULL};
    bool have_gateway = false;
    if (a->apply || a->gateway) {
        if ((rc = cli_open_gateway(common, &gopt, &gateway)) != 0) {
            tg_store_close(store);
            return rc;
        }
        have_gateway = true;
        refresh_keys(common, store, &gateway);
    }
    struct tg_offboard_plan plan;
    char err[512], who[200];
    tg_sanitize(a->developer, who, sizeof who);
    if (tg_offboard_plan(store, a->developer, tg_now_ms(), &a->options, &plan, err, sizeof err) != 0) {
        tg_store_close(store);
        if (have_gateway)
            cli_close_gateway(&gateway);
        char clean[600];
        tg_sanitize(err, clean, sizeof clean);
        return cli_error(common, "%s", clean);
    }
    if (plan.count == 0) {
        tg_offboard_plan_free(&plan);
        tg_store_close(store);
        if (have_gateway)
            cli_close_gateway(&gateway);
        return cli_error(common, "no keys known for developer '%s' (see `tollgate keys`)", who);
    }
    print_who(&plan, a->apply);
    if (a->apply) {
        bool called = plan.to_revoke > 0;
        if (called)
            tg_offboard_apply(store, &gateway.gw, &plan, cli_actor(), a->reason, a->also_delete, print_step, NULL);
        else
            for (size_t i = 0; i < plan.count; i++)
                print_step(NULL, &plan.steps[i]);
        printf("%zu revoked, %zu failed%s\n", plan.revoked, plan.failed,
               plan.failed ? ": run it again to retry the failed ones" : "");
    } else {
        for (size_t i = 0; i < plan.count; i++)
            print_step(NULL, &plan.steps[i]);
        printf("Nothing was changed: add --apply to revoke them.\n");
    }
    if (plan.shared_held)
        printf("%zu shared key%s left active: the lead decides (--key NAME or --include-shared).\n",
               plan.shared_held, plan.shared_held == 1 ? "" : "s");
    size_t failed = plan.failed;
    tg_offboard_plan_free(&plan);
    tg_store_close(store);
    if (have_gateway)
        cli_close_gateway(&gateway);
    return failed ? EXIT_FAILED : 0;
}

static const struct option offboard_options[] = {
    CLI_COMMON_OPTIONS,
    {"apply", no_argument, NULL, 'a'},
    {"reason", required_argument, NULL, 'r'},
    {"delete", no_argument, NULL, 'd'},
    {"gateway", required_argument, NULL, 'g'},
    {"include-shared", no_argument, NULL, 's'},
    {"key", required_argument, NULL, 'k'},
    {NULL, 0, NULL, 0},
};

static int cmd_offboard(int argc, char **argv, struct cli_common *common)
{
    static const char *confirmed[MAX_CONFIRMED];
    struct offboard_args a = {.reason = "offboarding", .options = {.confirmed = confirmed}};
    int opt;
    while ((opt = getopt_long(argc, argv, "h", offboard_options, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg))
            continue;
        switch (opt) {
        case 'h': fputs(cmd_offboard_usage, stdout); return 0;
        case 'a': a.apply = true; break;
        case 'r': a.reason = optarg; break;
        case 'd': a.also_delete = true; break;
        case 'g': a.gateway = optarg; break;
        case 's': a.options.include_shared = true; break;
        case 'k':
            if (a.options.confirmed_count == MAX_CONFIRMED)
                return cli_error(common, "at most %d --key options", MAX_CONFIRMED);
            confirmed[a.options.confirmed_count++] = optarg;
            break;
        default: fputs(cmd_offboard_usage, stderr); return EXIT_FAILED;
        }
    }
    if (optind != argc - 1)
        return cli_error(common, "give one developer (their id, e-mail or name)");
    a.developer = argv[optind];
    return offboard(common, &a);
}

const struct command_entry cmd_offboard_entry = {"offboard", cmd_offboard, cmd_offboard_usage,
                                                 "Revoke every key of a developer who leaves",
                                                 {offboard_options}};
