/* The Respan / Keywords AI adapter (see shared notes: the log-list call is
 * POST request-logs/list/ with page, page_size, sort_by and a time range). */
#include "gateway/gateway_respan.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/secrets.h"
#include "base/timeutil.h"

/* Paths under the base URL, in one place so they can follow the gateway. */
static const char LIST_LOGS_PATH[] = "request-logs/list/";
static const char KEYS_PATH[] = "temporary-keys/";

static void join_url(const char *base, const char *path, char *out, size_t len)
{
    size_t n = strlen(base);
    snprintf(out, len, "%s%s%s", base, n && base[n - 1] == '/' ? "" : "/", path);
}

static void describe_failure(const struct tg_gateway *gw, long status, const char *body, const char *url,
                             struct tg_gateway_error *err)
{
    char masked[64];
    tg_secret_mask(gw->config.api_key, masked, sizeof masked);
    err->status = status;
    err->refused = status == 401 || status == 403;
    if (err->refused)
        snprintf(err->message, sizeof err->message,
                 "the gateway refused the API key %s (HTTP %ld): check RESPAN_API_KEY", masked, status);
    else if (status == 404)
        snprintf(err->message, sizeof err->message, "no log-list endpoint at %.300s (HTTP 404): check RESPAN_BASE_URL",
                 url);
    else
        snprintf(err->message, sizeof err->message, "the gateway answered HTTP %ld: %.200s", status,
                 body ? body : "");
}

/* For the key list, where 404 means the path, not a key. */
static void describe_list_failure(const struct tg_gateway *gw, long status, const char *body,
                                  struct tg_gateway_error *err)
{
    describe_failure(gw, status, body, KEYS_PATH, err);
}

static void describe_logs_failure(const struct tg_gateway *gw, long status, const char *body,
                                  struct tg_gateway_error *err)
{
    char url[2048];
    join_url(gw->config.base_url, LIST_LOGS_PATH, url, sizeof url);
    describe_failure(gw, status, body, url, err);
}

static char *list_request_body(const char *start_iso, const char *end_iso, int page, int page_size)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddNumberToObject(req, "page", page);
    cJSON_AddNumberToObject(req, "page_size", page_size);
    cJSON_AddStringToObject(req, "sort_by", "timestamp");
    if (start_iso)
        cJSON_AddStringToObject(req, "start_time", start_iso);
    if (end_iso)
        cJSON_AddStringToObject(req, "end_time", end_iso);
    cJSON_AddItemToObject(req, "filters", cJSON_CreateObject());
    char *text = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    return text;
}

/* FNV-1a, never 0: tells "next" links apart without keeping them. */
static uint64_t link_hash(const char *text)
{
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h ? h : 1;
}

int tg_respan_read_log_page(cJSON *doc, int page_size, struct tg_log_page *out, struct tg_gateway_error *err)
{
    cJSON *results = cJSON_DetachItemFromObjectCaseSensitive(doc, "results");
    if (!cJSON_IsArray(results)) {
        snprintf(err->message, sizeof err->message, "the gateway's answer has no \"results\" array");
        cJSON_Delete(results);
        return -1;
    }
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(doc, "next");
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(doc, "count");
    out->logs = results;
    /* a count no long holds (1e308, -5) is no count: casting it is undefined */
    bool countable = cJSON_IsNumber(count) && count->valuedouble >= 0 && count->valuedouble < 1e15;
    out->total = countable ? (long)count->valuedouble : -1;
    /* "next" says it when present; otherwise a full page means there may be more */
    out->more = next ? (cJSON_IsString(next) && *next->valuestring) : cJSON_GetArraySize(results) >= page_size;
    out->next_hash = cJSON_IsString(next) && *next->valuestring ? link_hash(next->valuestring) : 0;
    return 0;
}

static int respan_list_logs(struct tg_gateway *gw, const char *start_iso, const char *end_iso, int page,
                            int page_size, struct tg_log_page *out, struct tg_gateway_error *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    char url[2048];
    join_url(gw->config.base_url, LIST_LOGS_PATH, url, sizeof url);
    char *body = list_request_body(start_iso, end_iso, page, page_size);
    cJSON *doc = tg_gateway_json_call(gw, "POST", url, body, describe_logs_failure, err);
    free(body);
    if (!doc)
        return -1;
    int rc = tg_respan_read_log_page(doc, page_size, out, err);
    cJSON_Delete(doc);
    return rc;
}

