#include "log/litellm_log.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"

int tg_litellm_developer_parse(const char *name, enum tg_litellm_developer *out)
{
    static const struct {
        const char *name;
        enum tg_litellm_developer value;
    } names[] = {
        {"user", TG_LITELLM_DEV_USER},
        {"email", TG_LITELLM_DEV_EMAIL},
        {"end_user", TG_LITELLM_DEV_END_USER},
        {"team", TG_LITELLM_DEV_TEAM},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (name && strcmp(name, names[i].name) == 0) {
            *out = names[i].value;
            return 0;
        }
    }
    return -1;
}

/* A member that is present and not null. */
static const cJSON *member(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
    return item && !cJSON_IsNull(item) ? item : NULL;
}

/* A non-empty string member, or NULL. */
static const char *text(const cJSON *obj, const char *name)
{
    const cJSON *item = member(obj, name);
    return cJSON_IsString(item) && item->valuestring[0] ? item->valuestring : NULL;
}

static const char *first_text(const char *a, const char *b)
{
    return a ? a : b;
}

/* Copies obj[name] into out[as] as it is, so logmodel checks its type. */
static void copy_member(cJSON *out, const char *as, const cJSON *obj, const char *name)
{
    const cJSON *item = member(obj, name);
    if (item)
        cJSON_AddItemToObject(out, as, cJSON_Duplicate(item, 1));
}

static void add_text(cJSON *out, const char *as, const char *value)
{
    if (value)
        cJSON_AddStringToObject(out, as, value);
}

/* A time given as epoch seconds (the payload) or ISO text (spend logs), in ms. */
/* 1 when an ISO time's fraction of a second rounds up to the next ms
 * (".123789"): float seconds are rounded, so the same instant is the same ms
 * in both shapes (a cache hit's id is named by it). */
static int sub_ms_round_up(const char *iso)
{
    const char *dot = strlen(iso) > 10 ? strpbrk(iso + 10, ".,") : NULL;
    if (!dot)
        return 0;
    size_t digits = strspn(dot + 1, "0123456789");
    return digits > 3 && dot[4] >= '5';
}

static bool time_ms(const cJSON *obj, const char *name, int64_t *ms)
{
    const cJSON *item = member(obj, name);
    if (cJSON_IsNumber(item) && isfinite(item->valuedouble)) {
        *ms = (int64_t)llround(item->valuedouble * 1000.0);
        return true;
    }
    if (!cJSON_IsString(item) || tg_time_parse_iso(item->valuestring, ms) != 0)
        return false;
    *ms += sub_ms_round_up(item->valuestring);
    return true;
}

/* The metadata object as an owned copy: the payload gives an object, a spend
 * log row may give its JSON column as text. Never NULL unless out of memory. */
static cJSON *metadata_copy(const cJSON *in)
{
    const cJSON *meta = member(in, "metadata");
    cJSON *copy = NULL;
    if (cJSON_IsObject(meta))
        copy = cJSON_Duplicate(meta, 1);
    else if (cJSON_IsString(meta))
        copy = cJSON_Parse(meta->valuestring);
    if (copy && cJSON_IsObject(copy))
        return copy;
    cJSON_Delete(copy);
    return cJSON_CreateObject();
}

/* Who the log names, looked up in both shapes. */
struct people {
    const char *user_id, *email, *end_user, *team_id, *team_alias;
};

static struct people people_of(const cJSON *in, const cJSON *meta)
{
    struct people p;
    p.user_id = first_text(text(meta, "user_api_key_user_id"), text(in, "user"));
    p.email = first_text(text(meta, "user_api_key_user_email"), text(in, "user_email"));
    p.end_user = first_text(text(in, "end_user"), text(meta, "user_api_key_end_user_id"));
    p.team_id = first_text(text(meta, "user_api_key_team_id"), text(in, "team_id"));
    p.team_alias = first_text(text(meta, "user_api_key_team_alias"), text(in, "team_alias"));
    return p;
}

static const char *developer_of(const struct people *p, enum tg_litellm_developer which)
{
    switch (which) {
    case TG_LITELLM_DEV_EMAIL:
        return p->email ? p->email : p->user_id ? p->user_id : p->end_user;
    case TG_LITELLM_DEV_END_USER:
        return p->end_user ? p->end_user : p->user_id;
    case TG_LITELLM_DEV_TEAM:
        return p->team_alias ? p->team_alias : p->team_id;
    case TG_LITELLM_DEV_USER:
        break;
    }
    return p->user_id ? p->user_id : p->email ? p->email : p->end_user;
}

