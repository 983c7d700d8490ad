/* The collector: an HTTP server (libmicrohttpd) that accepts request logs in the
 * gateway's own shapes and answers only once they are committed.
 *
 *   POST /api/request-logs/create/          one log            -> 201 {"id":...}
 *   POST /api/integrations/v1/traces/ingest a JSON array        -> 200 {"stored":N,"duplicates":N}
 *   POST /v1/logs                           array or JSON Lines -> 200 {"stored":N,"duplicates":N}
 *   POST /litellm/logs                      LiteLLM's generic API logger (json_array, ndjson, single)
 *                                                               -> 200 {"stored":N,"duplicates":N}
 *   GET  /healthz, GET /metrics (Prometheus text)
 *
 * A batch is stored whole or not at all; a bad log answers 400 with
 * {"error","index","field"} and stores nothing. */
#ifndef TG_COLLECTOR_H
#define TG_COLLECTOR_H

#include <stddef.h>
#include <stdio.h>

#include "log/litellm_log.h"
#include "log/pricing.h"
#include "base/secrets.h"
#include "ingest/writer.h"

struct tg_collector_options {
    const char *host;               /* an IPv4 or IPv6 address, or "localhost" */
    int port;                       /* 0: any free port (see tg_collector_port) */
    const struct tg_tokens *tokens; /* none: no auth, and loopback only */
    size_t max_body;                /* bytes; larger bodies get 413 */
    unsigned client_timeout_s;      /* a whole request within this, else the connection is closed */
    unsigned max_connections;       /* past this many open, new connections are closed at once */
    unsigned header_timeout_s;      /* a connection without a token yet: its headers within this; 0: client_timeout_s */
    unsigned max_pending_per_address; /* connections without a token yet from one address; 0: no limit */
    size_t max_inflight_bytes;      /* request bodies held at once, all requests; past it 503; 0: no limit */
    const struct tg_tokens *metrics_tokens; /* also accepted on /metrics; /metrics is open only without any token */
    const struct tg_pricing *pricing;
    const char *db_path;            /* for the size metric */
    FILE *access_log;               /* one line per request; NULL for none */
    bool redact;                    /* mask secrets in logs before storing (redact.h) */
    enum tg_litellm_developer litellm_developer; /* /litellm/logs: which field names the developer */
};

struct tg_collector;

/* Refuses a non-loopback address without tokens; client_timeout_s and
 * max_connections must be at least 1. Returns 0, or -1 with err. */
int tg_collector_start(const struct tg_collector_options *options, struct tg_writer *writer,
                       struct tg_collector **out, char *err, size_t errlen);

int tg_collector_port(const struct tg_collector *collector);

/* Stops accepting connections, lets requests in flight finish (up to
 * timeout_ms), then stops. */
void tg_collector_stop(struct tg_collector *collector, int timeout_ms);

/* True for 127.0.0.0/8, ::1 and "localhost". */
int tg_collector_is_loopback(const char *host);

#endif
