/* libFuzzer target: a collector request body, through the same code the server
 * runs between receiving the body and handing the batch to the writer
 * (tg_ingest_body_format, tg_ingest_body_parse: parse, price, compress). The input's first
 * line names the endpoint and the Content-Type, the rest is the body:
 *
 *   logs application/x-ndjson
 *   {"unique_id":"a",...}
 *
 * Every body must end as a batch or as a 4xx with a message, never a crash, a
 * leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/body.h"
#include "ingest/ingest_body.h"
#include "log/pricing.h"

static struct tg_pricing *pricing;
static struct tg_body_codec *codec;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256];
    pricing = tg_pricing_new();
    codec = tg_body_codec_new();
    if (!pricing || !codec || tg_pricing_merge_builtin(pricing, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_ingest_http: cannot set up: %s\n", err);
        abort();
    }
    return 0;
}

static enum tg_ingest_endpoint endpoint_named(const char *head, size_t len)
{
    if (len >= 6 && memcmp(head, "create", 6) == 0)
        return TG_ENDPOINT_CREATE;
    if (len >= 6 && memcmp(head, "traces", 6) == 0)
        return TG_ENDPOINT_TRACES;
    return TG_ENDPOINT_LOGS;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    size_t head_len = nl ? (size_t)(nl - text) : size;
    const char *space = memchr(text, ' ', head_len);
    char type[256] = "";
    if (space) { /* absent when the line has no space: no Content-Type header */
        size_t n = head_len - (size_t)(space + 1 - text);
        if (n >= sizeof type)
            n = sizeof type - 1;
        memcpy(type, space + 1, n);
        type[n] = '\0';
    }
    enum tg_ingest_format format = tg_ingest_body_format(endpoint_named(text, head_len), space ? type : NULL);
    /* the server's body buffer is not NUL-terminated either: a copy of exactly
     * the body's bytes lets ASan see any read past its end */
    size_t body_len = nl ? size - head_len - 1 : 0;
    char *body = malloc(body_len ? body_len : 1);
    if (!body)
        return 0;
    if (body_len)
        memcpy(body, nl + 1, body_len);
    struct tg_ingest_body_options opt = {.pricing = pricing, .codec = codec, .dict_id = 0, .now_ms = 1793527200000};
    struct tg_ingest_batch batch = {0};
    struct tg_ingest_failure fail;
    if (tg_ingest_body_parse(body, body_len, format, &opt, &batch, &fail) != 0) {
        /* the answer must be a 4xx (or 500 out of memory) with a reason */
        if (fail.status < 400 || fail.status > 500 || !fail.message[0])
            abort();
    } else {
        for (size_t i = 0; i < batch.count; i++)
            if (!batch.logs[i].log_id || !batch.logs[i].raw)
                abort();
    }
    tg_ingest_batch_free(&batch);
    free(body);
    return 0;
}
