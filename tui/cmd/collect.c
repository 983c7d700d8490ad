#include "cmd/collect.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/collector.h"
#include "base/paths.h"
#include "base/secrets.h"
#include "ingest/writer.h"

static const char cmd_collect_usage[] =
    "usage: tollgate collect [--listen HOST:PORT] [--token-file FILE] [--max-body SIZE]\n"
    "                        [--client-timeout SECONDS] [--max-connections N]\n"
    "                        [--header-timeout SECONDS] [--max-per-address N]\n"
    "                        [--max-inflight SIZE] [--metrics-token-file FILE]\n"
    "                        [--quiet] [--redact] [--litellm-developer FIELD]\n"
    "                        [--db PATH] [--pricing FILE]\n"
    "\n"
    "Runs the collector: an HTTP server that stores the request logs posted to it.\n"
    "  POST /api/request-logs/create/           one log (the gateway's log-create shape)\n"
    "  POST /api/integrations/v1/traces/ingest  a JSON array of logs\n"
    "  POST /v1/logs                            a JSON array, or JSON Lines (application/x-ndjson)\n"
    "  POST /litellm/logs                       a LiteLLM proxy's generic_api logger (any log_format)\n"
    "  GET  /healthz, GET /metrics              liveness, Prometheus metrics\n"
    "A reply is sent only after the logs are committed; a batch is stored whole or not\n"
    "at all; logs already stored count as duplicates.\n"
    "\n"
    "--listen      address and port (default 127.0.0.1:8787; [::1]:8787 for IPv6; port 0 = any)\n"
    "--token-file  bearer tokens, one per line, in a file only you can read (mode 0600);\n"
    "              TOLLGATE_INGEST_TOKEN adds one. Without any token the collector\n"
    "              accepts anyone, so it listens on loopback only.\n"
    "--max-body    largest request body (default 16M; K and M suffixes)\n"
    "--client-timeout  seconds a client has to send a whole request, from connecting\n"
    "              or from its previous answer (default 30); then the connection is closed\n"
    "--max-connections  connections open at once (default 1000); past it new ones are\n"
    "              closed at once. A quarter is kept for connections that sent a token\n"
    "--header-timeout  seconds a connection that sent no token yet has to send its\n"
    "              request's headers (default 5)\n"
    "--max-per-address  connections from one address that sent no token yet (default 32)\n"
    "--max-inflight  request bodies held at once, all clients together (default 64M;\n"
    "              at least --max-body); past it the answer is 503 with Retry-After\n"
    "--metrics-token-file  tokens that may read /metrics (and nothing else); with any\n"
    "              token set, /metrics wants one (TOLLGATE_METRICS_TOKEN adds one)\n"
    "--quiet       no access log on stderr\n"
    "--redact      mask secrets found in logs (API keys, AWS keys, GitHub tokens, private\n"
    "              keys, Bearer and Authorization values) before they are stored\n"
    "--litellm-developer FIELD  who a LiteLLM log's developer is: user (the key's user_id,\n"
    "              else its e-mail, else the end user; default), email, end_user or team\n"
    "SIGTERM or SIGINT: finish the requests in flight, then exit 0.\n";

struct collect_args {
    char host[256];
    int port;
    const char *token_file;
    size_t max_body;
    unsigned client_timeout_s;
    unsigned max_connections;
    unsigned header_timeout_s;
    unsigned max_per_address;
    size_t max_inflight;
    const char *metrics_token_file;
    bool quiet;
    bool redact;
    enum tg_litellm_developer litellm_developer;
};

static int parse_listen(const char *text, struct collect_args *args)
{
    const char *port = strrchr(text, ':');
    if (!port) { /* just a port */
        snprintf(args->host, sizeof args->host, "127.0.0.1");
        port = text - 1;
    } else if (text[0] == '[') { /* [v6]:port */
        const char *close = strchr(text, ']');
        if (!close || close + 1 != port)
            return -1;
        snprintf(args->host, sizeof args->host, "%.*s", (int)(close - text - 1), text + 1);
    } else if (port == text) {
        snprintf(args->host, sizeof args->host, "0.0.0.0");
    } else {
        snprintf(args->host, sizeof args->host, "%.*s", (int)(port - text), text);
    }
    char *end;
    long n = strtol(port + 1, &end, 10);
    if (end == port + 1 || *end || n < 0 || n > 65535)
        return -1;
    args->port = (int)n;
    return 0;
}

