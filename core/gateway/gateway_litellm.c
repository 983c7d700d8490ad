/* LiteLLM proxy: GET /key/list, POST /key/block (reversible), POST /key/delete,
 * GET /spend/logs/v2 (the SpendLogs table, paged). */
#include "gateway/gateway_litellm.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/secrets.h"
#include "base/timeutil.h"

static const char LIST_PATH[] = "key/list?return_full_object=true&size=100&page=%d";
static const char BLOCK_PATH[] = "key/block";
static const char DELETE_PATH[] = "key/delete";
/* Paged, oldest first; dates are "YYYY-MM-DD HH:MM:SS" in UTC, both ends inclusive. */
static const char SPEND_LOGS_PATH[] =
    "spend/logs/v2?start_date=%s&end_date=%s&page=%d&page_size=%d&sort_by=startTime&sort_order=asc";

static void url_for(const struct tg_gateway *gw, const char *path, char *out, size_t len)
{
    size_t n = strlen(gw->config.base_url);
    snprintf(out, len, "%s%s%s", gw->config.base_url, n && gw->config.base_url[n - 1] == '/' ? "" : "/", path);
}

static void failure(const struct tg_gateway *gw, long status, const char *body, struct tg_gateway_error *err)
{
    char masked[64];
    tg_secret_mask(gw->config.api_key, masked, sizeof masked);
    err->status = status;
    err->refused = status == 401 || status == 403;
    if (err->refused)
        snprintf(err->message, sizeof err->message,
                 "the proxy refused the master key %s (HTTP %ld): check LITELLM_MASTER_KEY", masked, status);
    else if (status == 404)
        snprintf(err->message, sizeof err->message, "the proxy has no such key (HTTP 404)");
    else if (status >= 500)
        snprintf(err->message, sizeof err->message, "the proxy failed (HTTP %ld): try again later; it said %.150s",
                 status, body ? body : "");
    else
        snprintf(err->message, sizeof err->message, "the proxy answered HTTP %ld: %.200s", status, body ? body : "");
}

void tg_litellm_read_key(const cJSON *obj, struct tg_gateway_key *k)
{
    if (!cJSON_IsObject(obj)) { /* without return_full_object: just the token */
        tg_json_copy_text(k->id, sizeof k->id, obj);
        return;
    }
    tg_json_copy_text(k->id, sizeof k->id, cJSON_GetObjectItemCaseSensitive(obj, "token"));
    tg_json_copy_text(k->name, sizeof k->name, cJSON_GetObjectItemCaseSensitive(obj, "key_alias"));
    if (!*k->name)
        tg_json_copy_text(k->name, sizeof k->name, cJSON_GetObjectItemCaseSensitive(obj, "key_name"));
    tg_json_copy_text(k->shown, sizeof k->shown, cJSON_GetObjectItemCaseSensitive(obj, "key_name")); /* "sk-...abcd" */
    /* the owner as LiteLLM's logs name the developer by default (litellm_log.h):
     * user_id, else the user's e-mail */
    tg_json_copy_text(k->owner, sizeof k->owner, cJSON_GetObjectItemCaseSensitive(obj, "user_id"));
    if (!*k->owner)
        tg_json_copy_text(k->owner, sizeof k->owner, cJSON_GetObjectItemCaseSensitive(obj, "user_email"));
    tg_json_copy_text(k->team, sizeof k->team, cJSON_GetObjectItemCaseSensitive(obj, "team_alias"));
    if (!*k->team)
        tg_json_copy_text(k->team, sizeof k->team, cJSON_GetObjectItemCaseSensitive(obj, "team_id"));
    k->created_ms = tg_json_time_ms(obj, "created_at");
    k->last_used_ms = tg_json_time_ms(obj, "last_active");
    int64_t expires = tg_json_time_ms(obj, "expires");
    k->revoked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "blocked")) ||
                 (expires >= 0 && expires <= tg_now_ms());
}

