/* The collector's HTTP side (see collector.h). Long on purpose: the
 * libmicrohttpd callbacks (accept, connection events, the request handler,
 * completion) share one request state machine (receiving, committing,
 * committed) and its accounting (metrics, connection deadlines, the body
 * budget); split across files, struct request and its phases would become a
 * public interface of their own. The pieces with no HTTP in them live
 * elsewhere: conntrack.c, budget.c, ingest_body.c, parsepool.c, writer.c. */
#include "ingest/collector.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "base/jsonarena.h"
#include "log/body.h"
#include "ingest/budget.h"
#include "ingest/conntrack.h"
#include "ingest/ingest_body.h"
#include "ingest/parsepool.h"
#include "ingest/threadcodec.h"
#include "log/logmodel.h"
#include "base/strbuf.h"
#include "base/timeutil.h"

/* The endpoints, each with the name the access log gives it: one list makes
 * both the enum and the names, so they cannot drift apart. */
#define ROUTE_LIST(X)            \
    X(ROUTE_NONE, "-")           \
    X(ROUTE_CREATE, "create")    \
    X(ROUTE_TRACES, "traces")    \
    X(ROUTE_LOGS, "logs")        \
    X(ROUTE_LITELLM, "litellm")  \
    X(ROUTE_HEALTH, "healthz")   \
    X(ROUTE_METRICS, "metrics")

#define AS_ENUM(id, name) id,
#define AS_NAME(id, name) name,

enum route { ROUTE_LIST(AS_ENUM) NROUTES };
static const char *const route_names[NROUTES] = {ROUTE_LIST(AS_NAME)};

static const struct {
    const char *path;
    enum route route;
} routes[] = {
    {"/api/request-logs/create/", ROUTE_CREATE},
    {"/api/request-logs/create", ROUTE_CREATE},
    {"/api/integrations/v1/traces/ingest", ROUTE_TRACES},
    {"/v1/logs", ROUTE_LOGS},
    {"/litellm/logs", ROUTE_LITELLM},
    {"/healthz", ROUTE_HEALTH},
    {"/metrics", ROUTE_METRICS},
};

/* Why requests were refused, as the metrics name them. */
#define REASON_LIST(X)                                  \
    X(REASON_UNAUTHORIZED, "unauthorized")              \
    X(REASON_NOT_FOUND, "not_found")                    \
    X(REASON_METHOD, "method_not_allowed")              \
    X(REASON_MEDIA_TYPE, "unsupported_media_type")      \
    X(REASON_TOO_LARGE, "too_large")                    \
    X(REASON_INVALID_JSON, "invalid_json")              \
    X(REASON_INVALID_LOG, "invalid_log")                \
    X(REASON_STORE, "store_error")                      \
    X(REASON_BUSY, "memory_budget")

enum reason { REASON_LIST(AS_ENUM) NREASONS };
static const char *const reason_names[NREASONS] = {REASON_LIST(AS_NAME)};

/* Event threads only read and answer: parsing happens on the parse pool's
 * lanes (parsepool.h), which spread connections evenly whatever thread
 * accepted them. */
#define EVENT_THREADS 2

static const double duration_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
#define NBOUNDS (sizeof duration_bounds / sizeof duration_bounds[0])

struct metrics {
    atomic_ullong logs_received, logs_stored, logs_duplicate, logs_rejected;
    atomic_ullong rejected[NREASONS];
    atomic_ullong duration_bucket[NBOUNDS + 1];
    atomic_ullong duration_count, duration_micros;
};

struct tg_collector {
    struct tg_collector_options opt;
    struct tg_writer *writer;
    struct tg_parsepool *parsers;
    struct MHD_Daemon *daemon;
    struct tg_conntrack *conns;
    int port;
    atomic_int in_flight;
    struct metrics metrics;
    struct tg_budget bodies; /* bytes of request bodies held, under opt.max_inflight_bytes */
};

/* A request waits for its parsing and its commit suspended, so no event
 * thread waits with it: the parse lane (on a bad body) or the writer resumes
 * the connection and the reply goes out on the next call. */
enum phase { RECEIVING, PARSING, PARSE_FAILED, COMMITTING, COMMITTED };

