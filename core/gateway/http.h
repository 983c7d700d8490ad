/* HTTPS calls to a gateway with libcurl: TLS always verified, bounded
 * timeouts, and retries with exponential backoff and jitter for the failures
 * that pass (429, 5xx, network errors, a body that is not JSON), honouring
 * Retry-After. 401 and 403 are never retried, nor a refused certificate. */
#ifndef TG_HTTP_H
#define TG_HTTP_H

#include <stdbool.h>
#include <stdatomic.h>
#include <stddef.h>

struct tg_http_options {
    const char *cacert;      /* a private CA bundle, or NULL for the system's */
    long connect_timeout_ms; /* default 5000 */
    long timeout_ms;         /* default 30000 */
    int max_attempts;        /* default 6 */
    long retry_base_ms;      /* first backoff, doubled each time; default 500 */
    long retry_cap_ms;       /* longest wait; default 30000 */
    atomic_int *cancel;      /* set (by a signal or another thread) to stop waiting */
    void (*on_retry)(void *ctx, int attempt, long wait_ms, const char *why);
    void *ctx;
};

/* Why tg_http_call gave up, for callers that word their advice by it (the
 * message in err is for people, not to be compared). */
enum tg_http_failure {
    TG_HTTP_ANSWERED = 0, /* it returned 0 */
    TG_HTTP_NO_ANSWER,    /* network failure, timeout, or interrupted */
    TG_HTTP_NOT_JSON,     /* a 2xx answer came, every time garbled */
    TG_HTTP_TLS_REFUSED,  /* the certificate was refused (-2) */
};

struct tg_http_response {
    long status;  /* 0 when no answer came */
    char *body;   /* NUL-terminated, malloc'd */
    size_t len;
    int attempts;
    enum tg_http_failure failure;
};

/* method "GET", "POST", "PATCH", "DELETE"; body may be NULL; bearer is the
 * Authorization token (never logged). Returns 0 when an answer came (any
 * status, after retries), -1 with err when none did, -2 with err when the
 * gateway's TLS certificate was refused (never retried). retry_bad_json makes a
 * 2xx whose body is not JSON count as a failure to retry. */
int tg_http_call(const struct tg_http_options *options, const char *method, const char *url, const char *bearer,
                 const char *body, bool retry_bad_json, struct tg_http_response *response, char *err, size_t errlen);

void tg_http_response_free(struct tg_http_response *response);

/* Fills unset options with the defaults, with TOLLGATE_HTTP_TIMEOUT_MS and
 * TOLLGATE_RETRY_BASE_MS (for tests against a slow or failing fake gateway)
 * read once per process. */
void tg_http_defaults(struct tg_http_options *options);

/* Whether a gateway secret (what names it in messages, e.g. "the API key")
 * may be sent to url. The URL is parsed as libcurl will parse it for the call,
 * and its host compared: https to any host; plain http only to loopback
 * (127.0.0.0/8, ::1, localhost); never a URL with a user name or password, which
 * a reader takes for the host ("http://localhost:pw@evil.example/" goes to
 * evil.example). Returns 0, or -1 with why in err (the URL is not repeated
 * when it may hold a password). */
int tg_http_check_gateway_url(const char *url, const char *secret, char *err, size_t errlen);

/* Process-wide libcurl set-up; call once before any thread makes calls. */
int tg_http_global_init(void);

#endif
