#include "gateway/gateway.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/timeutil.h"

void tg_key_list_free(struct tg_key_list *list)
{
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

struct tg_gateway_key *tg_key_list_add(struct tg_key_list *list)
{
    struct tg_gateway_key *items = realloc(list->items, (list->count + 1) * sizeof *items);
    if (!items)
        return NULL;
    list->items = items;
    struct tg_gateway_key *k = &items[list->count++];
    memset(k, 0, sizeof *k);
    k->created_ms = k->last_used_ms = k->revoked_ms = -1;
    return k;
}

cJSON *tg_gateway_json_call(const struct tg_gateway *gw, const char *method, const char *url, const char *body,
                            tg_gateway_describe_fn describe, struct tg_gateway_error *err)
{
    struct tg_http_response resp;
    if (tg_http_call(&gw->config.http, method, url, gw->config.api_key, body, true, &resp, err->message,
                     sizeof err->message) != 0)
        return NULL;
    err->status = resp.status;
    if (resp.status < 200 || resp.status >= 300) {
        describe(gw, resp.status, resp.body, err);
        tg_http_response_free(&resp);
        return NULL;
    }
    cJSON *doc = cJSON_ParseWithLength(resp.body, resp.len);
    tg_http_response_free(&resp);
    if (!doc)
        snprintf(err->message, sizeof err->message, "the gateway's answer is not JSON");
    return doc;
}

void tg_json_copy_text(char *dst, size_t len, const cJSON *item)
{
    if (cJSON_IsString(item))
        snprintf(dst, len, "%s", item->valuestring);
    else if (cJSON_IsNumber(item))
        snprintf(dst, len, "%.0f", item->valuedouble);
}

int64_t tg_json_time_ms(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    int64_t ms;
    return cJSON_IsString(item) && tg_time_parse_iso(item->valuestring, &ms) == 0 ? ms : -1;
}

int tg_gateway_read_keys(const cJSON *doc, const char *field, void (*read)(const cJSON *item, struct tg_gateway_key *key),
                         struct tg_key_list *out, struct tg_gateway_error *err)
{
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, field);
    if (!cJSON_IsArray(items)) {
        snprintf(err->message, sizeof err->message, "the gateway's key list has no \"%s\" array", field);
        return -1;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, items) {
        struct tg_gateway_key *k = tg_key_list_add(out);
        if (!k) {
            snprintf(err->message, sizeof err->message, "out of memory");
            return -1;
        }
        read(item, k);
    }
    return 0;
}

/* The words of an "error" field: a string, or an object's "message". */
static const char *error_words(const cJSON *error)
{
    if (cJSON_IsString(error))
        return error->valuestring;
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");
    return cJSON_IsString(message) ? message->valuestring : NULL;
}

int tg_gateway_answer_refuses(const char *body, size_t len, long status, struct tg_gateway_error *err)
{
    if (!body || !len)
        return 0;
    cJSON *doc = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return 0;
    }
    const cJSON *success = cJSON_GetObjectItemCaseSensitive(doc, "success");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(doc, "error");
    const char *words = error_words(error);
    bool has_error = (words && *words) || (cJSON_IsObject(error) && error->child);
    int refuses = cJSON_IsFalse(success) || (has_error && !cJSON_IsTrue(success));
    if (refuses) {
        err->status = status;
        snprintf(err->message, sizeof err->message, "the gateway answered HTTP %ld but said it failed: %.200s",
                 status, words && *words ? words : "no reason given");
    }
    cJSON_Delete(doc);
    return refuses;
}