static void add_times(cJSON *out, const cJSON *in)
{
    int64_t start, end, first;
    bool has_start = time_ms(in, "startTime", &start), has_end = time_ms(in, "endTime", &end);
    copy_member(out, "timestamp", in, has_end ? "endTime" : "startTime");
    copy_member(out, "start_time", in, "startTime");
    if (has_start && has_end && end >= start)
        cJSON_AddNumberToObject(out, "latency", (double)(end - start) / 1000.0);
    else
        copy_member(out, "latency", in, "response_time");
    if (has_start && time_ms(in, "completionStartTime", &first) && first >= start)
        cJSON_AddNumberToObject(out, "time_to_first_token", (double)(first - start) / 1000.0);
}

/* Cache tokens live in the provider's usage object, which LiteLLM keeps in
 * metadata (usage_object; additional_usage_values in spend logs) or in
 * hidden_params. */
static void add_cache_tokens(cJSON *out, const cJSON *in, const cJSON *meta)
{
    const cJSON *usages[] = {member(meta, "usage_object"), member(meta, "additional_usage_values"),
                             member(member(in, "hidden_params"), "usage_object")};
    for (size_t i = 0; i < sizeof usages / sizeof usages[0]; i++) {
        const cJSON *u = usages[i];
        if (!cJSON_IsObject(u))
            continue;
        const cJSON *read = member(u, "cache_read_input_tokens");
        if (!cJSON_IsNumber(read) || read->valuedouble == 0) {
            const cJSON *cached = member(member(u, "prompt_tokens_details"), "cached_tokens");
            if (cJSON_IsNumber(cached))
                read = cached;
        }
        const cJSON *created = member(u, "cache_creation_input_tokens");
        if (!cJSON_IsNumber(read) && !cJSON_IsNumber(created))
            continue;
        if (cJSON_IsNumber(read))
            cJSON_AddItemToObject(out, "prompt_cache_hit_tokens", cJSON_Duplicate(read, 0));
        if (cJSON_IsNumber(created))
            cJSON_AddItemToObject(out, "prompt_cache_creation_tokens", cJSON_Duplicate(created, 0));
        return;
    }
}

static bool is_failure(const cJSON *in, const cJSON *meta)
{
    const char *status = first_text(text(in, "status"), text(meta, "status"));
    return status && strcmp(status, "success") != 0;
}

/* Failures become error requests: their HTTP status from the error code when
 * it is one, the error text, and a cost of 0 unless LiteLLM gave one. */
static void add_status(cJSON *out, const cJSON *in, const cJSON *meta, bool failed)
{
    if (!failed) {
        cJSON_AddNumberToObject(out, "status_code", 200);
        return;
    }
    const cJSON *info = member(in, "error_information");
    if (!info)
        info = member(meta, "error_information");
    const char *code = text(info, "error_code");
    int status = code ? atoi(code) : 0;
    if (!code && cJSON_IsNumber(member(info, "error_code")))
        status = (int)member(info, "error_code")->valuedouble;
    cJSON_AddNumberToObject(out, "status_code", status >= 400 && status <= 599 ? status : 500);
    cJSON_AddBoolToObject(out, "failed", 1);
    const char *message = first_text(text(in, "error_str"), text(info, "error_message"));
    cJSON_AddStringToObject(out, "error_message", message ? message : "LiteLLM logged a failure");
}

static void add_cost(cJSON *out, const cJSON *in, bool failed)
{
    const cJSON *cost = member(in, "response_cost");
    if (!cost)
        cost = member(in, "spend");
    if (cost)
        cJSON_AddItemToObject(out, "cost", cJSON_Duplicate(cost, 0));
    else if (failed) /* a refused call costs nothing unless LiteLLM says otherwise */
        cJSON_AddNumberToObject(out, "cost", 0);
}

static bool all_objects(const cJSON *array)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, array) {
        if (!cJSON_IsObject(item))
            return false;
    }
    return true;
}

static cJSON *text_message(const char *role, const char *content)
{
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "role", role);
    cJSON_AddStringToObject(msg, "content", content);
    return msg;
}

static void add_prompt(cJSON *out, const cJSON *in)
{
    const cJSON *messages = member(in, "messages");
    if (cJSON_IsArray(messages) && cJSON_GetArraySize(messages) > 0) {
        if (all_objects(messages)) {
            cJSON_AddItemToObject(out, "prompt_messages", cJSON_Duplicate(messages, 1));
        } else {
            char *encoded = cJSON_PrintUnformatted(messages);
            add_text(out, "input", encoded);
            free(encoded);
        }
    } else if (cJSON_IsObject(messages) && messages->child) {
        cJSON *arr = cJSON_AddArrayToObject(out, "prompt_messages");
        cJSON_AddItemToArray(arr, cJSON_Duplicate(messages, 1));
    } else if (cJSON_IsString(messages) && messages->valuestring[0]) {
        cJSON *arr = cJSON_AddArrayToObject(out, "prompt_messages");
        cJSON_AddItemToArray(arr, text_message("user", messages->valuestring));
    }
}

