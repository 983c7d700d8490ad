#include "log/logmodel.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "base/jsonarena.h"
#include "base/jsontree.h"
#include "base/sha256.h"
#include "log/redact.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/utf8.h"

/* Limits past which a value is a bug or an attack, not a request. */
#define MAX_TOKENS 1000000000LL     /* a billion tokens in one request */
#define MAX_COST_DOLLARS 100000.0   /* $100k for one request */
#define MAX_SECONDS 604800.0        /* a week of latency */
#define MAX_ID_LEN 256

static __attribute__((format(printf, 4, 0))) int vfail(struct tg_log_error *err, enum tg_log_error_kind kind,
                                                       const char *field, const char *fmt, va_list ap)
{
    err->kind = kind;
    snprintf(err->field, sizeof err->field, "%s", field);
    char msg[200];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (*field)
        snprintf(err->message, sizeof err->message, "%s: %s", field, msg);
    else
        snprintf(err->message, sizeof err->message, "%s", msg);
    return -1;
}

/* JSON, but not a valid log: a field (or the whole log, field "") is wrong. */
static __attribute__((format(printf, 3, 4))) int fail(struct tg_log_error *err, const char *field,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(err, TG_LOG_ERROR_INVALID_LOG, field, fmt, ap);
    va_end(ap);
    return -1;
}

/* Not JSON at all. */
static __attribute__((format(printf, 2, 3))) int fail_json(struct tg_log_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(err, TG_LOG_ERROR_INVALID_JSON, "", fmt, ap);
    va_end(ap);
    return -1;
}

static const char *type_name(const cJSON *item)
{
    if (cJSON_IsString(item)) return "a string";
    if (cJSON_IsNumber(item)) return "a number";
    if (cJSON_IsBool(item)) return "a boolean";
    if (cJSON_IsArray(item)) return "an array";
    if (cJSON_IsObject(item)) return "an object";
    if (cJSON_IsNull(item)) return "null";
    return "an unknown value";
}

/* An object's members in a small hash table, so the ~45 lookups a log needs
 * cost a hash and one comparison each instead of a scan of every member. */
#define MAX_INDEXED 64
#define FIELD_SLOTS 128 /* a power of two, twice MAX_INDEXED */
struct fields {
    const cJSON *obj;
    size_t count;
    bool indexed;    /* false for objects with more members: plain lookups */
    const char *dup; /* the first name given twice, in sorted order; NULL when none */
    const cJSON *slots[FIELD_SLOTS];
};

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The slot holding name, or the empty one where it would go. */
static size_t slot_of(const struct fields *f, const char *name)
{
    size_t i = name_hash(name) & (FIELD_SLOTS - 1);
    while (f->slots[i] && strcmp(f->slots[i]->string, name) != 0)
        i = (i + 1) & (FIELD_SLOTS - 1);
    return i;
}

static void index_fields(struct fields *f, const cJSON *obj)
{
    f->obj = obj;
    f->count = 0;
    f->indexed = true;
    f->dup = NULL;
    memset(f->slots, 0, sizeof f->slots);
    const cJSON *child;
    cJSON_ArrayForEach(child, obj) {
        if (f->count == MAX_INDEXED || !child->string) {
            f->indexed = false;
            return;
        }
        size_t i = slot_of(f, child->string);
        if (f->slots[i]) { /* the first of duplicate names counts, as cJSON's lookup would */
            if (!f->dup || strcmp(child->string, f->dup) < 0)
                f->dup = child->string;
            continue;
        }
        f->slots[i] = child;
        f->count++;
    }
}

/* A field that is present and not null. */
static const cJSON *field(const struct fields *f, const char *name)
{
    const cJSON *item = f->indexed ? f->slots[slot_of(f, name)] : cJSON_GetObjectItemCaseSensitive(f->obj, name);
    return item && !cJSON_IsNull(item) ? item : NULL;
}