struct request {
    enum route route;
    struct strbuf body;
    int64_t started_us;
    int status;
    bool replied;
    bool too_large;   /* past the limit mid-upload: the rest is read and dropped */
    bool over_budget; /* past the memory budget mid-upload: dropped the same way, then 503 */
    size_t reserved;  /* of the collector's body_bytes */
    size_t discarded;
    size_t bytes;
    long logs;
    _Atomic int phase; /* enum phase; set by the lane or writer thread before the resume */
    const char *content_type, *idempotency_key; /* read on the event thread, for the lane */
    struct tg_ingest_failure fail;
    struct tg_ingest_batch batch;
    struct MHD_Connection *conn;
    struct tg_collector *collector;
    int write_rc;
    struct tg_write_result written;
    char write_err[256];
};

static enum route route_of(const char *url)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(url, routes[i].path) == 0)
            return routes[i].route;
    }
    return ROUTE_NONE;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, struct request *r, int status, const char *type,
                                 const char *body, const char *allow)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", type);
    if (allow)
        MHD_add_response_header(resp, "Allow", allow);
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header(resp, "Retry-After", "1");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    r->replied = true;
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, struct request *r, int status, const char *json)
{
    return send_text(conn, r, status, "application/json", json, NULL);
}

/* {"error":"...","index":N,"field":"..."}; index and field only when known. */
static enum MHD_Result send_error(struct tg_collector *c, struct MHD_Connection *conn, struct request *r, int status,
                                  enum reason reason, const char *message, long index, const char *field)
{
    atomic_fetch_add(&c->metrics.rejected[reason], 1);
    struct strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "{\"error\":");
    strbuf_json_string(&sb, message);
    if (index >= 0)
        strbuf_printf(&sb, ",\"index\":%ld", index);
    if (field && *field) {
        strbuf_puts(&sb, ",\"field\":");
        strbuf_json_string(&sb, field);
    }
    strbuf_putc(&sb, '}');
    const char *allow = status == MHD_HTTP_METHOD_NOT_ALLOWED
                            ? (r->route == ROUTE_HEALTH || r->route == ROUTE_METRICS ? "GET, HEAD" : "POST")
                            : NULL;
    enum MHD_Result ret = send_text(conn, r, status, "application/json", sb.data ? sb.data : "{}", allow);
    strbuf_free(&sb);
    return ret;
}

static bool has_tokens(const struct tg_tokens *tokens)
{
    return tokens && tokens->count > 0;
}

/* The bearer token sent, or NULL. */
static const char *bearer_token(struct MHD_Connection *conn)
{
    const char *header = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return NULL;
    const char *token = header + 7;
    while (*token == ' ')
        token++;
    return token;
}

static bool authorized(struct tg_collector *c, struct MHD_Connection *conn)
{
    if (!has_tokens(c->opt.tokens))
        return true;
    const char *token = bearer_token(conn);
    return token && tg_tokens_match(c->opt.tokens, token);
}

/* /metrics: open only when no token of either kind is set; else an ingest
 * token or a metrics token (a scraper need not hold one that can write). */
static bool metrics_authorized(struct tg_collector *c, struct MHD_Connection *conn)
{
    if (!has_tokens(c->opt.tokens) && !has_tokens(c->opt.metrics_tokens))
        return true;
    const char *token = bearer_token(conn);
    if (!token)
        return false;
    bool ingest = has_tokens(c->opt.tokens) && tg_tokens_match(c->opt.tokens, token);
    bool metrics = has_tokens(c->opt.metrics_tokens) && tg_tokens_match(c->opt.metrics_tokens, token);
    return ingest || metrics;
}

/* Takes n bytes of the body budget for r; false when they do not fit. */
static bool reserve_body(struct tg_collector *c, struct request *r, size_t n)
{
    if (!tg_budget_take(&c->bodies, n))
        return false;
    r->reserved += n;
    return true;
}

static void release_body(struct tg_collector *c, struct request *r)
{
    tg_budget_give(&c->bodies, r->reserved);
    r->reserved = 0;
}

