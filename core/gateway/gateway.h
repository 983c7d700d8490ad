/* A gateway tollgate talks to, behind one table of operations (the shape of
 * SQLite's VFS), so Respan and later other gateways are adapters. Every path an
 * adapter uses stands in its table, in one place. */
#ifndef TG_GATEWAY_H
#define TG_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "gateway/http.h"

struct tg_gateway_config {
    const char *base_url; /* e.g. https://api.respan.ai/api/ */
    const char *api_key;  /* the admin key: sent only in the Authorization header */
    struct tg_http_options http;
};

/* One page of logs, oldest first. */
struct tg_log_page {
    cJSON *logs;   /* an array the caller deletes */
    int more;      /* another page follows */
    long total;    /* what the gateway says matches, or -1 */
    uint64_t next_hash; /* a hash of the page's "next" link, 0 when it has none: a link seen before is a loop */
};

/* What went wrong, for the user: whether it can pass, and the gateway's status. */
struct tg_gateway_error {
    long status;    /* HTTP status, 0 when no answer */
    int refused;    /* 401 / 403: the key is wrong; retrying will not help */
    int not_sent;   /* the call never reached the gateway (its certificate was refused) */
    char message[512];
};

/* An API key as the gateway describes it. Never the whole secret: gateways
 * return a prefix or a masked value, and that is all tollgate keeps. */
struct tg_gateway_key {
    char id[160];      /* what revoke takes (Respan: the key's id; LiteLLM: the token hash) */
    char name[256];
    char shown[64];    /* prefix or masked value, for display */
    char owner[256];   /* who it belongs to, when the gateway says */
    char team[256];    /* the team it belongs to (LiteLLM: team_alias, else team_id), or "" */
    int64_t created_ms, last_used_ms; /* -1 when unknown */
    int revoked;       /* revoked, blocked or expired */
    int64_t revoked_ms; /* since when, when the gateway says (an expiry in the past), else -1 */
    char state[96];    /* what the gateway shows, in words: "expired 2026-11-24T10:30:00Z", "blocked", "active" */
};

struct tg_key_list {
    struct tg_gateway_key *items;
    size_t count;
};

void tg_key_list_free(struct tg_key_list *list);


/* Appends a zeroed key; NULL when out of memory. */
struct tg_gateway_key *tg_key_list_add(struct tg_key_list *list);

struct tg_gateway;

struct tg_gateway_ops {
    const char *name;
    /* Logs with start_iso <= timestamp < end_iso, oldest first, page 1.. */
    int (*list_logs)(struct tg_gateway *gw, const char *start_iso, const char *end_iso, int page, int page_size,
                     struct tg_log_page *out, struct tg_gateway_error *err);
    /* Every key, all pages. */
    int (*list_keys)(struct tg_gateway *gw, struct tg_key_list *out, struct tg_gateway_error *err);
    /* Cuts the key off now; also_delete removes it too. A 2xx whose body says
     * it failed ({"success": false}, an "error") is a failure. Says nothing of
     * whether the key is cut off: read_key does. */
    int (*revoke_key)(struct tg_gateway *gw, const char *key_id, int also_delete, struct tg_gateway_error *err);
    /* The key as the gateway shows it now: 0 with *out filled (out->revoked,
     * out->state), TG_GATEWAY_KEY_GONE when the gateway no longer has it, -1
     * when it could not be asked (err says why). */
    int (*read_key)(struct tg_gateway *gw, const char *key_id, struct tg_gateway_key *out,
                    struct tg_gateway_error *err);
};

enum { TG_GATEWAY_KEY_GONE = 1 };

struct tg_gateway {
    const struct tg_gateway_ops *ops;
    struct tg_gateway_config config;
};

/* What adapters share. A failed answer is described by the adapter's own
 * function, which knows its gateway's wording. */
typedef void (*tg_gateway_describe_fn)(const struct tg_gateway *gw, long status, const char *body,
                                       struct tg_gateway_error *err);

/* Calls the gateway and parses a 2xx JSON answer (the caller deletes it).
 * NULL with err filled when no answer came, the status was not 2xx
 * (described by `describe`), or the answer is not JSON. */
struct cJSON *tg_gateway_json_call(const struct tg_gateway *gw, const char *method, const char *url,
                                   const char *body, tg_gateway_describe_fn describe, struct tg_gateway_error *err);

/* A 2xx answer that says it failed: {"success": false} or a non-empty
 * "error" (a string, or an object with a "message"). Returns 1 and describes
 * it in err (status kept), 0 when the body claims no failure. */
int tg_gateway_answer_refuses(const char *body, size_t len, long status, struct tg_gateway_error *err);

/* Appends a key for each element of doc[field], filled by `read`. -1 with
 * err when the field is not an array (or memory runs out). */
int tg_gateway_read_keys(const struct cJSON *doc, const char *field,
                         void (*read)(const struct cJSON *item, struct tg_gateway_key *key), struct tg_key_list *out,
                         struct tg_gateway_error *err);

/* A string or whole-number field into dst (left as it was when absent). */
void tg_json_copy_text(char *dst, size_t len, const struct cJSON *item);
/* An ISO 8601 field as epoch ms, -1 when absent or not a time. */
int64_t tg_json_time_ms(const struct cJSON *obj, const char *name);

#endif