static int compare_members(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

/* A name given twice in one object: which value counts would depend on the
 * reader, and for a cost or an id that is not a choice to make silently. The
 * first duplicate name in sorted order, or NULL. */
static const char *duplicate_name(const struct fields *f)
{
    if (f->indexed)
        return f->dup;
    size_t n = (size_t)cJSON_GetArraySize(f->obj), i = 0;
    const cJSON **all = malloc((n ? n : 1) * sizeof *all);
    if (!all)
        return NULL;
    const cJSON *child;
    cJSON_ArrayForEach(child, f->obj) {
        if (child->string)
            all[i++] = child;
    }
    qsort(all, i, sizeof *all, compare_members);
    const char *dup = NULL;
    for (size_t k = 1; k < i && !dup; k++) {
        if (strcmp(all[k - 1]->string, all[k]->string) == 0)
            dup = all[k]->string;
    }
    free(all);
    return dup;
}

static int check_unique(const struct fields *f, const char *prefix, struct tg_log_error *err)
{
    const char *dup = duplicate_name(f);
    if (!dup)
        return 0;
    char path[96];
    snprintf(path, sizeof path, "%s%.80s", prefix, dup);
    return fail(err, path, "duplicate key");
}

/* A string field, copied; absent is fine. */
static int get_string(const struct fields *obj, const char *name, size_t max_len, char **out,
                      struct tg_log_error *err)
{
    const cJSON *item = field(obj, name);
    if (!item)
        return 0;
    if (!cJSON_IsString(item))
        return fail(err, name, "expected a string, got %s", type_name(item));
    if (strlen(item->valuestring) > max_len)
        return fail(err, name, "longer than %zu bytes", max_len);
    *out = strdup(item->valuestring);
    return 0;
}

/* Identifiers may be strings or whole numbers (customer ids, thread ids). */
static int get_identifier(const struct fields *obj, const char *name, char **out, struct tg_log_error *err)
{
    const cJSON *item = field(obj, name);
    if (!item)
        return 0;
    if (cJSON_IsNumber(item)) {
        double v = item->valuedouble;
        if (!isfinite(v) || v != floor(v) || fabs(v) > 9e15)
            return fail(err, name, "expected a string or a whole number, got %g", v);
        char buf[32];
        snprintf(buf, sizeof buf, "%.0f", v);
        *out = strdup(buf);
        return 0;
    }
    return get_string(obj, name, TG_LOG_NAME_MAX, out, err);
}

static int get_count(const struct fields *obj, const char *name, const char *path, int64_t *out,
                     bool *present, struct tg_log_error *err)
{
    const cJSON *item = field(obj, name);
    if (!item)
        return 0;
    if (!cJSON_IsNumber(item))
        return fail(err, path, "expected a whole number, got %s", type_name(item));
    double v = item->valuedouble;
    if (!isfinite(v) || v != floor(v))
        return fail(err, path, "expected a whole number, got %g", v);
    if (v < 0)
        return fail(err, path, "negative token count %.0f", v);
    if (v > (double)MAX_TOKENS)
        return fail(err, path, "absurd token count %.0f (more than %lld)", v, MAX_TOKENS);
    *out = (int64_t)v;
    if (present)
        *present = true;
    return 0;
}

/* Seconds as a JSON number, kept as milliseconds. */
static int get_seconds(const struct fields *obj, const char *name, int64_t *out_ms, struct tg_log_error *err)
{
    const cJSON *item = field(obj, name);
    if (!item)
        return 0;
    if (!cJSON_IsNumber(item))
        return fail(err, name, "expected seconds as a number, got %s", type_name(item));
    double v = item->valuedouble;
    if (!isfinite(v) || v < 0)
        return fail(err, name, "negative duration %g", v);
    if (v > MAX_SECONDS)
        return fail(err, name, "absurd duration %g s", v);
    *out_ms = (int64_t)llround(v * 1000.0);
    return 0;
}

static int get_time(const struct fields *obj, const char *name, int64_t *out_ms, bool *present,
                    struct tg_log_error *err)
{
    const cJSON *item = field(obj, name);
    if (!item)
        return 0;
    int64_t ms;
    if (cJSON_IsNumber(item)) {
        if (!isfinite(item->valuedouble))
            return fail(err, name, "not a finite number");
        ms = (int64_t)llround(item->valuedouble * 1000.0);
    } else if (cJSON_IsString(item)) {
        if (tg_time_parse_iso(item->valuestring, &ms) != 0)
            return fail(err, name, "not an ISO 8601 time: \"%.60s\"", item->valuestring);
    } else {
        return fail(err, name, "expected an ISO 8601 string or epoch seconds, got %s", type_name(item));
    }
    if (!tg_time_is_plausible(ms))
        return fail(err, name, "time outside 2000-2100");
    *out_ms = ms;
    *present = true;
    return 0;
}

static int parse_id(const struct fields *obj, struct tg_log *log, struct tg_log_error *err)
{
    if (get_identifier(obj, "unique_id", &log->log_id, err) != 0)
        return -1;
    if (!log->log_id && get_identifier(obj, "id", &log->log_id, err) != 0)
        return -1;
    if (log->log_id && (log->log_id[0] == '\0' || strlen(log->log_id) > MAX_ID_LEN))
        return fail(err, "unique_id", "must be 1 to %d bytes", MAX_ID_LEN);
    return 0;
}

static int parse_times(const struct fields *obj, const struct tg_log_parse_options *opt, struct tg_log *log,
                       struct tg_log_error *err)
{
    bool has_ts = false, has_start = false;
    log->start_ms = -1;
    if (get_time(obj, "timestamp", &log->ts_ms, &has_ts, err) != 0)
        return -1;
    if (get_time(obj, "start_time", &log->start_ms, &has_start, err) != 0)
        return -1;
    if (has_ts)
        return 0;
    if (has_start) {
        log->ts_ms = log->start_ms;
        return 0;
    }
    if (opt && opt->default_ts_ms > 0) {
        log->ts_ms = opt->default_ts_ms;
        return 0;
    }
    return fail(err, "timestamp", "missing (neither timestamp nor start_time is given)");
}

static int parse_names(const struct fields *obj, struct tg_log *log, struct tg_log_error *err)
{
    if (get_string(obj, "model", TG_LOG_NAME_MAX, &log->model, err) != 0 ||
        get_string(obj, "provider_id", TG_LOG_NAME_MAX, &log->provider, err) != 0 ||
        get_identifier(obj, "customer_identifier", &log->developer, err) != 0 ||
        get_string(obj, "customer_name", TG_LOG_NAME_MAX, &log->developer_name, err) != 0 ||
        get_string(obj, "customer_email", TG_LOG_NAME_MAX, &log->developer_email, err) != 0 ||
        get_string(obj, "organization_key_id", TG_LOG_NAME_MAX, &log->key_id, err) != 0 ||
        get_string(obj, "organization_key_name", TG_LOG_NAME_MAX, &log->key_name, err) != 0 ||
        get_identifier(obj, "thread_identifier", &log->thread_id, err) != 0 ||
        get_identifier(obj, "trace_unique_id", &log->trace_id, err) != 0 ||
        get_string(obj, "log_type", TG_LOG_NAME_MAX, &log->log_type, err) != 0)
        return -1;
    /* An empty string names nothing; treat it as absent so it never becomes a dimension. */
    char **names[] = {&log->model, &log->developer, &log->key_id, &log->key_name};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (*names[i] && **names[i] == '\0') {
            free(*names[i]);
            *names[i] = NULL;
        }
    }
    return 0;
}

