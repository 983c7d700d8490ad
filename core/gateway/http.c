#include "gateway/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#define MAX_BODY (256u << 20) /* a page of logs is far smaller: anything bigger is an error */

int tg_http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

/* A host as libcurl gives it: "127.0.0.1" (numeric forms such as "127.1"
 * already written out), "[::1]", a name. */
static bool loopback_host(const char *host)
{
    if (strcasecmp(host, "localhost") == 0)
        return true;
    struct in_addr v4;
    if (inet_pton(AF_INET, host, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    size_t n = strlen(host);
    if (n < 3 || host[0] != '[' || host[n - 1] != ']')
        return false;
    char bare[64];
    snprintf(bare, sizeof bare, "%.*s", (int)(n - 2), host + 1);
    struct in6_addr v6;
    return inet_pton(AF_INET6, bare, &v6) == 1 && memcmp(&v6, &in6addr_loopback, sizeof v6) == 0;
}

/* Whether the URL names a user or password (an empty one too: "http://:@h"). */
static bool has_userinfo(CURLU *u)
{
    static const CURLUPart parts[] = {CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char *part = NULL;
        CURLUcode rc = curl_url_get(u, parts[i], &part, 0);
        curl_free(part);
        if (rc == CURLUE_OK)
            return true;
    }
    return false;
}

static int check_parsed_url(CURLU *u, const char *url, const char *secret, char *err, size_t errlen)
{
    char *scheme = NULL, *host = NULL;
    int rc = -1;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        snprintf(err, errlen, "refusing to send %s: the gateway URL names no host", secret);
    } else if (has_userinfo(u)) {
        snprintf(err, errlen, "refusing to send %s to a gateway URL with a user name or password in it (host %.200s): "
                 "give the gateway's address only", secret, host);
    } else if (strcasecmp(scheme, "https") == 0 || (strcasecmp(scheme, "http") == 0 && loopback_host(host))) {
        rc = 0;
    } else {
        snprintf(err, errlen, "refusing to send %s to %.300s: use https:// (plain http only to loopback: 127.0.0.0/8, "
                 "[::1] or localhost)", secret, url);
    }
    curl_free(scheme);
    curl_free(host);
    return rc;
}

int tg_http_check_gateway_url(const char *url, const char *secret, char *err, size_t errlen)
{
    if (!url || !*url) {
        snprintf(err, errlen, "refusing to send %s: no gateway URL", secret);
        return -1;
    }
    CURLU *u = curl_url();
    if (!u) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc;
    CURLUcode parsed = curl_url_set(u, CURLUPART_URL, url, 0);
    if (parsed != CURLUE_OK) {
        /* not repeated: a URL curl cannot read may still hold a password */
        snprintf(err, errlen, "refusing to send %s: the gateway URL is not a valid http(s) URL (%s)", secret,
                 curl_url_strerror(parsed));
        rc = -1;
    } else {
        rc = check_parsed_url(u, url, secret, err, errlen);
    }
    curl_url_cleanup(u);
    return rc;
}

static long env_long(const char *name, long fallback)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return fallback;
    char *end;
    long n = strtol(v, &end, 10);
    return *end || n <= 0 ? fallback : n;
}

/* The test hooks are read once, not on every call: the environment does not
 * change, and getenv beside another thread's setenv is not safe anyway. */
static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static long default_timeout_ms, default_retry_base_ms;

static void read_env_defaults(void)
{
    default_timeout_ms = env_long("TOLLGATE_HTTP_TIMEOUT_MS", 30000);
    default_retry_base_ms = env_long("TOLLGATE_RETRY_BASE_MS", 500);
}

void tg_http_defaults(struct tg_http_options *o)
{
    pthread_once(&env_once, read_env_defaults);
    if (!o->connect_timeout_ms)
        o->connect_timeout_ms = 5000;
    if (!o->timeout_ms)
        o->timeout_ms = default_timeout_ms;
    if (!o->max_attempts)
        o->max_attempts = 6;
    if (!o->retry_base_ms)
        o->retry_base_ms = default_retry_base_ms;
    if (!o->retry_cap_ms)
        o->retry_cap_ms = 30000;
}

struct sink {
    char *data;
    size_t len;
    bool too_big;
    long retry_after_ms; /* -1 when absent */
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    if (s->len + n > MAX_BODY) {
        s->too_big = true;
        return 0;
    }
    char *p = realloc(s->data, s->len + n + 1);
    if (!p)
        return 0;
    memcpy(p + s->len, ptr, n);
    s->data = p;
    s->len += n;
    s->data[s->len] = '\0';
    return n;
}

/* Retry-After is seconds or an HTTP date. */
static long parse_retry_after(const char *value)
{
    while (*value == ' ')
        value++;
    char *end;
    long secs = strtol(value, &end, 10);
    if (end != value && (*end == '\0' || *end == '\r' || *end == '\n' || *end == ' '))
        return secs < 0 ? 0 : secs * 1000;
    time_t when = curl_getdate(value, NULL);
    if (when < 0)
        return -1;
    long diff = (long)(when - time(NULL));
    return diff > 0 ? diff * 1000 : 0;
}

static size_t on_header(char *buffer, size_t size, size_t nitems, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nitems;
    if (n > 12 && strncasecmp(buffer, "Retry-After:", 12) == 0) {
        char value[128];
        snprintf(value, sizeof value, "%.*s", (int)(n - 12), buffer + 12);
        s->retry_after_ms = parse_retry_after(value);
    }
    return n;
}

