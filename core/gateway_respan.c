/* The Respan / Keywords AI adapter (see shared notes: the log-list call is
 * POST request-logs/list/ with page, page_size, sort_by and a time range). */
#include "gateway_respan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secrets.h"

/* Paths under the base URL, in one place so they can follow the gateway. */
static const char LIST_LOGS_PATH[] = "request-logs/list/";

static int loopback_http(const char *url)
{
    static const char *const ok[] = {"http://127.", "http://localhost:", "http://localhost/", "http://[::1]"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (strncmp(url, ok[i], strlen(ok[i])) == 0)
            return 1;
    }
    return 0;
}

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

static int respan_list_logs(struct tg_gateway *gw, const char *start_iso, const char *end_iso, int page,
                            int page_size, struct tg_log_page *out, struct tg_gateway_error *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    char url[2048];
    join_url(gw->config.base_url, LIST_LOGS_PATH, url, sizeof url);
    char *body = list_request_body(start_iso, end_iso, page, page_size);
    struct tg_http_response resp;
    int rc = tg_http_call(&gw->config.http, "POST", url, gw->config.api_key, body, true, &resp, err->message,
                          sizeof err->message);
    free(body);
    if (rc != 0)
        return -1;
    if (resp.status < 200 || resp.status >= 300) {
        describe_failure(gw, resp.status, resp.body, url, err);
        tg_http_response_free(&resp);
        return -1;
    }
    cJSON *doc = cJSON_ParseWithLength(resp.body, resp.len);
    tg_http_response_free(&resp);
    cJSON *results = cJSON_DetachItemFromObjectCaseSensitive(doc, "results");
    if (!cJSON_IsArray(results)) {
        snprintf(err->message, sizeof err->message, "the gateway's answer has no \"results\" array");
        cJSON_Delete(results);
        cJSON_Delete(doc);
        return -1;
    }
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(doc, "next");
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(doc, "count");
    out->logs = results;
    out->total = cJSON_IsNumber(count) ? (long)count->valuedouble : -1;
    /* "next" says it when present; otherwise a full page means there may be more */
    out->more = next ? (cJSON_IsString(next) && *next->valuestring) : cJSON_GetArraySize(results) >= page_size;
    cJSON_Delete(doc);
    return 0;
}

static const struct tg_gateway_ops respan_ops = {
    .name = "respan",
    .list_logs = respan_list_logs,
};

int tg_gateway_respan(struct tg_gateway *gw, const struct tg_gateway_config *config, char *err, size_t errlen)
{
    if (!config->api_key || !*config->api_key) {
        snprintf(err, errlen, "no API key: set RESPAN_API_KEY");
        return -1;
    }
    if (strncmp(config->base_url, "https://", 8) != 0 && !loopback_http(config->base_url)) {
        snprintf(err, errlen, "refusing to send the API key to %s: use https:// (plain http only to loopback)",
                 config->base_url);
        return -1;
    }
    gw->ops = &respan_ops;
    gw->config = *config;
    return 0;
}