static enum MHD_Result send_busy(struct tg_collector *c, struct MHD_Connection *conn, struct request *r)
{
    char msg[160];
    snprintf(msg, sizeof msg,
             "request bodies in flight would pass the collector's limit of %zu bytes (--max-inflight): retry soon",
             c->bodies.limit);
    return send_error(c, conn, r, MHD_HTTP_SERVICE_UNAVAILABLE, REASON_BUSY, msg, -1, NULL);
}

/* The endpoints that take a body; the others never reach parsing. */
static enum tg_ingest_endpoint endpoint_of(enum route route)
{
    return route == ROUTE_CREATE    ? TG_ENDPOINT_CREATE
           : route == ROUTE_TRACES  ? TG_ENDPOINT_TRACES
           : route == ROUTE_LITELLM ? TG_ENDPOINT_LITELLM
                                    : TG_ENDPOINT_LOGS;
}

static void write_metrics(struct tg_collector *c, struct strbuf *sb)
{
    struct metrics *m = &c->metrics;
    const struct {
        const char *name, *help;
        atomic_ullong *value;
    } counters[] = {
        {"tollgate_logs_received_total", "Logs received in ingest requests.", &m->logs_received},
        {"tollgate_logs_stored_total", "Logs committed to the db.", &m->logs_stored},
        {"tollgate_logs_duplicate_total", "Logs already stored (same id).", &m->logs_duplicate},
        {"tollgate_logs_rejected_total", "Logs in batches that were refused.", &m->logs_rejected},
    };
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        strbuf_printf(sb, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counters[i].name, counters[i].help,
                      counters[i].name, counters[i].name, (unsigned long long)atomic_load(counters[i].value));
    strbuf_puts(sb, "# HELP tollgate_requests_rejected_total Requests refused, by reason.\n"
                    "# TYPE tollgate_requests_rejected_total counter\n");
    for (int i = 0; i < NREASONS; i++)
        strbuf_printf(sb, "tollgate_requests_rejected_total{reason=\"%s\"} %llu\n", reason_names[i],
                      (unsigned long long)atomic_load(&m->rejected[i]));
    strbuf_puts(sb, "# HELP tollgate_request_duration_seconds Time from request to reply.\n"
                    "# TYPE tollgate_request_duration_seconds histogram\n");
    unsigned long long cumulative = 0;
    for (size_t i = 0; i <= NBOUNDS; i++) {
        cumulative += atomic_load(&m->duration_bucket[i]);
        if (i < NBOUNDS)
            strbuf_printf(sb, "tollgate_request_duration_seconds_bucket{le=\"%g\"} %llu\n", duration_bounds[i],
                          cumulative);
        else
            strbuf_printf(sb, "tollgate_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cumulative);
    }
    strbuf_printf(sb, "tollgate_request_duration_seconds_sum %.6f\n",
                  (double)atomic_load(&m->duration_micros) / 1e6);
    strbuf_printf(sb, "tollgate_request_duration_seconds_count %llu\n",
                  (unsigned long long)atomic_load(&m->duration_count));
    tg_conntrack_write_metrics(c->conns, sb);
    strbuf_printf(sb, "# HELP tollgate_body_bytes_held Bytes of request bodies received, parsed or being committed.\n"
                      "# TYPE tollgate_body_bytes_held gauge\ntollgate_body_bytes_held %zu\n",
                  tg_budget_held(&c->bodies));
    long long size = 0;
    char wal[4200];
    struct stat st;
    if (c->opt.db_path && stat(c->opt.db_path, &st) == 0)
        size += st.st_size;
    snprintf(wal, sizeof wal, "%s-wal", c->opt.db_path ? c->opt.db_path : "");
    if (c->opt.db_path && stat(wal, &st) == 0)
        size += st.st_size;
    strbuf_puts(sb, "# HELP tollgate_db_size_bytes Size of the db and its WAL.\n# TYPE tollgate_db_size_bytes gauge\n");
    strbuf_printf(sb, "tollgate_db_size_bytes %lld\n", size);
}

static struct tg_conn *tracked(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

static enum MHD_Result serve_get(struct tg_collector *c, struct MHD_Connection *conn, struct request *r)
{
    if (r->route == ROUTE_HEALTH)
        return send_json(conn, r, MHD_HTTP_OK, "{\"status\":\"ok\"}");
    if (!metrics_authorized(c, conn))
        return send_error(c, conn, r, MHD_HTTP_UNAUTHORIZED, REASON_UNAUTHORIZED,
                          "missing or wrong token: send Authorization: Bearer TOKEN", -1, NULL);
    tg_conntrack_trust(c->conns, tracked(conn));
    struct strbuf sb = STRBUF_INIT;
    write_metrics(c, &sb);
    enum MHD_Result ret = send_text(conn, r, MHD_HTTP_OK, "text/plain; version=0.0.4", sb.data ? sb.data : "", NULL);
    strbuf_free(&sb);
    return ret;
}

/* Checks what can be checked before the body arrives. 0 when the request may go on. */
static enum MHD_Result admit(struct tg_collector *c, struct MHD_Connection *conn, struct request *r,
                             const char *method, bool *done)
{
    *done = true;
    bool is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (r->route == ROUTE_NONE)
        return send_error(c, conn, r, MHD_HTTP_NOT_FOUND, REASON_NOT_FOUND, "no such endpoint", -1, NULL);
    if (r->route == ROUTE_HEALTH || r->route == ROUTE_METRICS) {
        if (!is_get)
            return send_error(c, conn, r, MHD_HTTP_METHOD_NOT_ALLOWED, REASON_METHOD, "use GET", -1, NULL);
        return serve_get(c, conn, r);
    }
    if (strcmp(method, "POST") != 0)
        return send_error(c, conn, r, MHD_HTTP_METHOD_NOT_ALLOWED, REASON_METHOD, "use POST", -1, NULL);
    if (!authorized(c, conn))
        return send_error(c, conn, r, MHD_HTTP_UNAUTHORIZED, REASON_UNAUTHORIZED,
                          "missing or wrong token: send Authorization: Bearer TOKEN", -1, NULL);
    tg_conntrack_trust(c->conns, tracked(conn));
    const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (tg_ingest_body_format(endpoint_of(r->route), type) == TG_FORMAT_UNSUPPORTED)
        return send_error(c, conn, r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, REASON_MEDIA_TYPE,
                          r->route == ROUTE_LOGS || r->route == ROUTE_LITELLM
                              ? "send Content-Type: application/json or application/x-ndjson"
                                                 : "send Content-Type: application/json",
                          -1, NULL);
    const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length && strtoull(length, NULL, 10) > c->opt.max_body) {
        char msg[96];
        snprintf(msg, sizeof msg, "body larger than the limit of %zu bytes", c->opt.max_body);
        return send_error(c, conn, r, MHD_HTTP_CONTENT_TOO_LARGE, REASON_TOO_LARGE, msg, -1, NULL);
    }
    /* over the budget: the body is read and dropped, then 503, since a client
     * still sending would not see an answer given before (a broken pipe) */
    if (length && !reserve_body(c, r, (size_t)strtoull(length, NULL, 10)))
        r->over_budget = true;
    else if (length)
        strbuf_reserve(&r->body, (size_t)strtoull(length, NULL, 10));
    *done = false;
    return MHD_YES;
}

static int parse_body(struct tg_collector *c, struct request *r, struct tg_ingest_failure *fail)
{
    struct tg_thread_codec *tc = tg_thread_codec(c->writer);
    struct tg_ingest_body_options opt = {.pricing = c->opt.pricing,
                                         .codec = tc ? tc->codec : NULL,
                                         .sent = tc ? tc->sent : NULL,
                                         .dict_id = tc ? tc->dict_id : 0,
                                         .now_ms = tg_now_ms(),
                                         .redact = c->opt.redact,
                                         .litellm_developer = c->opt.litellm_developer,
                                         .fresh_ids = true,
                                         .idempotency_key = r->idempotency_key};
    enum tg_ingest_format format = tg_ingest_body_format(endpoint_of(r->route), r->content_type);
    return tg_ingest_body_parse(r->body.data ? r->body.data : "", r->body.len, format, &opt, &r->batch, fail);
}

/* On the writer thread: nothing here may touch the request after the resume,
 * which hands it back to libmicrohttpd. */
static void on_written(void *ctx, int rc, const struct tg_write_result *result, const char *err)
{
    struct request *r = ctx;
    r->write_rc = rc;
    r->written = *result;
    snprintf(r->write_err, sizeof r->write_err, "%s", err ? err : "");
    r->phase = COMMITTED;
    MHD_resume_connection(r->conn);
}

static enum MHD_Result reply_written(struct tg_collector *c, struct MHD_Connection *conn, struct request *r)
{
    struct tg_ingest_batch *b = &r->batch;
    if (r->write_rc != 0) {
        atomic_fetch_add(&c->metrics.logs_rejected, b->count);
        return send_error(c, conn, r, MHD_HTTP_SERVICE_UNAVAILABLE, REASON_STORE, r->write_err, -1, NULL);
    }
    atomic_fetch_add(&c->metrics.logs_stored, (unsigned long long)r->written.stored);
    atomic_fetch_add(&c->metrics.logs_duplicate, (unsigned long long)r->written.duplicates);
    struct strbuf sb = STRBUF_INIT;
    int status = MHD_HTTP_OK;
    if (r->route == ROUTE_CREATE) {
        status = MHD_HTTP_CREATED;
        strbuf_puts(&sb, "{\"id\":");
        strbuf_json_string(&sb, b->logs[0].log_id);
        strbuf_printf(&sb, ",\"duplicate\":%s}", r->written.duplicates ? "true" : "false");
    } else {
        strbuf_printf(&sb, "{\"stored\":%ld,\"duplicates\":%ld}", r->written.stored, r->written.duplicates);
    }
    enum MHD_Result ret = send_json(conn, r, status, sb.data ? sb.data : "{}");
    strbuf_free(&sb);
    return ret;
}

/* On a parse lane: parses and checks the body, then hands the batch to the
 * writer, which resumes the connection once it is committed; a bad body (or
 * an empty batch) resumes it at once. */
static void parse_job(void *arg)
{
    struct request *r = arg;
    struct tg_collector *c = r->collector;
    struct tg_ingest_batch *b = &r->batch;
    if (parse_body(c, r, &r->fail) != 0) {
        atomic_fetch_add(&c->metrics.logs_received, b->count + 1);
        atomic_fetch_add(&c->metrics.logs_rejected, b->count + 1);
        r->phase = PARSE_FAILED;
        MHD_resume_connection(r->conn);
        return;
    }
    atomic_fetch_add(&c->metrics.logs_received, b->count);
    r->logs = (long)b->count;
    strbuf_free(&r->body); /* each log holds its own copy now */
    if (b->count == 0) {
        r->phase = COMMITTED;
        MHD_resume_connection(r->conn);
        return;
    }
    r->phase = COMMITTING;
    if (tg_writer_submit_async(c->writer, b->logs, b->count, on_written, r) != 0) {
        r->phase = COMMITTED;
        r->write_rc = -1;
        snprintf(r->write_err, sizeof r->write_err, "shutting down");
        MHD_resume_connection(r->conn);
    }
}

/* The body is in: the connection waits, suspended, while a lane parses it
 * and the writer commits it. */
static enum MHD_Result store_batch(struct tg_collector *c, struct MHD_Connection *conn, struct request *r)
{
    r->content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    r->idempotency_key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Idempotency-Key");
    const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    r->collector = c;
    r->conn = conn;
    r->phase = PARSING;
    tg_conntrack_hold(c->conns, tracked(conn)); /* parsing and commit time are not the client's */
    MHD_suspend_connection(conn);
    if (tg_parsepool_submit(c->parsers, fd ? (unsigned)fd->connect_fd : 0, r) != 0) {
        r->phase = COMMITTED;
        r->write_rc = -1;
        snprintf(r->write_err, sizeof r->write_err, "shutting down");
        MHD_resume_connection(conn);
    }
    return MHD_YES;
}

static enum MHD_Result reply_parse_failed(struct tg_collector *c, struct MHD_Connection *conn, struct request *r)
{
    struct tg_ingest_failure *fail = &r->fail;
    return send_error(c, conn, r, fail->status, fail->invalid_json ? REASON_INVALID_JSON : REASON_INVALID_LOG,
                      fail->message, fail->index, fail->field);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
    (void)version;
    struct tg_collector *c = cls;
    struct request *r = *req_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->started_us = tg_monotonic_us();
        r->route = route_of(url);
        *req_cls = r;
        atomic_fetch_add(&c->in_flight, 1);
        tg_conntrack_headers_in(c->conns, tracked(conn));
        bool done;
        enum MHD_Result ret = admit(c, conn, r, method, &done);
        return done ? ret : MHD_YES;
    }
    if (r->replied) { /* an early answer: the rest of the upload is discarded */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->phase == PARSING || r->phase == COMMITTING) /* woken early: resumed when done */
        return MHD_YES;
    if (r->phase == PARSE_FAILED)
        return reply_parse_failed(c, conn, r);
    if (r->phase == COMMITTED)
        return reply_written(c, conn, r);
    if (*upload_data_size) {
        /* A body without Content-Length can outgrow the limit midway. MHD takes a
         * reply only before the upload or after it, so the rest is read and
         * dropped, up to a bound, and the 413 goes out at the end. */
        if (!r->too_large && !r->over_budget && r->body.len + *upload_data_size > c->opt.max_body)
            r->too_large = true;
        /* without Content-Length nothing was reserved ahead: take it as it comes */
        if (!r->too_large && !r->over_budget && r->body.len + *upload_data_size > r->reserved &&
            !reserve_body(c, r, r->body.len + *upload_data_size - r->reserved))
            r->over_budget = true;
        if (r->too_large || r->over_budget) {
            r->discarded += *upload_data_size;
            *upload_data_size = 0;
            strbuf_free(&r->body);
            release_body(c, r);
            return r->discarded > 4 * c->opt.max_body + (64u << 20) ? MHD_NO : MHD_YES;
        }
        strbuf_append(&r->body, upload_data, *upload_data_size);
        r->bytes += *upload_data_size;
        *upload_data_size = 0;
        return r->body.failed ? MHD_NO : MHD_YES;
    }
    if (r->over_budget)
        return send_busy(c, conn, r);
    if (r->too_large) {
        char msg[96];
        snprintf(msg, sizeof msg, "body larger than the limit of %zu bytes", c->opt.max_body);
        return send_error(c, conn, r, MHD_HTTP_CONTENT_TOO_LARGE, REASON_TOO_LARGE, msg, -1, NULL);
    }
    return store_batch(c, conn, r);
}