static int parse_size(const char *text, size_t *out)
{
    char *end;
    unsigned long long n = strtoull(text, &end, 10);
    if (end == text)
        return -1;
    if (*end == 'K' || *end == 'k')
        n <<= 10, end++;
    else if (*end == 'M' || *end == 'm')
        n <<= 20, end++;
    if (*end || n == 0 || n > (1ULL << 31))
        return -1;
    *out = (size_t)n;
    return 0;
}

static int parse_count(const char *text, unsigned max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(text, &end, 10);
    if (end == text || *end || errno || text[0] == '-' || n == 0 || n > max)
        return -1;
    *out = (unsigned)n;
    return 0;
}

static const struct option collect_options[] = {
    CLI_COMMON_OPTIONS,
    {"listen", required_argument, NULL, 'l'},
    {"token-file", required_argument, NULL, 't'},
    {"max-body", required_argument, NULL, 'm'},
    {"client-timeout", required_argument, NULL, 'T'},
    {"max-connections", required_argument, NULL, 'C'},
    {"header-timeout", required_argument, NULL, 'H'},
    {"max-per-address", required_argument, NULL, 'A'},
    {"max-inflight", required_argument, NULL, 'I'},
    {"metrics-token-file", required_argument, NULL, 'M'},
    {"quiet", no_argument, NULL, 'q'},
    {"redact", no_argument, NULL, 'r'},
    {"litellm-developer", required_argument, NULL, 'L'},
    {NULL, 0, NULL, 0},
};

static int parse_args(int argc, char **argv, struct cli_common *common, struct collect_args *args)
{
    int opt;
    while ((opt = getopt_long(argc, argv, "h", collect_options, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg))
            continue;
        switch (opt) {
        case 'h': fputs(cmd_collect_usage, stdout); return -1;
        case 'l':
            if (parse_listen(optarg, args) != 0)
                return cli_error(common, "--listen wants HOST:PORT, such as 127.0.0.1:8787, not '%s'", optarg);
            break;
        case 't': args->token_file = optarg; break;
        case 'm':
            if (parse_size(optarg, &args->max_body) != 0)
                return cli_error(common, "--max-body wants a size such as 16M or 65536, not '%s'", optarg);
            break;
        case 'T':
            if (parse_count(optarg, 86400, &args->client_timeout_s) != 0)
                return cli_error(common, "--client-timeout wants seconds from 1 to 86400, not '%s'", optarg);
            break;
        case 'C':
            if (parse_count(optarg, 1000000, &args->max_connections) != 0)
                return cli_error(common, "--max-connections wants a number from 1 to 1000000, not '%s'", optarg);
            break;
        case 'H':
            if (parse_count(optarg, 86400, &args->header_timeout_s) != 0)
                return cli_error(common, "--header-timeout wants seconds from 1 to 86400, not '%s'", optarg);
            break;
        case 'A':
            if (parse_count(optarg, 1000000, &args->max_per_address) != 0)
                return cli_error(common, "--max-per-address wants a number from 1 to 1000000, not '%s'", optarg);
            break;
        case 'I':
            if (parse_size(optarg, &args->max_inflight) != 0)
                return cli_error(common, "--max-inflight wants a size such as 256M, not '%s'", optarg);
            break;
        case 'M': args->metrics_token_file = optarg; break;
        case 'q': args->quiet = true; break;
        case 'r': args->redact = true; break;
        case 'L':
            if (tg_litellm_developer_parse(optarg, &args->litellm_developer) != 0)
                return cli_error(common, "--litellm-developer: '%s' is not user, email, end_user or team", optarg);
            break;
        default: fputs(cmd_collect_usage, stderr); return EXIT_FAILED;
        }
    }
    if (optind < argc)
        return cli_error(common, "unexpected argument '%s'", argv[optind]);
    if (args->max_inflight < args->max_body)
        return cli_error(common, "--max-inflight (%zu bytes) must be at least --max-body (%zu bytes)",
                         args->max_inflight, args->max_body);
    return 0;
}

/* Tokens from the file (when given) and the environment variable. */
static int load_tokens(struct cli_common *common, const char *file, const char *env_name, struct tg_tokens *tokens)
{
    char err[512];
    if (file && tg_tokens_load_file(tokens, file, err, sizeof err) != 0)
        return cli_error(common, "%s", err);
    const char *env = getenv(env_name);
    if (env && *env && tg_tokens_add(tokens, env) != 0)
        return cli_error(common, "out of memory");
    return 0;
}