static bool retryable_status(long status)
{
    return status == 408 || status == 429 || status >= 500;
}

static bool is_json(const char *text, size_t len)
{
    cJSON *doc = cJSON_ParseWithLength(text, len);
    cJSON_Delete(doc);
    return doc != NULL;
}

/* A certificate the client refuses stays refused: retrying only hammers the
 * gateway and delays the message that someone has to fix the certificate. */
static bool tls_refusal(CURLcode rc)
{
    return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM ||
           rc == CURLE_SSL_ISSUER_ERROR || rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
}

/* One attempt: 0 with a status, 1 with why in err when no answer came and a
 * retry cannot help (TLS), -1 with why in err when no answer came. */
static int attempt(const struct tg_http_options *o, const char *method, const char *url, const char *bearer,
                   const char *body, struct sink *sink, long *status, char *err, size_t errlen)
{
    CURL *curl = curl_easy_init();
    if (!curl) {
        snprintf(err, errlen, "cannot start libcurl");
        return -1;
    }
    struct curl_slist *headers = NULL;
    char auth[4096];
    if (bearer) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", bearer);
        headers = curl_slist_append(headers, auth);
    }
    headers = curl_slist_append(headers, "Accept: application/json");
    if (body)
        headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (body)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "tollgate");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
    if (o->cacert)
        curl_easy_setopt(curl, CURLOPT_CAINFO, o->cacert);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, sink);
    char detail[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail);
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    else if (sink->too_big)
        snprintf(err, errlen, "answer too large");
    else if (tls_refusal(rc))
        snprintf(err, errlen, "TLS: %s (the gateway's certificate was refused, so not retried: fix the certificate, "
                 "or name its CA with --cacert or `cacert =` in the config)", *detail ? detail : curl_easy_strerror(rc));
    else
        snprintf(err, errlen, "%s", *detail ? detail : curl_easy_strerror(rc));
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return rc == CURLE_OK ? 0 : tls_refusal(rc) ? 1 : -1;
}

/* Waits in small steps so a signal can cut it short; false when cancelled. */
static bool wait_ms(const struct tg_http_options *o, long ms)
{
    for (long waited = 0; waited < ms; waited += 50) {
        if (o->cancel && atomic_load(o->cancel))
            return false;
        usleep(50000);
    }
    return !(o->cancel && atomic_load(o->cancel));
}

static long backoff_ms(const struct tg_http_options *o, int attempt_no, long retry_after_ms)
{
    if (retry_after_ms >= 0)
        return retry_after_ms > 300000 ? 300000 : retry_after_ms;
    long delay = o->retry_base_ms;
    for (int i = 1; i < attempt_no && delay < o->retry_cap_ms; i++)
        delay *= 2;
    if (delay > o->retry_cap_ms)
        delay = o->retry_cap_ms;
    /* full jitter in the upper half: clients that failed together do not retry together */
    return delay / 2 + (long)(rand() % (int)(delay / 2 + 1));
}

int tg_http_call(const struct tg_http_options *options, const char *method, const char *url, const char *bearer,
                 const char *body, bool retry_bad_json, struct tg_http_response *response, char *err, size_t errlen)
{
    struct tg_http_options o = *options;
    tg_http_defaults(&o);
    memset(response, 0, sizeof *response);
    for (int n = 1;; n++) {
        struct sink sink = {.retry_after_ms = -1};
        long status = 0;
        char why[400] = "";
        int rc = attempt(&o, method, url, bearer, body, &sink, &status, why, sizeof why);
        response->attempts = n;
        bool retry = rc < 0 || (rc == 0 && retryable_status(status));
        if (rc == 0 && !retry && retry_bad_json && status >= 200 && status < 300 &&
            !is_json(sink.data ? sink.data : "", sink.len)) {
            retry = true;
            snprintf(why, sizeof why, "the gateway's answer is not JSON");
        } else if (rc == 0 && retry) {
            snprintf(why, sizeof why, "HTTP %ld", status);
        }
        if (!retry || n >= o.max_attempts) {
            if (rc > 0) {
                free(sink.data);
                snprintf(err, errlen, "%s", why);
                response->failure = TG_HTTP_TLS_REFUSED;
                return -2;
            }
            if (rc != 0 || (retry && retry_bad_json && status >= 200 && status < 300)) {
                free(sink.data);
                snprintf(err, errlen, "%s after %d attempt%s", why, n, n == 1 ? "" : "s");
                response->failure = rc != 0 ? TG_HTTP_NO_ANSWER : TG_HTTP_NOT_JSON;
                return -1;
            }
            response->status = status;
            response->body = sink.data ? sink.data : calloc(1, 1);
            response->len = sink.len;
            return 0;
        }
        free(sink.data);
        long wait = backoff_ms(&o, n, sink.retry_after_ms);
        if (o.on_retry)
            o.on_retry(o.ctx, n, wait, why);
        if (!wait_ms(&o, wait)) {
            snprintf(err, errlen, "interrupted");
            response->failure = TG_HTTP_NO_ANSWER;
            return -1;
        }
    }
}

void tg_http_response_free(struct tg_http_response *response)
{
    free(response->body);
    memset(response, 0, sizeof *response);
}