/* The response's choices as messages: one becomes completion_message, more
 * completion_messages. Other responses (embeddings, images) are not kept. */
static void add_completion(cJSON *out, const cJSON *in)
{
    const cJSON *response = member(in, "response");
    if (cJSON_IsString(response) && response->valuestring[0]) {
        cJSON_AddItemToObject(out, "completion_message", text_message("assistant", response->valuestring));
        return;
    }
    const cJSON *choices = member(response, "choices");
    if (!cJSON_IsArray(choices))
        return;
    cJSON *messages = cJSON_CreateArray();
    const cJSON *choice;
    cJSON_ArrayForEach(choice, choices) {
        const cJSON *msg = member(choice, "message");
        if (cJSON_IsObject(msg))
            cJSON_AddItemToArray(messages, cJSON_Duplicate(msg, 1));
        else if (text(choice, "text"))
            cJSON_AddItemToArray(messages, text_message("assistant", text(choice, "text")));
    }
    int n = cJSON_GetArraySize(messages);
    if (n == 1)
        cJSON_AddItemToObject(out, "completion_message", cJSON_DetachItemFromArray(messages, 0));
    if (n > 1)
        cJSON_AddItemToObject(out, "completion_messages", messages);
    else
        cJSON_Delete(messages);
}

/* The length of the first n bytes of id without a trailing
 * "_cache_hit<seconds>" (digits and a point), or 0 when they have none. */
static size_t strip_one_hit(const char *id, size_t n)
{
    static const char mark[] = "_cache_hit";
    const size_t mark_len = sizeof mark - 1;
    size_t tail = n;
    while (tail > 0 && (isdigit((unsigned char)id[tail - 1]) || id[tail - 1] == '.'))
        tail--;
    if (tail == n || tail <= mark_len || memcmp(id + tail - mark_len, mark, mark_len) != 0)
        return 0;
    return tail - mark_len;
}

/* The length of id without its trailing "_cache_hit<seconds>" parts (a
 * renamed id renamed again keeps its first name), or 0 when it has none. */
static size_t cache_hit_base_len(const char *id)
{
    size_t base = 0, n = strlen(id), shorter;
    while ((shorter = strip_one_hit(id, n)) > 0)
        base = n = shorter;
    return base;
}

/* LiteLLM renames a cache hit "<id>_cache_hit<time.time()>" twice over,
 * once for the pushed payload and once for the spend log, each with its own
 * clock reading: the two never match, and every hit of one cached response
 * shares <id>. The hit's start time is the same in both shapes, so
 * "<id>_cache_hit@<start ms>" names that one hit whichever way it came in.
 * Returns LiteLLM's id when it is such a hit (and writes the stable one),
 * else NULL. */
static const char *cache_hit_id(const cJSON *in, char *stable, size_t len)
{
    const char *id = text(in, member(in, "request_id") ? "request_id" : "id");
    int64_t start;
    size_t base = id ? cache_hit_base_len(id) : 0;
    if (!base || !time_ms(in, "startTime", &start))
        return NULL;
    snprintf(stable, len, "%.*s_cache_hit@%lld", (int)(base > 256 ? 256 : base), id, (long long)start);
    return id;
}

/* The call's id; a cache hit's as cache_hit_id() makes it, LiteLLM's own
 * then kept in metadata.litellm.request_id. */
static void add_call_id(cJSON *out, const cJSON *in)
{
    char stable[320];
    if (cache_hit_id(in, stable, sizeof stable))
        cJSON_AddStringToObject(out, "unique_id", stable);
    else
        copy_member(out, "unique_id", in, member(in, "request_id") ? "request_id" : "id");
}

/* LiteLLM's own metadata, with what it says about the call beside it, so the
 * fields not mapped (team, end user, call type, ...) stay with the log. */
static void add_metadata(cJSON *out, const cJSON *in, cJSON *meta, const struct people *p)
{
    cJSON *extra = cJSON_CreateObject();
    char stable[320];
    add_text(extra, "request_id", cache_hit_id(in, stable, sizeof stable));
    add_text(extra, "user_id", p->user_id);
    add_text(extra, "user_email", p->email);
    add_text(extra, "end_user", p->end_user);
    add_text(extra, "team_id", p->team_id);
    add_text(extra, "team_alias", p->team_alias);
    static const char *const kept[] = {"call_type", "model_group", "model_id", "api_base", "cache_hit",
                                       "request_tags", "status", "session_id", "trace_id"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        copy_member(extra, kept[i], in, kept[i]);
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "litellm");
    cJSON_AddItemToObject(meta, "litellm", extra);
    cJSON_AddItemToObject(out, "metadata", meta);
}