/* Tokens live at the top level or in `usage`; the top level wins. */
static int parse_tokens(const struct fields *obj, struct tg_log *log, struct tg_log_error *err)
{
    bool has_total = false;
    const cJSON *usage_obj = field(obj, "usage");
    if (usage_obj && !cJSON_IsObject(usage_obj))
        return fail(err, "usage", "expected an object, got %s", type_name(usage_obj));
    if (usage_obj) {
        struct fields usage_fields, details_fields;
        const struct fields *usage = &usage_fields;
        index_fields(&usage_fields, usage_obj);
        if (check_unique(usage, "usage.", err) != 0)
            return -1;
        const cJSON *details = field(usage, "prompt_tokens_details");
        if (details && cJSON_IsObject(details)) {
            index_fields(&details_fields, details);
            if (check_unique(&details_fields, "usage.prompt_tokens_details.", err) != 0)
                return -1;
            if (get_count(&details_fields, "cached_tokens", "usage.prompt_tokens_details.cached_tokens",
                          &log->cache_read_tokens, NULL, err) != 0)
                return -1;
        }
        if (get_count(usage, "input_tokens", "usage.input_tokens", &log->prompt_tokens, NULL, err) ||
            get_count(usage, "output_tokens", "usage.output_tokens", &log->completion_tokens, NULL, err) ||
            get_count(usage, "prompt_tokens", "usage.prompt_tokens", &log->prompt_tokens, NULL, err) ||
            get_count(usage, "completion_tokens", "usage.completion_tokens", &log->completion_tokens, NULL, err) ||
            get_count(usage, "total_tokens", "usage.total_tokens", &log->total_tokens, &has_total, err) ||
            get_count(usage, "cache_read_input_tokens", "usage.cache_read_input_tokens", &log->cache_read_tokens, NULL, err) ||
            get_count(usage, "cache_creation_input_tokens", "usage.cache_creation_input_tokens", &log->cache_creation_tokens, NULL, err))
            return -1;
    }
    if (get_count(obj, "prompt_tokens", "prompt_tokens", &log->prompt_tokens, NULL, err) ||
        get_count(obj, "completion_tokens", "completion_tokens", &log->completion_tokens, NULL, err) ||
        get_count(obj, "total_tokens", "total_tokens", &log->total_tokens, &has_total, err) ||
        get_count(obj, "total_request_tokens", "total_request_tokens", &log->total_tokens, &has_total, err) ||
        get_count(obj, "prompt_cache_hit_tokens", "prompt_cache_hit_tokens", &log->cache_read_tokens, NULL, err) ||
        get_count(obj, "prompt_cache_creation_tokens", "prompt_cache_creation_tokens", &log->cache_creation_tokens, NULL, err))
        return -1;
    if (!has_total)
        log->total_tokens = log->prompt_tokens + log->completion_tokens;
    return 0;
}