/* "https://host:port" of a URL, to check that "next" stays on the gateway. */
static size_t origin_length(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p)
        return 0;
    p += 3;
    while (*p && *p != '/')
        p++;
    return (size_t)(p - url);
}

/* In words, what a key's fields say of it: the first reason it is cut off,
 * else "active" (with its expiry, when it has one). */
static void describe_key_state(struct tg_gateway_key *k, bool flagged, int64_t expiry, const char *status)
{
    char when[40] = "";
    if (expiry >= 0)
        tg_time_format_iso(expiry, when, sizeof when);
    if (expiry >= 0 && expiry <= tg_now_ms())
        snprintf(k->state, sizeof k->state, "expired %s", when);
    else if (flagged)
        snprintf(k->state, sizeof k->state, "revoked");
    else if (status && strcmp(status, "active") != 0)
        snprintf(k->state, sizeof k->state, "%.40s", status);
    else if (expiry >= 0)
        snprintf(k->state, sizeof k->state, "active (expires %s)", when);
    else
        snprintf(k->state, sizeof k->state, "active");
}

void tg_respan_read_key(const cJSON *obj, struct tg_gateway_key *k)
{
    tg_json_copy_text(k->id, sizeof k->id, cJSON_GetObjectItemCaseSensitive(obj, "id"));
    tg_json_copy_text(k->name, sizeof k->name, cJSON_GetObjectItemCaseSensitive(obj, "name"));
    const cJSON *owner = cJSON_GetObjectItemCaseSensitive(obj, "created_by_email");
    tg_json_copy_text(k->owner, sizeof k->owner, owner ? owner : cJSON_GetObjectItemCaseSensitive(obj, "owner"));
    char prefix[48] = "";
    tg_json_copy_text(prefix, sizeof prefix, cJSON_GetObjectItemCaseSensitive(obj, "prefix"));
    if (*prefix)
        snprintf(k->shown, sizeof k->shown, "%.8s…", prefix);
    k->created_ms = tg_json_time_ms(obj, "created");
    k->last_used_ms = tg_json_time_ms(obj, "last_used");
    int64_t expiry = tg_json_time_ms(obj, "expiry_date");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(obj, "status");
    bool flagged = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "revoked"));
    bool expired = expiry >= 0 && expiry <= tg_now_ms();
    bool inactive = cJSON_IsString(status) && strcmp(status->valuestring, "active") != 0;
    k->revoked = flagged || expired || inactive;
    k->revoked_ms = expired ? expiry : -1;
    describe_key_state(k, flagged, expiry, cJSON_IsString(status) ? status->valuestring : NULL);
}

int tg_respan_next_page(const cJSON *doc, const char *base_url, char *url, size_t len, struct tg_gateway_error *err)
{
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(doc, "next");
    if (!cJSON_IsString(next) || !*next->valuestring)
        return 0;
    /* the same origin, and ending there: "https://api.respan.ai.evil.example"
     * and "https://api.respan.ai@evil.example" start with the gateway's too */
    size_t origin = origin_length(base_url);
    char after = next->valuestring[strnlen(next->valuestring, origin)];
    bool same = strncmp(next->valuestring, base_url, origin) == 0 &&
                (after == '\0' || after == '/' || after == '?' || after == '#');
    if (!same || strlen(next->valuestring) >= len) {
        snprintf(err->message, sizeof err->message,
                 "the gateway's next page is on another host: not sending the key there");
        return -1;
    }
    snprintf(url, len, "%s", next->valuestring);
    return 1;
}

static int respan_list_keys(struct tg_gateway *gw, struct tg_key_list *out, struct tg_gateway_error *err)
{
    memset(err, 0, sizeof *err);
    char url[2048];
    join_url(gw->config.base_url, KEYS_PATH, url, sizeof url);
    for (int pages = 0; pages < 1000; pages++) {
        cJSON *doc = tg_gateway_json_call(gw, "GET", url, NULL, describe_list_failure, err);
        if (!doc)
            return -1;
        if (tg_gateway_read_keys(doc, "results", tg_respan_read_key, out, err) != 0) {
            cJSON_Delete(doc);
            return -1;
        }
        int more = tg_respan_next_page(doc, gw->config.base_url, url, sizeof url, err);
        if (more < 0) {
            cJSON_Delete(doc);
            return -1;
        }
        cJSON_Delete(doc);
        if (!more)
            return 0;
    }
    snprintf(err->message, sizeof err->message, "the gateway's key list does not end");
    return -1;
}