static void access_line(struct tg_collector *c, struct MHD_Connection *conn, const struct request *r,
                        int64_t micros)
{
    char when[40], addr[INET6_ADDRSTRLEN] = "-";
    tg_time_format_iso(tg_now_ms(), when, sizeof when);
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info && info->client_addr) {
        const struct sockaddr *sa = info->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, addr, sizeof addr);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, addr, sizeof addr);
    }
    fprintf(c->opt.access_log, "%s %s %s %d %ld logs %zu bytes %.1f ms\n", when, addr, route_names[r->route],
            r->status, r->logs, r->bytes, (double)micros / 1000.0);
    fflush(c->opt.access_log);
}

static void completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    struct tg_collector *c = cls;
    struct request *r = *req_cls;
    if (!r)
        return;
    int64_t micros = tg_monotonic_us() - r->started_us;
    size_t bucket = 0;
    while (bucket < NBOUNDS && (double)micros / 1e6 > duration_bounds[bucket])
        bucket++;
    atomic_fetch_add(&c->metrics.duration_bucket[bucket], 1);
    atomic_fetch_add(&c->metrics.duration_count, 1);
    atomic_fetch_add(&c->metrics.duration_micros, (unsigned long long)micros);
    if (c->opt.access_log)
        access_line(c, conn, r, micros);
    tg_conntrack_rearm(c->conns, tracked(conn));
    strbuf_free(&r->body);
    tg_ingest_batch_free(&r->batch);
    release_body(c, r);
    free(r);
    *req_cls = NULL;
    atomic_fetch_sub(&c->in_flight, 1);
}