static int parse_cost(const struct fields *obj, struct tg_log *log, struct tg_log_error *err)
{
    const cJSON *item = field(obj, "cost");
    log->cost_kind = TG_COST_UNPRICED;
    if (!item)
        return 0;
    if (!cJSON_IsNumber(item))
        return fail(err, "cost", "expected a number of US dollars, got %s", type_name(item));
    double v = item->valuedouble;
    if (!isfinite(v) || v < 0)
        return fail(err, "cost", "negative or non-finite cost %g", v);
    if (v > MAX_COST_DOLLARS)
        return fail(err, "cost", "absurd cost $%g for one request", v);
    if (tg_nanos_from_dollars(v, &log->cost) != 0)
        return fail(err, "cost", "cannot be represented");
    log->has_cost = true;
    log->cost_kind = TG_COST_GATEWAY;
    return 0;
}

static int parse_status(const struct fields *obj, struct tg_log *log, struct tg_log_error *err)
{
    const cJSON *item = field(obj, "status_code");
    if (item) {
        if (!cJSON_IsNumber(item) || item->valuedouble != floor(item->valuedouble) ||
            item->valuedouble < 0 || item->valuedouble > 999)
            return fail(err, "status_code", "expected an HTTP status 0-999");
        log->status_code = (int)item->valuedouble;
    }
    if (get_string(obj, "error_message", 65536, &log->error_message, err) != 0)
        return -1;
    const cJSON *failed = field(obj, "failed");
    const cJSON *status = field(obj, "status");
    log->is_error = log->status_code >= 400 || cJSON_IsTrue(failed) ||
                    (cJSON_IsString(status) && strcmp(status->valuestring, "error") == 0) ||
                    (log->status_code == 0 && log->error_message && *log->error_message);
    return 0;
}

static int parse_durations(const struct fields *obj, struct tg_log *log, struct tg_log_error *err)
{
    log->latency_ms = log->ttft_ms = -1;
    if (get_seconds(obj, "latency", &log->latency_ms, err) != 0)
        return -1;
    if (log->latency_ms < 0 && get_seconds(obj, "generation_time", &log->latency_ms, err) != 0)
        return -1;
    if (get_seconds(obj, "ttft", &log->ttft_ms, err) != 0)
        return -1;
    if (log->ttft_ms < 0 && get_seconds(obj, "time_to_first_token", &log->ttft_ms, err) != 0)
        return -1;
    return 0;
}

/* `input` / `output` are JSON-encoded strings in the newer form; plain text is
 * allowed too, but text that looks like JSON must be JSON. */
static int check_encoded(const struct fields *obj, const char *name, struct tg_log_error *err)
{
    const cJSON *item = field(obj, name);
    if (!item || !cJSON_IsString(item))
        return 0;
    const char *s = item->valuestring;
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
        s++;
    if (*s != '[' && *s != '{')
        return 0;
    cJSON *parsed = cJSON_Parse(s);
    if (!parsed)
        return fail(err, name, "looks like JSON but does not parse");
    cJSON_Delete(parsed);
    return 0;
}