static int litellm_list_keys(struct tg_gateway *gw, struct tg_key_list *out, struct tg_gateway_error *err)
{
    memset(err, 0, sizeof *err);
    for (int page = 1; page <= 1000; page++) {
        char path[128], url[2048];
        snprintf(path, sizeof path, LIST_PATH, page);
        url_for(gw, path, url, sizeof url);
        cJSON *doc = tg_gateway_json_call(gw, "GET", url, NULL, failure, err);
        if (!doc)
            return -1;
        if (tg_gateway_read_keys(doc, "keys", tg_litellm_read_key, out, err) != 0) {
            cJSON_Delete(doc);
            return -1;
        }
        const cJSON *pages = cJSON_GetObjectItemCaseSensitive(doc, "total_pages");
        /* compared as a double: casting 1e308 to int is undefined */
        int last = !cJSON_IsNumber(pages) || page >= pages->valuedouble;
        cJSON_Delete(doc);
        if (last)
            return 0;
    }
    return 0;
}

/* POSTs change state and are not known to be idempotent: one attempt only. */
static int post_once(struct tg_gateway *gw, const char *path, const char *body, struct tg_gateway_error *err)
{
    char url[2048];
    url_for(gw, path, url, sizeof url);
    struct tg_http_options once = gw->config.http;
    once.max_attempts = 1;
    struct tg_http_response resp;
    int rc = tg_http_call(&once, "POST", url, gw->config.api_key, body, false, &resp, err->message,
                          sizeof err->message);
    if (rc == -2) {
        err->not_sent = 1;
        return -1; /* a refused certificate: the message says what to fix */
    }
    if (rc != 0) {
        size_t n = strlen(err->message);
        snprintf(err->message + n, sizeof err->message - n, ": the proxy did not answer; try again");
        return -1;
    }
    int ok = resp.status >= 200 && resp.status < 300;
    if (!ok)
        failure(gw, resp.status, resp.body, err);
    else if (tg_gateway_answer_refuses(resp.body, resp.len, resp.status, err))
        ok = 0;
    err->status = resp.status;
    tg_http_response_free(&resp);
    return ok ? 0 : -1;
}

static int litellm_revoke_key(struct tg_gateway *gw, const char *key_id, int also_delete,
                              struct tg_gateway_error *err)
{
    memset(err, 0, sizeof *err);
    cJSON *block = cJSON_CreateObject();
    cJSON_AddStringToObject(block, "key", key_id);
    char *body = cJSON_PrintUnformatted(block);
    cJSON_Delete(block);
    int rc = post_once(gw, BLOCK_PATH, body, err);
    free(body);
    if (rc != 0 || !also_delete)
        return rc;
    cJSON *del = cJSON_CreateObject();
    cJSON *keys = cJSON_AddArrayToObject(del, "keys");
    cJSON_AddItemToArray(keys, cJSON_CreateString(key_id));
    body = cJSON_PrintUnformatted(del);
    cJSON_Delete(del);
    rc = post_once(gw, DELETE_PATH, body, err);
    free(body);
    return rc;
}

/* "2026-11-01T10:00:00.250Z" as the proxy's "2026-11-01%2010:00:00". */
static void proxy_date(const char *iso, char *out, size_t len)
{
    snprintf(out, len, "%.10s%%20%.8s", iso, strlen(iso) >= 19 ? iso + 11 : "00:00:00");
}

int tg_litellm_read_log_page(const cJSON *doc, int page, struct tg_log_page *out, struct tg_gateway_error *err)
{
    memset(out, 0, sizeof *out);
    out->total = -1;
    const cJSON *rows = cJSON_IsArray(doc) ? doc : cJSON_GetObjectItemCaseSensitive(doc, "data");
    if (!cJSON_IsArray(rows)) {
        snprintf(err->message, sizeof err->message, "the proxy's spend logs have no \"data\" array");
        return -1;
    }
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(doc, "total");
    const cJSON *pages = cJSON_GetObjectItemCaseSensitive(doc, "total_pages");
    if (cJSON_IsNumber(total) && total->valuedouble >= 0 && total->valuedouble < 1e15)
        out->total = (long)total->valuedouble;
    /* compared as doubles: casting a huge number to int is undefined */
    out->more = cJSON_IsNumber(pages) && (double)page < pages->valuedouble;
    out->logs = cJSON_Duplicate(rows, 1);
    if (!out->logs) {
        snprintf(err->message, sizeof err->message, "out of memory");
        return -1;
    }
    return 0;
}