/* Runs until SIGTERM or SIGINT; the signals are blocked in every thread and
 * taken here, so no handler ever runs in the middle of a request. */
static int serve(struct cli_common *common, const struct collect_args *args, const struct tg_tokens *tokens,
                 const struct tg_tokens *metrics_tokens, struct tg_pricing *pricing, const char *db_path)
{
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct tg_store *store;
    int rc = cli_open_store(common, TG_STORE_BACKGROUND_CHECKPOINTS, &store);
    if (rc != 0)
        return rc;
    char err[512];
    tg_store_set_activity_source(store, TG_ACTIVITY_COLLECTOR);
    struct tg_writer *writer;
    if (tg_writer_start(store, &writer, err, sizeof err) != 0) {
        tg_store_close(store);
        return cli_error(common, "%s", err);
    }
    struct tg_collector_options opt = {.host = args->host,
                                       .port = args->port,
                                       .tokens = tokens,
                                       .max_body = args->max_body,
                                       .client_timeout_s = args->client_timeout_s,
                                       .max_connections = args->max_connections,
                                       .header_timeout_s = args->header_timeout_s,
                                       .max_pending_per_address = args->max_per_address,
                                       .max_inflight_bytes = args->max_inflight,
                                       .metrics_tokens = metrics_tokens,
                                       .pricing = pricing,
                                       .db_path = db_path,
                                       .access_log = args->quiet ? NULL : stderr,
                                       .redact = args->redact,
                                       .litellm_developer = args->litellm_developer};
    struct tg_collector *collector;
    if (tg_collector_start(&opt, writer, &collector, err, sizeof err) != 0) {
        tg_store_close(tg_writer_stop(writer));
        return cli_error(common, "%s", err);
    }
    bool v6 = strchr(args->host, ':') != NULL;
    fprintf(stderr, "tollgate collect: listening on http://%s%s%s:%d, db %s\n", v6 ? "[" : "", args->host,
            v6 ? "]" : "", tg_collector_port(collector), db_path);
    if (tokens->count == 0)
        fprintf(stderr, "tollgate collect: no token configured: accepting anyone, so listening on loopback only\n");
    fflush(stderr);
    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "tollgate collect: %s: finishing requests in flight\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    tg_collector_stop(collector, 30000);
    struct tg_writer_stats stats = tg_writer_stats(writer);
    tg_store_close(tg_writer_stop(writer));
    fprintf(stderr, "tollgate collect: stopped after storing %llu logs (%llu duplicates) in %llu commits\n",
            (unsigned long long)stats.logs_stored, (unsigned long long)stats.logs_duplicate,
            (unsigned long long)stats.commits);
    return 0;
}

static int cmd_collect(int argc, char **argv, struct cli_common *common)
{
    struct collect_args args = {.host = "127.0.0.1",
                                .port = 8787,
                                .max_body = 16u << 20,
                                .client_timeout_s = 30,
                                .max_connections = 1000,
                                .header_timeout_s = 5,
                                .max_per_address = 32,
                                .max_inflight = 64u << 20};
    int rc = parse_args(argc, argv, common, &args);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    char path[4096], err[512];
    if (!common->db_path) {
        if (tg_paths_default_db(path, sizeof path, err, sizeof err) != 0)
            return cli_error(common, "%s", err);
        common->db_path = path;
    }
    struct tg_tokens tokens = {0}, metrics_tokens = {0};
    struct tg_pricing *pricing = NULL;
    rc = load_tokens(common, args.token_file, "TOLLGATE_INGEST_TOKEN", &tokens);
    if (rc == 0)
        rc = load_tokens(common, args.metrics_token_file, "TOLLGATE_METRICS_TOKEN", &metrics_tokens);
    if (rc == 0)
        rc = cli_load_pricing(common, &pricing);
    if (rc == 0)
        rc = serve(common, &args, &tokens, &metrics_tokens, pricing, common->db_path);
    tg_pricing_free(pricing);
    tg_tokens_free(&tokens);
    tg_tokens_free(&metrics_tokens);
    return rc;
}

const struct command_entry cmd_collect_entry = {"collect", cmd_collect, cmd_collect_usage,
                                                "Run the HTTP collector the gateway pushes logs to",
                                                {collect_options}};