static int check_shapes(const struct fields *obj, struct tg_log_error *err)
{
    static const struct { const char *name; int (*is)(const cJSON *); const char *want; } shapes[] = {
        {"metadata", cJSON_IsObject, "an object"},
        {"prompt_messages", cJSON_IsArray, "an array of messages"},
        {"completion_message", cJSON_IsObject, "a message object"},
        {"completion_messages", cJSON_IsArray, "an array of messages"},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const cJSON *item = field(obj, shapes[i].name);
        if (item && !shapes[i].is(item))
            return fail(err, shapes[i].name, "expected %s, got %s", shapes[i].want, type_name(item));
    }
    const cJSON *prompt = field(obj, "prompt_messages");
    int index = 0;
    const cJSON *msg;
    cJSON_ArrayForEach(msg, prompt) {
        if (!cJSON_IsObject(msg)) {
            char path[64];
            snprintf(path, sizeof path, "prompt_messages[%d]", index);
            return fail(err, path, "expected a message object, got %s", type_name(msg));
        }
        index++;
    }
    if (check_encoded(obj, "input", err) != 0 || check_encoded(obj, "output", err) != 0)
        return -1;
    return 0;
}

static int check_utf8(const cJSON *obj, const char *raw, size_t raw_len, struct tg_log_error *err)
{
    if (raw && tg_utf8_valid(raw, raw_len))
        return 0;
    struct strbuf path = STRBUF_INIT;
    strbuf_puts(&path, "");
    int bad = tg_json_find_bad_utf8(obj, &path);
    if (bad)
        fail(err, path.data ? path.data : "", "invalid UTF-8");
    else if (raw)
        fail(err, "", "invalid UTF-8 outside any string");
    strbuf_free(&path);
    return bad || raw ? -1 : 0;
}

static int derive_id(const cJSON *obj, struct tg_log *log, struct tg_log_error *err)
{
    struct strbuf canon = STRBUF_INIT;
    tg_json_write_canonical(obj, &canon);
    unsigned char digest[TG_SHA256_LEN];
    int ok = !canon.failed && tg_sha256(canon.data, canon.len, digest) == 0;
    strbuf_free(&canon);
    if (!ok)
        return fail(err, "", "cannot hash the log to derive its id");
    char id[7 + 33] = "sha256:";
    for (int i = 0; i < 16; i++)
        snprintf(id + 7 + i * 2, 3, "%02x", digest[i]);
    log->log_id = strdup(id);
    return 0;
}

static int keep_raw(const cJSON *obj, const char *raw, size_t raw_len, struct tg_log *log)
{
    if (raw) {
        log->raw = malloc(raw_len + 1);
        if (!log->raw)
            return -1;
        memcpy(log->raw, raw, raw_len);
        log->raw[raw_len] = '\0';
        log->raw_len = raw_len;
        return 0;
    }
    log->raw = cJSON_PrintUnformatted(obj);
    if (!log->raw)
        return -1;
    log->raw_len = strlen(log->raw);
    return 0;
}

int tg_log_parse_object(const cJSON *obj, const char *raw, size_t raw_len,
                        const struct tg_log_parse_options *options, struct tg_log *out,
                        struct tg_log_error *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    if (!cJSON_IsObject(obj))
        return fail(err, "", "expected a log object, got %s", type_name(obj));
    struct fields f;
    index_fields(&f, obj);
    int rc = check_utf8(obj, raw, raw_len, err);
    if (rc == 0)
        rc = check_unique(&f, "", err);
    if (rc == 0)
        rc = parse_id(&f, out, err);
    if (rc == 0)
        rc = parse_times(&f, options, out, err);
    if (rc == 0)
        rc = parse_names(&f, out, err);
    if (rc == 0)
        rc = parse_tokens(&f, out, err);
    if (rc == 0)
        rc = parse_cost(&f, out, err);
    if (rc == 0)
        rc = parse_status(&f, out, err);
    if (rc == 0)
        rc = parse_durations(&f, out, err);
    if (rc == 0)
        rc = check_shapes(&f, err);
    if (rc == 0 && !out->log_id && !(options && options->no_content_id))
        rc = derive_id(obj, out, err);
    if (rc == 0 && keep_raw(obj, raw, raw_len, out) != 0)
        rc = fail(err, "", "out of memory");
    if (rc == 0 && options && options->redact && tg_redact_log(out) < 0)
        rc = fail(err, "", "secrets could not be masked in this log");
    if (rc != 0)
        tg_log_free(out);
    return rc;
}

/* Whether the parser gave up because of its nesting limit: the depth of
 * brackets outside strings reached on the way to where it stopped. */
static bool too_deep(const char *text, size_t stop)
{
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i <= stop; i++) {
        char ch = text[i];
        if (in_string) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_string = false;
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '[' || ch == '{') {
            if (++depth > CJSON_NESTING_LIMIT)
                return true;
        } else if (ch == ']' || ch == '}') {
            depth--;
        }
    }
    return false;
}

