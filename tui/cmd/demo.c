#include "cmd/demo.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/demo.h"
#include "ingest/ingest.h"
#include "base/timeutil.h"

static const char cmd_demo_usage[] =
    "usage: tollgate demo [--requests N] [--days D] [--seed S] [--context N] [--large-messages]\n"
    "                     [--output FILE] [--append] [--db PATH]\n"
    "\n"
    "Writes a synthetic team history into the db: a dozen developers with one or two\n"
    "keys each, coding-agent threads whose context grows turn by turn, tool calls,\n"
    "cache hits, 429 and 5xx errors, D days (default 30) of working-hours traffic\n"
    "ending now. N defaults to 20000. It goes through the same path as `import`.\n"
    "It refuses a db that already holds logs unless --append, so demo data never\n"
    "mixes with real logs by accident.\n"
    "--output FILE writes the logs as JSON Lines instead ('-' for standard output).\n"
    "--context N keeps only the last N messages in each log (default: all).\n"
    "--large-messages makes messages agent-sized: a system prompt of kilobytes, tool\n"
    "output of whole files, replies of several sentences (for storage benchmarks).\n";

struct demo_args {
    struct tg_demo_options demo;
    const char *output;
    bool append;
};

struct ingest_sink {
    struct tg_ingest *ingest;
    long line;
    char err[512];
};

static int to_ingest(void *ctx, const char *json, size_t len)
{
    struct ingest_sink *sink = ctx;
    return tg_ingest_text(sink->ingest, json, len, ++sink->line, sink->err, sizeof sink->err) != 0 ? 1 : 0;
}

static int to_file(void *ctx, const char *json, size_t len)
{
    FILE *out = ctx;
    if (fwrite(json, 1, len, out) != len || putc('\n', out) == EOF)
        return 1;
    return 0;
}

static int write_file(const struct demo_args *args, struct cli_common *common)
{
    bool is_stdout = strcmp(args->output, "-") == 0;
    FILE *out = is_stdout ? stdout : fopen(args->output, "w");
    if (!out)
        return cli_error(common, "cannot create %s: %s", args->output, strerror(errno));
    char err[512] = "";
    int rc = tg_demo_generate(&args->demo, to_file, out, err, sizeof err);
    if (fflush(out) != 0 || (!is_stdout && fclose(out) != 0) || rc > 0)
        return cli_error(common, "writing %s failed: %s", args->output, strerror(errno));
    if (rc < 0)
        return cli_error(common, "%s", err);
    if (!is_stdout)
        fprintf(stderr, "wrote %ld logs to %s\n", args->demo.requests, args->output);
    return 0;
}

static int fill_db(const struct demo_args *args, struct cli_common *common)
{
    struct tg_store *store = NULL;
    struct tg_pricing *pricing = NULL;
    int rc = cli_load_pricing(common, &pricing);
    if (rc == 0)
        rc = cli_open_store(common, TG_STORE_BULK, &store);
    if (rc == 0 && !args->append && tg_store_request_count(store) > 0)
        rc = cli_error(common, "the db already holds logs: use --append to add demo data to it, or --db NEW.db");
    struct ingest_sink sink = {0};
    if (rc == 0 && !(sink.ingest = tg_ingest_new(store, pricing, NULL, NULL, NULL)))
        rc = cli_error(common, "out of memory");
    if (rc == 0) {
        char err[512];
        int gen = tg_demo_generate(&args->demo, to_ingest, &sink, err, sizeof err);
        if (gen < 0)
            rc = cli_error(common, "%s", err);
        else if (gen > 0)
            rc = cli_error(common, "%s", sink.err);
        else if (tg_ingest_finish(sink.ingest, err, sizeof err) != 0)
            rc = cli_error(common, "%s", err);
    }
    if (rc == 0) {
        struct tg_ingest_counts counts = tg_ingest_counts(sink.ingest);
        printf("demo: stored %ld logs (%ld duplicates, %ld rejected)\n", counts.imported, counts.duplicates,
               counts.rejected);
        if (counts.rejected)
            rc = cli_error(common, "the generator produced logs tollgate rejects: a bug");
    }
    tg_ingest_free(sink.ingest);
    tg_store_close(store);
    tg_pricing_free(pricing);
    return rc;
}

static int parse_long(struct cli_common *common, const char *name, const char *text, long min, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min)
        return cli_error(common, "--%s must be a number >= %ld, not '%s'", name, min, text);
    *out = v;
    return 0;
}

static const struct option demo_options[] = {
    CLI_COMMON_OPTIONS,
    {"requests", required_argument, NULL, 'n'},
    {"days", required_argument, NULL, 'd'},
    {"seed", required_argument, NULL, 's'},
    {"context", required_argument, NULL, 'c'},
    {"large-messages", no_argument, NULL, 'L'},
    {"output", required_argument, NULL, 'o'},
    {"append", no_argument, NULL, 'a'},
    {NULL, 0, NULL, 0},
};

static int cmd_demo(int argc, char **argv, struct cli_common *common)
{
    struct demo_args args = {.demo = {.requests = 20000, .seed = 1, .days = 30}};
    long v;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", demo_options, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg))
            continue;
        switch (opt) {
        case 'h': fputs(cmd_demo_usage, stdout); return 0;
        case 'n': if (parse_long(common, "requests", optarg, 0, &args.demo.requests)) return EXIT_FAILED; break;
        case 'd': if (parse_long(common, "days", optarg, 1, &v)) return EXIT_FAILED; args.demo.days = (int)v; break;
        case 's': if (parse_long(common, "seed", optarg, 0, &v)) return EXIT_FAILED; args.demo.seed = (uint64_t)v; break;
        case 'L': args.demo.large_messages = 1; break;
        case 'c': if (parse_long(common, "context", optarg, 0, &v)) return EXIT_FAILED; args.demo.max_context_messages = (int)v; break;
        case 'o': args.output = optarg; break;
        case 'a': args.append = true; break;
        default: fputs(cmd_demo_usage, stderr); return EXIT_FAILED;
        }
    }
    if (optind < argc)
        return cli_error(common, "unexpected argument '%s'", argv[optind]);
    if (args.demo.days > 3650)
        return cli_error(common, "--days must be at most 3650");
    args.demo.end_ms = tg_now_ms();
    return args.output ? write_file(&args, common) : fill_db(&args, common);
}

const struct command_entry cmd_demo_entry = {"demo", cmd_demo, cmd_demo_usage,
                                             "Write a synthetic team history into the db",
                                             {demo_options}};
