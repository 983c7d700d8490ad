#include "ingest/ingest_body.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "base/jsonsplit.h"
#include "ingest/requestid.h"

/* The media type without parameters, compared case-insensitively. */
static bool media_type_is(const char *header, const char *type)
{
    size_t n = strlen(type);
    return header && strncasecmp(header, type, n) == 0 && (header[n] == '\0' || header[n] == ';' || header[n] == ' ');
}

static bool is_ndjson(const char *content_type)
{
    return media_type_is(content_type, "application/x-ndjson") || media_type_is(content_type, "application/jsonl") ||
           media_type_is(content_type, "application/json-lines");
}

enum tg_ingest_format tg_ingest_body_format(enum tg_ingest_endpoint endpoint, const char *content_type)
{
    if (endpoint == TG_ENDPOINT_LITELLM)
        return media_type_is(content_type, "application/json") || is_ndjson(content_type) ? TG_FORMAT_LITELLM
                                                                                          : TG_FORMAT_UNSUPPORTED;
    if (endpoint == TG_ENDPOINT_LOGS && is_ndjson(content_type))
        return TG_FORMAT_LINES;
    if (!media_type_is(content_type, "application/json"))
        return TG_FORMAT_UNSUPPORTED;
    return endpoint == TG_ENDPOINT_CREATE ? TG_FORMAT_ONE_LOG : TG_FORMAT_ARRAY;
}

void tg_ingest_batch_free(struct tg_ingest_batch *b)
{
    for (size_t i = 0; i < b->count; i++)
        tg_log_free(&b->logs[i]);
    free(b->logs);
    b->logs = NULL;
    b->count = b->cap = 0;
}

static struct tg_log *batch_slot(struct tg_ingest_batch *b)
{
    if (b->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        struct tg_log *p = realloc(b->logs, cap * sizeof *p);
        if (!p)
            return NULL;
        b->logs = p;
        b->cap = cap;
    }
    return &b->logs[b->count];
}

struct parse_ctx {
    const struct tg_ingest_body_options *opt;
    struct tg_ingest_batch *b;
    struct tg_ingest_failure *fail;
    bool litellm; /* logs in LiteLLM's shape */
};

static int add_log(struct parse_ctx *p, const char *text, size_t len, long index)
{
    struct tg_log *slot = batch_slot(p->b);
    struct tg_ingest_failure *fail = p->fail;
    if (!slot) {
        fail->status = 500;
        snprintf(fail->message, sizeof fail->message, "out of memory");
        return -1;
    }
    struct tg_log_parse_options opt = {
        .default_ts_ms = p->opt->now_ms, .redact = p->opt->redact, .no_content_id = p->opt->fresh_ids};
    struct tg_log_error error;
    int rc = p->litellm ? tg_litellm_parse_text(text, len, p->opt->litellm_developer, &opt, slot, &error)
                        : tg_log_parse_text(text, len, &opt, slot, &error);
    if (rc != 0) {
        fail->status = 400;
        fail->invalid_json = error.kind == TG_LOG_ERROR_INVALID_JSON;
        snprintf(fail->message, sizeof fail->message, "%s", error.message);
        snprintf(fail->field, sizeof fail->field, "%s", error.field);
        fail->index = index;
        return -1;
    }
    if (!slot->log_id && tg_request_id_assign(slot, p->opt->idempotency_key, index) != 0) {
        tg_log_free(slot);
        fail->status = 500;
        snprintf(fail->message, sizeof fail->message, "out of memory naming the log");
        return -1;
    }
    tg_pricing_price_log(p->opt->pricing, slot);
    char err[128];
    if (p->opt->codec && tg_body_prepare_log(p->opt->codec, p->opt->sent, true, slot, &slot->body, err, sizeof err) == 0)
        slot->body->dict_id = p->opt->dict_id;
    p->b->count++;
    return 0;
}

static int add_element(void *ctx, const char *text, size_t len, long index)
{
    return add_log(ctx, text, len, index) != 0 ? 1 : 0;
}

/* JSON Lines: each non-blank line one log, its exact text kept. */
static int parse_lines(struct parse_ctx *p, const char *text, size_t len)
{
    long index = 0;
    const char *q = text, *end = text + len;
    while (q < end) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        const char *stop = nl ? nl + 1 : end;
        bool blank = true;
        for (const char *r = q; r < stop && blank; r++)
            blank = *r == ' ' || *r == '\t' || *r == '\r' || *r == '\n';
        if (!blank && add_log(p, q, (size_t)(stop - q), index++) != 0)
            return -1;
        q = stop;
    }
    return 0;
}

/* An array: each element keeps its exact bytes, none is printed back. */
static int parse_array(struct parse_ctx *p, const char *text, size_t len)
{
    size_t at;
    int rc = tg_json_split_array(text, len, add_element, p, &at);
    if (rc >= 0)
        return rc == 0 ? 0 : -1;
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (i < len && text[i] != '[')
        snprintf(p->fail->message, sizeof p->fail->message, "expected a JSON array of logs");
    else
        snprintf(p->fail->message, sizeof p->fail->message, "invalid JSON near byte %zu", at + 1);
    return -1;
}

/* One object alone (log_format single, perhaps pretty-printed): one log; a
 * body of several lines that is not one value: JSON Lines (ndjson). */
static int parse_litellm(struct parse_ctx *p, const char *text, size_t len)
{
    p->litellm = true;
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (i < len && text[i] == '[')
        return parse_array(p, text, len);
    const char *end = NULL;
    cJSON *one = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    bool single = one != NULL;
    for (const char *q = end; single && q < text + len; q++)
        single = *q == ' ' || *q == '\t' || *q == '\r' || *q == '\n';
    cJSON_Delete(one);
    return single ? add_log(p, text, len, 0) : parse_lines(p, text, len);
}

int tg_ingest_body_parse(const char *text, size_t len, enum tg_ingest_format format,
                         const struct tg_ingest_body_options *options, struct tg_ingest_batch *batch,
                         struct tg_ingest_failure *fail)
{
    memset(fail, 0, sizeof *fail);
    fail->index = -1;
    fail->invalid_json = true;
    fail->status = 400;
    struct parse_ctx p = {options, batch, fail, false};
    size_t lead = 0;
    while (lead < len && (text[lead] == ' ' || text[lead] == '\t' || text[lead] == '\r' || text[lead] == '\n'))
        lead++;
    if (options->fresh_ids && options->idempotency_key &&
        tg_idempotency_key_check(options->idempotency_key, fail->message, sizeof fail->message) != 0) {
        fail->invalid_json = false;
        snprintf(fail->field, sizeof fail->field, "Idempotency-Key");
        return -1;
    }
    if (lead == len && format != TG_FORMAT_UNSUPPORTED) { /* a client bug, not an empty batch (that is []) */
        snprintf(fail->message, sizeof fail->message, "empty body");
        return -1;
    }
    switch (format) {
    case TG_FORMAT_LINES:
        return parse_lines(&p, text, len);
    case TG_FORMAT_ONE_LOG:
        return add_log(&p, text, len, 0);
    case TG_FORMAT_ARRAY:
        return parse_array(&p, text, len);
    case TG_FORMAT_LITELLM:
        return parse_litellm(&p, text, len);
    case TG_FORMAT_UNSUPPORTED:
        break;
    }
    fail->status = 415;
    snprintf(fail->message, sizeof fail->message, "unsupported Content-Type");
    return -1;
}