cJSON *tg_litellm_convert(const cJSON *in, enum tg_litellm_developer developer, struct tg_log_error *err)
{
    memset(err, 0, sizeof *err);
    if (!cJSON_IsObject(in)) {
        snprintf(err->message, sizeof err->message, "expected a LiteLLM log object");
        return NULL;
    }
    cJSON *out = cJSON_CreateObject(), *meta = metadata_copy(in);
    if (!out || !meta) {
        cJSON_Delete(out);
        cJSON_Delete(meta);
        snprintf(err->message, sizeof err->message, "out of memory");
        return NULL;
    }
    struct people p = people_of(in, meta);
    bool failed = is_failure(in, meta);
    add_call_id(out, in);
    add_text(out, "model", first_text(text(in, "model"), text(in, "model_group")));
    add_text(out, "provider_id", text(in, "custom_llm_provider"));
    add_times(out, in);
    add_text(out, "customer_identifier", developer_of(&p, developer));
    add_text(out, "customer_email", p.email);
    add_text(out, "organization_key_id", first_text(text(meta, "user_api_key_hash"), text(in, "api_key")));
    add_text(out, "organization_key_name", text(meta, "user_api_key_alias"));
    copy_member(out, "prompt_tokens", in, "prompt_tokens");
    copy_member(out, "completion_tokens", in, "completion_tokens");
    copy_member(out, "total_tokens", in, "total_tokens");
    add_cache_tokens(out, in, meta);
    add_cost(out, in, failed);
    add_status(out, in, meta, failed);
    add_text(out, "thread_identifier", first_text(text(in, "session_id"), text(meta, "session_id")));
    add_text(out, "trace_unique_id", text(in, "trace_id"));
    copy_member(out, "stream", in, "stream");
    cJSON_AddStringToObject(out, "log_type", "chat");
    cJSON_AddStringToObject(out, "log_method", "litellm");
    add_prompt(out, in);
    add_completion(out, in);
    add_metadata(out, in, meta, &p);
    return out;
}

int tg_litellm_parse_object(const cJSON *in, enum tg_litellm_developer developer,
                            const struct tg_log_parse_options *options, struct tg_log *out, struct tg_log_error *err)
{
    memset(out, 0, sizeof *out);
    cJSON *log = tg_litellm_convert(in, developer, err);
    if (!log)
        return -1;
    int rc = tg_log_parse_object(log, NULL, 0, options, out, err);
    cJSON_Delete(log);
    return rc;
}

static int json_fail(struct tg_log_error *err, const char *fmt, size_t at)
{
    memset(err, 0, sizeof *err);
    err->kind = TG_LOG_ERROR_INVALID_JSON;
    snprintf(err->message, sizeof err->message, fmt, at);
    return -1;
}

int tg_litellm_parse_text(const char *text_in, size_t len, enum tg_litellm_developer developer,
                          const struct tg_log_parse_options *options, struct tg_log *out, struct tg_log_error *err)
{
    memset(out, 0, sizeof *out);
    const char *nul = memchr(text_in, '\0', len);
    if (nul)
        return json_fail(err, "invalid JSON: a NUL byte at byte %zu", (size_t)(nul - text_in) + 1);
    for (const char *p = text_in; (p = memchr(p, '\\', len - (size_t)(p - text_in))) != NULL; p += 2) {
        size_t at = (size_t)(p - text_in);
        if (at + 6 <= len && memcmp(p + 1, "u0000", 5) == 0) {
            memset(err, 0, sizeof *err);
            snprintf(err->message, sizeof err->message, "a NUL character (\\u0000) in a string at byte %zu is not accepted",
                     at + 1);
            return -1;
        }
        if (at + 2 >= len)
            break;
    }
    const char *end = NULL;
    cJSON *in = cJSON_ParseWithLengthOpts(text_in, len, &end, 0);
    if (!in)
        return json_fail(err, "invalid JSON near byte %zu", end && end >= text_in ? (size_t)(end - text_in) + 1 : 1);
    for (const char *p = end; p < text_in + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            cJSON_Delete(in);
            return json_fail(err, "unexpected text after the JSON value at byte %zu", (size_t)(p - text_in) + 1);
        }
    }
    int rc = tg_litellm_parse_object(in, developer, options, out, err);
    cJSON_Delete(in);
    return rc;
}
