#include "cmd/import.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ingest/ingest.h"
#include "base/sanitize.h"
#include "base/strbuf.h"

static const char cmd_import_usage[] =
    "usage: tollgate import [--strict] [--redact] [--format text|json] [--db PATH] [--pricing FILE] FILE...\n"
    "\n"
    "Stores gateway request logs from files: JSON Lines, a JSON array of logs, or one\n"
    "JSON object; '-' reads standard input. Logs already stored (same id) are counted\n"
    "as duplicates, never stored twice. A bad log is rejected alone, with its line and\n"
    "the reason, unless --strict, which stores nothing when any log is bad.\n"
    "Logs without a cost are priced from the pricing table and marked estimated.\n"
    "--redact masks secrets found in the logs (API keys, AWS keys, GitHub tokens,\n"
    "private keys, Bearer and Authorization values) before they are stored.\n"
    "\n"
    "Exit status: 0 all stored, 1 some logs rejected, 2 nothing could be done.\n";

struct import_run {
    bool json;
    const char *file; /* the input being read, for messages */
    bool several_files;
    struct strbuf errors; /* JSON array items when --format json */
    int error_count;
};

static void on_reject(void *ctx, long where, const struct tg_log_error *error)
{
    struct import_run *run = ctx;
    if (run->json) {
        strbuf_printf(&run->errors, "%s{\"line\":%ld,", run->error_count ? "," : "", where);
        if (run->several_files) {
            strbuf_puts(&run->errors, "\"file\":");
            strbuf_json_string(&run->errors, run->file);
            strbuf_putc(&run->errors, ',');
        }
        if (error->field[0]) {
            strbuf_puts(&run->errors, "\"field\":");
            strbuf_json_string(&run->errors, error->field);
            strbuf_putc(&run->errors, ',');
        }
        strbuf_puts(&run->errors, "\"error\":");
        strbuf_json_string(&run->errors, error->message);
        strbuf_putc(&run->errors, '}');
    } else {
        char message[sizeof error->message * 4];
        tg_sanitize(error->message, message, sizeof message);
        fprintf(stderr, "%s:%ld: rejected: %s\n", run->file, where, message);
    }
    run->error_count++;
}

static int import_file(struct tg_ingest *ingest, struct import_run *run, const char *path,
                       struct cli_common *common)
{
    char err[512];
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *in = is_stdin ? stdin : fopen(path, "r");
    if (!in)
        return cli_error(common, "cannot open %s: %s", path, strerror(errno));
    run->file = is_stdin ? "<stdin>" : path;
    int rc = tg_ingest_stream(ingest, in, err, sizeof err);
    if (!is_stdin)
        fclose(in);
    if (rc != 0)
        return cli_error(common, "%s: %s", run->file, err);
    return 0;
}

static void print_summary(const struct import_run *run, struct tg_ingest_counts counts)
{
    if (run->json) {
        printf("{\"imported\":%ld,\"duplicates\":%ld,\"rejected\":%ld,\"errors\":[%s]}\n", counts.imported,
               counts.duplicates, counts.rejected, run->errors.data ? run->errors.data : "");
        return;
    }
    printf("imported %ld, duplicates %ld, rejected %ld\n", counts.imported, counts.duplicates,
           counts.rejected);
}

static int run_import(char **files, int nfiles, struct import_run *run, bool strict, bool redact,
                      struct cli_common *common)
{
    struct tg_store *store = NULL;
    struct tg_pricing *pricing = NULL;
    int rc = cli_load_pricing(common, &pricing);
    if (rc == 0)
        rc = cli_open_store(common, TG_STORE_BULK, &store);
    if (rc != 0) {
        tg_pricing_free(pricing);
        return rc;
    }
    tg_store_set_activity_source(store, TG_ACTIVITY_IMPORT);
    struct tg_ingest_options options = {.strict = strict, .redact = redact};
    struct tg_ingest *ingest = tg_ingest_new(store, pricing, &options, on_reject, run);
    rc = ingest ? 0 : cli_error(common, "out of memory");
    for (int i = 0; rc == 0 && i < nfiles; i++)
        rc = import_file(ingest, run, files[i], common);
    char err[512];
    if (rc == 0 && tg_ingest_finish(ingest, err, sizeof err) != 0)
        rc = cli_error(common, "%s", err);
    if (ingest) {
        struct tg_ingest_counts counts = tg_ingest_counts(ingest);
        print_summary(run, counts);
        if (rc == 0 && counts.rejected > 0)
            rc = EXIT_REJECTED;
    }
    tg_ingest_free(ingest);
    tg_store_close(store);
    tg_pricing_free(pricing);
    return rc;
}

static const struct option import_options[] = {
    CLI_COMMON_OPTIONS,
    {"strict", no_argument, NULL, 's'},
    {"redact", no_argument, NULL, 'r'},
    {"format", required_argument, NULL, 'f'},
    {NULL, 0, NULL, 0},
};

static int cmd_import(int argc, char **argv, struct cli_common *common)
{
    struct import_run run = {.errors = STRBUF_INIT};
    bool strict = false, redact = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", import_options, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg))
            continue;
        switch (opt) {
        case 'h': fputs(cmd_import_usage, stdout); return 0;
        case 's': strict = true; break;
        case 'r': redact = true; break;
        case 'f':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
                return cli_error(common, "--format must be text or json, not '%s'", optarg);
            run.json = strcmp(optarg, "json") == 0;
            break;
        default: fputs(cmd_import_usage, stderr); return EXIT_FAILED;
        }
    }
    if (optind >= argc) {
        fputs(cmd_import_usage, stderr);
        return cli_error(common, "no file given (use - for standard input)");
    }
    run.several_files = argc - optind > 1;
    int rc = run_import(argv + optind, argc - optind, &run, strict, redact, common);
    strbuf_free(&run.errors);
    return rc;
}

const struct command_entry cmd_import_entry = {"import", cmd_import, cmd_import_usage,
                                               "Store request logs from JSON Lines / JSON files",
                                               {import_options}};
