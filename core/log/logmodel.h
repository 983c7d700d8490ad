/* One gateway request log (Respan / Keywords AI format), parsed and checked.
 * The narrow fields tollgate queries are extracted; the whole original log is
 * kept as text so no field, known or unknown, is ever lost. */
#ifndef TG_LOGMODEL_H
#define TG_LOGMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/money.h"

/* The longest name (model, developer, key, provider) a log may carry, in bytes. */
#define TG_LOG_NAME_MAX 1024

enum tg_cost_kind {
    TG_COST_GATEWAY = 0,   /* the gateway's own figure */
    TG_COST_ESTIMATED = 1, /* priced by tollgate from the pricing table */
    TG_COST_UNPRICED = 2,  /* no cost and no price known: counted as $0, flagged */
    TG_COST_NOT_CHARGED = 3, /* a failed request with no cost given: $0, never estimated */
};

struct tg_log {
    char *log_id;        /* unique_id, else id, else "sha256:" + hash of the canonical log (see no_content_id) */
    int64_t ts_ms;       /* timestamp (request end), else start_time */
    int64_t start_ms;    /* start_time, or -1 */
    char *model, *provider;
    char *developer;     /* customer_identifier, as text */
    char *developer_name, *developer_email;
    char *key_id, *key_name; /* organization_key_id / organization_key_name */
    int64_t prompt_tokens, completion_tokens, total_tokens;
    int64_t cache_read_tokens, cache_creation_tokens;
    bool has_cost;
    tg_nanos cost;
    enum tg_cost_kind cost_kind; /* TG_COST_GATEWAY when has_cost; set by pricing otherwise */
    int64_t latency_ms, ttft_ms; /* -1 when absent */
    int status_code;             /* 0 when absent */
    bool is_error;
    char *error_message;
    char *thread_id, *trace_id;
    char *log_type;
    char *raw;          /* the log as received (or as cJSON printed it, for array elements) */
    size_t raw_len;
    /* raw cut and compressed for storage, when done ahead (on the ingest
     * workers or the collector's threads); NULL and the store does it. One
     * malloc block (see body.h). */
    struct tg_body_prepared *body;
};

/* Which way a log was wrong. Callers tell errors apart by this, never by the
 * message, whose text can carry a name taken from the log itself. */
enum tg_log_error_kind {
    TG_LOG_ERROR_INVALID_LOG = 0, /* JSON, but not a log we accept */
    TG_LOG_ERROR_INVALID_JSON,    /* not JSON at all (or nested past the limit) */
};

/* What a rejected log did wrong: the field (dotted path, "" for the whole log)
 * and a message naming it. */
struct tg_log_error {
    char field[96];
    char message[256];
    enum tg_log_error_kind kind;
};

struct tg_log_parse_options {
    /* Used when a log has neither timestamp nor start_time (a client's log-create
     * call); 0 makes the timestamp required. */
    int64_t default_ts_ms;
    /* Mask secrets in the kept text (see redact.h), after the id is taken. */
    bool redact;
    /* Leave log_id NULL when the log has neither unique_id nor id, instead of
     * the hash of its content: the caller names it (the collector, where each
     * call is a new request; see ingest/requestid.h). */
    bool no_content_id;
};

/* Parses JSON text holding one log object. raw is kept as given. Returns 0, or
 * -1 with err filled; out is then empty. */
int tg_log_parse_text(const char *text, size_t len, const struct tg_log_parse_options *options,
                      struct tg_log *out, struct tg_log_error *err);

/* Same, from an already parsed object; raw may be NULL, then the object is
 * printed to keep it. */
int tg_log_parse_object(const cJSON *obj, const char *raw, size_t raw_len,
                        const struct tg_log_parse_options *options, struct tg_log *out,
                        struct tg_log_error *err);

void tg_log_free(struct tg_log *log);

/* The request and response messages of a parsed log object, in one shape
 * whichever form the log used (prompt_messages / completion_message(s) or the
 * JSON-encoded input / output strings). Each is a new cJSON array the caller
 * deletes, or NULL when the log has none. */
void tg_log_messages(const cJSON *obj, cJSON **prompt, cJSON **completion);

#endif