/* The offset of a \u0000 escape, or len. cJSON would decode it into a C
 * string and so cut the text short at it; a backslash only ever appears
 * inside strings, so every one starts an escape. */
static size_t find_escaped_nul(const char *text, size_t len)
{
    for (const char *p = memchr(text, '\\', len); p; p = memchr(p, '\\', len - (size_t)(p - text))) {
        size_t at = (size_t)(p - text);
        if (at + 6 <= len && memcmp(p + 1, "u0000", 5) == 0)
            return at;
        if (at + 2 >= len)
            break;
        p += 2;
    }
    return len;
}

static int parse_text_in_scope(const char *text, size_t len, const struct tg_log_parse_options *options,
                               struct tg_log *out, struct tg_log_error *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (i == len)
        return fail(err, "", "empty: expected a log object");
    const char *nul = memchr(text, '\0', len);
    if (nul) /* never valid JSON, and it would end the text early for the parser */
        return fail_json(err, "invalid JSON: a NUL byte at byte %zu", (size_t)(nul - text) + 1);
    const char *end = NULL;
    cJSON *obj = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!obj) {
        size_t at = end && end >= text ? (size_t)(end - text) : 0;
        if (at < len && too_deep(text, at))
            return fail_json(err, "invalid JSON: nested deeper than %d levels near byte %zu", CJSON_NESTING_LIMIT,
                        at + 1);
        return fail_json(err, "invalid JSON near byte %zu", at + 1);
    }
    size_t escaped_nul = find_escaped_nul(text, len);
    if (escaped_nul < len) {
        cJSON_Delete(obj);
        return fail(err, "", "a NUL character (\\u0000) in a string at byte %zu is not accepted", escaped_nul + 1);
    }
    for (const char *p = end; p < text + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            cJSON_Delete(obj);
            return fail(err, "", "unexpected text after the JSON value at byte %zu", (size_t)(p - text) + 1);
        }
    }
    int rc = tg_log_parse_object(obj, text, len, options, out, err);
    cJSON_Delete(obj);
    return rc;
}

/* The tree lives only while the log is read: everything kept is copied out
 * with malloc, so the whole tree can come from the thread's JSON arena. */
int tg_log_parse_text(const char *text, size_t len, const struct tg_log_parse_options *options,
                      struct tg_log *out, struct tg_log_error *err)
{
    tg_json_scope_begin();
    int rc = parse_text_in_scope(text, len, options, out, err);
    tg_json_scope_end();
    return rc;
}

void tg_log_free(struct tg_log *log)
{
    char *owned[] = {log->log_id, log->model, log->provider, log->developer, log->developer_name,
                     log->developer_email, log->key_id, log->key_name, log->error_message,
                     log->thread_id, log->trace_id, log->log_type, log->raw};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        free(owned[i]);
    free(log->body);
    memset(log, 0, sizeof *log);
}

/* A message array from a field that is an array, an object, or JSON text of either. */
static cJSON *as_message_array(const cJSON *item)
{
    if (!item)
        return NULL;
    cJSON *value = NULL;
    if (cJSON_IsString(item)) {
        value = cJSON_Parse(item->valuestring);
        if (!value) { /* plain text: one message of that text */
            cJSON *arr = cJSON_CreateArray();
            cJSON *msg = cJSON_CreateObject();
            cJSON_AddStringToObject(msg, "content", item->valuestring);
            cJSON_AddItemToArray(arr, msg);
            return arr;
        }
    } else {
        value = cJSON_Duplicate(item, 1);
    }
    if (value && cJSON_IsObject(value)) {
        cJSON *arr = cJSON_CreateArray();
        cJSON_AddItemToArray(arr, value);
        return arr;
    }
    if (value && !cJSON_IsArray(value)) {
        cJSON_Delete(value);
        return NULL;
    }
    return value;
}

void tg_log_messages(const cJSON *log, cJSON **prompt, cJSON **completion)
{
    struct fields f;
    const struct fields *obj = &f;
    index_fields(&f, log);
    const cJSON *p = field(obj, "prompt_messages");
    *prompt = as_message_array(p ? p : field(obj, "input"));
    const cJSON *c = field(obj, "completion_messages");
    if (!c)
        c = field(obj, "completion_message");
    *completion = as_message_array(c ? c : field(obj, "output"));
}