/* Ids go into a URL path: only the characters ids are made of. */
static int safe_id(const char *id)
{
    if (!*id)
        return 0;
    for (const char *p = id; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.'))
            return 0;
    }
    return 1;
}

static void describe_key_failure(const struct tg_gateway *gw, long status, const char *body, const char *key_id,
                                 struct tg_gateway_error *err)
{
    if (status == 404) {
        err->status = status;
        snprintf(err->message, sizeof err->message, "the gateway has no key with id %.100s (HTTP 404)", key_id);
        return;
    }
    if (status >= 500) {
        err->status = status;
        snprintf(err->message, sizeof err->message, "the gateway failed (HTTP %ld): try again later; it said %.150s",
                 status, body ? body : "");
        return;
    }
    describe_failure(gw, status, body, "", err);
}

static int key_call(struct tg_gateway *gw, const char *method, const char *key_id, const char *body,
                    struct tg_gateway_error *err)
{
    char path[256], url[2048];
    snprintf(path, sizeof path, "%s%s/", KEYS_PATH, key_id);
    join_url(gw->config.base_url, path, url, sizeof url);
    struct tg_http_response resp;
    /* PATCH answers with the key: a garbled answer confirms nothing, so it is
     * retried like no answer (DELETE answers 204 with no body) */
    bool expect_json = body != NULL;
    int rc = tg_http_call(&gw->config.http, method, url, gw->config.api_key, body, expect_json, &resp,
                          err->message, sizeof err->message);
    if (rc == -2) {
        err->not_sent = 1;
        return -1; /* a refused certificate: the message says what to fix */
    }
    if (rc != 0) {
        size_t n = strlen(err->message);
        const char *advice = resp.failure == TG_HTTP_NOT_JSON
                                 ? ": whether it revoked the key is not known (see `tollgate keys`); try again"
                                 : ": the gateway did not answer; try again";
        snprintf(err->message + n, sizeof err->message - n, "%s", advice);
        return -1;
    }
    int ok = resp.status >= 200 && resp.status < 300;
    if (!ok)
        describe_key_failure(gw, resp.status, resp.body, key_id, err);
    else if (tg_gateway_answer_refuses(resp.body, resp.len, resp.status, err))
        ok = 0;
    err->status = resp.status;
    tg_http_response_free(&resp);
    return ok ? 0 : -1;
}

/* The documented way to cut a key off at once: its expiry set to now (its
 * history stays). DELETE is inferred, so only on request. */
static int respan_revoke_key(struct tg_gateway *gw, const char *key_id, int also_delete,
                             struct tg_gateway_error *err)
{
    memset(err, 0, sizeof *err);
    if (!safe_id(key_id)) {
        snprintf(err->message, sizeof err->message, "'%.100s' is not a key id", key_id);
        return -1;
    }
    char now[40], body[96];
    tg_time_format_iso(tg_now_ms(), now, sizeof now);
    snprintf(body, sizeof body, "{\"expiry_date\":\"%s\"}", now);
    if (key_call(gw, "PATCH", key_id, body, err) != 0)
        return -1;
    return also_delete ? key_call(gw, "DELETE", key_id, NULL, err) : 0;
}

/* No call reads one key (none is documented), so the list is read and the
 * key found in it: a key the whole list leaves out is gone. */
static int respan_read_key(struct tg_gateway *gw, const char *key_id, struct tg_gateway_key *out,
                           struct tg_gateway_error *err)
{
    struct tg_key_list list = {0};
    if (respan_list_keys(gw, &list, err) != 0) {
        tg_key_list_free(&list);
        return -1;
    }
    int rc = TG_GATEWAY_KEY_GONE;
    for (size_t i = 0; i < list.count && rc != 0; i++) {
        if (strcmp(list.items[i].id, key_id) == 0) {
            *out = list.items[i];
            rc = 0;
        }
    }
    tg_key_list_free(&list);
    return rc;
}

static const struct tg_gateway_ops respan_ops = {
    .name = "respan",
    .list_logs = respan_list_logs,
    .list_keys = respan_list_keys,
    .revoke_key = respan_revoke_key,
    .read_key = respan_read_key,
};

int tg_gateway_respan(struct tg_gateway *gw, const struct tg_gateway_config *config, char *err, size_t errlen)
{
    if (!config->api_key || !*config->api_key) {
        snprintf(err, errlen, "no API key: set RESPAN_API_KEY");
        return -1;
    }
    if (tg_http_check_gateway_url(config->base_url, "the API key", err, errlen) != 0)
        return -1;
    gw->ops = &respan_ops;
    gw->config = *config;
    return 0;
}