static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addrlen;
    struct tg_collector *c = cls;
    return tg_conntrack_admit_address(c->conns, addr) ? MHD_YES : MHD_NO;
}

static void connection_event(void *cls, struct MHD_Connection *conn, void **socket_context,
                             enum MHD_ConnectionNotificationCode code)
{
    struct tg_collector *c = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *from = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        *socket_context =
            info ? tg_conntrack_open_address(c->conns, info->connect_fd, from ? from->client_addr : NULL) : NULL;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        tg_conntrack_close(c->conns, *socket_context);
        *socket_context = NULL;
    }
}

int tg_collector_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (strcmp(host, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}

int tg_collector_start(const struct tg_collector_options *options, struct tg_writer *writer,
                       struct tg_collector **out, char *err, size_t errlen)
{
    tg_json_arena_install(); /* before the server's threads parse logs */
    bool has_tokens = options->tokens && options->tokens->count > 0;
    if (!has_tokens && !tg_collector_is_loopback(options->host)) {
        snprintf(err, errlen,
                 "refusing to listen on %s without a token: give --token-file or TOLLGATE_INGEST_TOKEN, "
                 "or listen on 127.0.0.1",
                 options->host);
        return -1;
    }
    struct sockaddr_in a4 = {0};
    struct sockaddr_in6 a6 = {0};
    const struct sockaddr *addr;
    /* a few event-loop threads (epoll); requests waiting for their commit are
     * suspended rather than holding a thread each */
    unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;
    const char *host = strcmp(options->host, "localhost") == 0 ? "127.0.0.1" : options->host;
    if (inet_pton(AF_INET, host, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t)options->port);
        addr = (const struct sockaddr *)&a4;
    } else if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t)options->port);
        addr = (const struct sockaddr *)&a6;
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errlen, "'%s' is not an IP address to listen on", options->host);
        return -1;
    }
    struct tg_collector *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->opt = *options;
    c->writer = writer;
    /* a quarter of the connections is kept for clients that sent a token */
    struct tg_conntrack_limits limits = {.timeout_s = options->client_timeout_s,
                                         .header_timeout_s = options->header_timeout_s,
                                         .max_open = options->max_connections,
                                         .max_pending_per_address = options->max_pending_per_address,
                                         .reserved_for_trusted = options->max_connections / 4,
                                         .evict_waiting = true};
    if (!c->opt.header_timeout_s)
        limits.header_timeout_s = options->client_timeout_s;
    tg_budget_init(&c->bodies, options->max_inflight_bytes);
    if (tg_conntrack_new_limits(&limits, &c->conns, err, errlen) != 0) {
        free(c);
        return -1;
    }
    if (tg_parsepool_start(0, parse_job, &c->parsers, err, errlen) != 0) {
        tg_conntrack_free(c->conns);
        free(c);
        return -1;
    }
    /* libmicrohttpd's own limit splits between the event threads, so it is set
     * past ours and only the accept policy refuses */
    unsigned int mhd_limit = options->max_connections * EVENT_THREADS + 16;
    c->daemon = MHD_start_daemon(flags, (uint16_t)options->port, accept_policy, c, handle, c, MHD_OPTION_SOCK_ADDR,
                                 addr, MHD_OPTION_NOTIFY_COMPLETED, completed, c, MHD_OPTION_NOTIFY_CONNECTION,
                                 connection_event, c, MHD_OPTION_CONNECTION_TIMEOUT,
                                 (unsigned int)options->client_timeout_s, MHD_OPTION_CONNECTION_LIMIT, mhd_limit,
                                 MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)EVENT_THREADS, MHD_OPTION_END);
    if (!c->daemon) {
        tg_parsepool_stop(c->parsers);
        tg_conntrack_free(c->conns);
        snprintf(err, errlen, "cannot listen on %s:%d (in use, or not an address of this machine?)", options->host,
                 options->port);
        free(c);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(c->daemon, MHD_DAEMON_INFO_BIND_PORT);
    c->port = info ? info->port : options->port;
    *out = c;
    return 0;
}

int tg_collector_port(const struct tg_collector *c)
{
    return c->port;
}

void tg_collector_stop(struct tg_collector *c, int timeout_ms)
{
    if (!c)
        return;
    MHD_quiesce_daemon(c->daemon); /* no new connections; those open finish */
    for (int waited = 0; atomic_load(&c->in_flight) > 0 && waited < timeout_ms; waited += 10)
        usleep(10000);
    tg_parsepool_stop(c->parsers); /* what it still holds goes to the writer */
    MHD_stop_daemon(c->daemon);
    tg_conntrack_free(c->conns);
    free(c);
}
