/* A collector request body read into logs: what the endpoint and Content-Type
 * make of it (one log, a JSON array, JSON Lines), and either every log parsed,
 * priced and compressed, or the 4xx answer naming what is wrong. Kept apart
 * from the HTTP plumbing so the fuzz harness feeds bodies through the very
 * code the server runs. */
#ifndef TG_INGEST_BODY_H
#define TG_INGEST_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log/body.h"
#include "log/litellm_log.h"
#include "log/logmodel.h"
#include "log/pricing.h"

enum tg_ingest_endpoint { TG_ENDPOINT_CREATE, TG_ENDPOINT_TRACES, TG_ENDPOINT_LOGS, TG_ENDPOINT_LITELLM };

enum tg_ingest_format {
    TG_FORMAT_UNSUPPORTED, /* the Content-Type does not fit the endpoint: 415 */
    TG_FORMAT_ONE_LOG,
    TG_FORMAT_ARRAY,
    TG_FORMAT_LINES,
    /* LiteLLM's generic API logger, which sends Content-Type application/json
     * whatever its log_format: a JSON array (json_array), JSON Lines (ndjson)
     * or one object (single), told apart by the body; each log in LiteLLM's
     * shape (litellm_log.h). */
    TG_FORMAT_LITELLM,
};

/* How a body sent with this Content-Type (NULL when absent) is read. */
enum tg_ingest_format tg_ingest_body_format(enum tg_ingest_endpoint endpoint, const char *content_type);

struct tg_ingest_batch {
    struct tg_log *logs;
    size_t count, cap;
};

void tg_ingest_batch_free(struct tg_ingest_batch *batch);

struct tg_ingest_failure {
    int status;        /* 400, or 500 when memory ran out */
    bool invalid_json; /* else a log that is JSON but not a valid log */
    char message[300];
    long index;        /* 0-based position of the bad log, -1 when not about one */
    char field[96];
};

struct tg_ingest_body_options {
    const struct tg_pricing *pricing; /* prices logs that came without a cost */
    struct tg_body_codec *codec;      /* cuts and compresses bodies ahead of the writer; NULL: left to it */
    struct tg_msgcache *sent;         /* messages this thread compressed before (see tg_body_prepare) */
    int64_t dict_id;                  /* the dictionary codec uses */
    int64_t now_ms;                   /* the timestamp of a log that has none */
    bool redact;                      /* mask secrets before anything is kept (redact.h) */
    enum tg_litellm_developer litellm_developer; /* TG_FORMAT_LITELLM: who is the developer */
    /* A log with no unique_id nor id is a new request each time (requestid.h):
     * the collector's rule. Off: it is named by the hash of its content. */
    bool fresh_ids;
    const char *idempotency_key; /* with fresh_ids: the request's Idempotency-Key header, or NULL */
};

/* Parses text (len bytes, not NUL-terminated) in format into batch. Returns 0,
 * or -1 with fail filled; the logs parsed before the failure stay in batch for
 * the caller to count and free. */
int tg_ingest_body_parse(const char *text, size_t len, enum tg_ingest_format format,
                         const struct tg_ingest_body_options *options, struct tg_ingest_batch *batch,
                         struct tg_ingest_failure *fail);

#endif