static int litellm_list_logs(struct tg_gateway *gw, const char *start_iso, const char *end_iso, int page,
                             int page_size, struct tg_log_page *out, struct tg_gateway_error *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    char start[40], end[40], path[256], url[2048];
    proxy_date(start_iso, start, sizeof start);
    proxy_date(end_iso, end, sizeof end);
    snprintf(path, sizeof path, SPEND_LOGS_PATH, start, end, page, page_size);
    url_for(gw, path, url, sizeof url);
    cJSON *doc = tg_gateway_json_call(gw, "GET", url, NULL, failure, err);
    if (!doc)
        return -1;
    int rc = tg_litellm_read_log_page(doc, page, out, err);
    cJSON_Delete(doc);
    return rc;
}

/* A key id (a token hash, or "sk-...") as a query parameter. */
static void query_escape(const char *in, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && n + 4 < len; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '_' || *p == '.' || *p == '~') {
            out[n++] = (char)*p;
        } else {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    out[n] = '\0';
}

/* /key/info's "info": blocked, or expired, is cut off. */
static void read_key_info(const cJSON *info, const char *key_id, struct tg_gateway_key *k)
{
    memset(k, 0, sizeof *k);
    k->created_ms = k->last_used_ms = k->revoked_ms = -1;
    snprintf(k->id, sizeof k->id, "%s", key_id);
    tg_json_copy_text(k->name, sizeof k->name, cJSON_GetObjectItemCaseSensitive(info, "key_alias"));
    int64_t expires = tg_json_time_ms(info, "expires");
    char when[40] = "";
    if (expires >= 0)
        tg_time_format_iso(expires, when, sizeof when);
    bool blocked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(info, "blocked"));
    bool expired = expires >= 0 && expires <= tg_now_ms();
    k->revoked = blocked || expired;
    k->revoked_ms = expired ? expires : -1;
    if (blocked)
        snprintf(k->state, sizeof k->state, "blocked");
    else if (expired)
        snprintf(k->state, sizeof k->state, "expired %s", when);
    else if (expires >= 0)
        snprintf(k->state, sizeof k->state, "active (expires %s)", when);
    else
        snprintf(k->state, sizeof k->state, "active");
}

/* GET /key/info?key=...: a key the proxy does not have is 404. */
static int litellm_read_key(struct tg_gateway *gw, const char *key_id, struct tg_gateway_key *out,
                            struct tg_gateway_error *err)
{
    memset(err, 0, sizeof *err);
    char escaped[3 * sizeof out->id + 1], path[sizeof escaped + 32], url[2048];
    query_escape(key_id, escaped, sizeof escaped);
    snprintf(path, sizeof path, "key/info?key=%s", escaped);
    url_for(gw, path, url, sizeof url);
    cJSON *doc = tg_gateway_json_call(gw, "GET", url, NULL, failure, err);
    if (!doc)
        return err->status == 404 ? TG_GATEWAY_KEY_GONE : -1;
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(doc, "info");
    if (!cJSON_IsObject(info)) {
        snprintf(err->message, sizeof err->message, "the proxy's /key/info answer has no \"info\" object");
        cJSON_Delete(doc);
        return -1;
    }
    read_key_info(info, key_id, out);
    cJSON_Delete(doc);
    return 0;
}

static const struct tg_gateway_ops litellm_ops = {
    .name = "litellm",
    .list_logs = litellm_list_logs,
    .list_keys = litellm_list_keys,
    .revoke_key = litellm_revoke_key,
    .read_key = litellm_read_key,
};

int tg_gateway_litellm(struct tg_gateway *gw, const struct tg_gateway_config *config, char *err, size_t errlen)
{
    if (!config->base_url || !*config->base_url) {
        snprintf(err, errlen, "no proxy address: set LITELLM_BASE_URL");
        return -1;
    }
    if (!config->api_key || !*config->api_key) {
        snprintf(err, errlen, "no master key: set LITELLM_MASTER_KEY");
        return -1;
    }
    if (tg_http_check_gateway_url(config->base_url, "the master key", err, errlen) != 0)
        return -1;
    gw->ops = &litellm_ops;
    gw->config = *config;
    return 0;
}
