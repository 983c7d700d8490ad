#include "log/pricing.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/hashmap.h"
#include "log/logmodel.h"

/* $1,000 per million tokens: anything above is a typo. It also keeps
 * tokens (<= 1e9 each, checked by the log parser) x pico-dollars within int64. */
#define MAX_PRICE_PER_TOKEN 0.001

struct tg_pricing {
    struct hashmap *by_name; /* lowercased model name -> struct tg_price */
};

extern const char tg_pricing_builtin_json[];
extern const char tg_pricing_builtin_json_end[];

struct tg_pricing *tg_pricing_new(void)
{
    struct tg_pricing *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->by_name = hashmap_new();
    if (!p->by_name) {
        free(p);
        return NULL;
    }
    return p;
}

void tg_pricing_free(struct tg_pricing *p)
{
    if (!p)
        return;
    hashmap_free(p->by_name, free);
    free(p);
}

size_t tg_pricing_count(const struct tg_pricing *p)
{
    return hashmap_count(p->by_name);
}

/* Reads one per-token price; absent is fine (*present false). */
static int read_price(const cJSON *entry, const char *model, const char *field, int64_t *pico, bool *present,
                      char *err, size_t errlen)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(entry, field);
    *present = false;
    if (!item || cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble) || item->valuedouble < 0 ||
        item->valuedouble > MAX_PRICE_PER_TOKEN) {
        snprintf(err, errlen, "model \"%.80s\": %s must be a price per token in dollars (0 to 0.001)", model, field);
        return -1;
    }
    *pico = llround(item->valuedouble * 1e12);
    *present = true;
    return 0;
}

static void lowercase(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static int put_price(struct tg_pricing *p, const char *model, const struct tg_price *price)
{
    char key[512];
    snprintf(key, sizeof key, "%s", model);
    lowercase(key);
    struct tg_price *copy = malloc(sizeof *copy);
    if (!copy)
        return -1;
    *copy = *price;
    struct tg_price *old = hashmap_get(p->by_name, key, strlen(key));
    if (hashmap_put(p->by_name, key, strlen(key), copy) != 0) {
        free(copy);
        return -1;
    }
    free(old);
    return 0;
}

/* One entry. Entries without any per-token price (image or audio models,
 * LiteLLM's "sample_spec") are not about tokens: skipped. */
static int merge_entry(struct tg_pricing *p, const cJSON *entry, char *err, size_t errlen)
{
    const char *model = entry->string;
    if (strcmp(model, "sample_spec") == 0)
        return 0;
    if (!cJSON_IsObject(entry)) {
        snprintf(err, errlen, "model \"%.80s\": expected an object of prices", model);
        return -1;
    }
    struct tg_price price = {0};
    bool has_in, has_out, has_read, has_write;
    if (read_price(entry, model, "input_cost_per_token", &price.input_pico, &has_in, err, errlen) != 0 ||
        read_price(entry, model, "output_cost_per_token", &price.output_pico, &has_out, err, errlen) != 0 ||
        read_price(entry, model, "cache_read_input_token_cost", &price.cache_read_pico, &has_read, err, errlen) != 0 ||
        read_price(entry, model, "cache_creation_input_token_cost", &price.cache_creation_pico, &has_write, err,
                   errlen) != 0)
        return -1;
    if (!has_in && !has_out)
        return 0;
    /* without a cache price, cached tokens cost what input tokens cost */
    if (!has_read)
        price.cache_read_pico = price.input_pico;
    if (!has_write)
        price.cache_creation_pico = price.input_pico;
    if (put_price(p, model, &price) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int tg_pricing_merge_json(struct tg_pricing *p, const char *json, size_t len, char *err, size_t errlen)
{
    cJSON *doc = cJSON_ParseWithLength(json, len);
    if (!doc) {
        snprintf(err, errlen, "pricing table: invalid JSON");
        return -1;
    }
    int rc = 0;
    if (!cJSON_IsObject(doc)) {
        snprintf(err, errlen, "pricing table: expected an object keyed by model name");
        rc = -1;
    }
    const cJSON *entry;
    cJSON_ArrayForEach(entry, doc) {
        if (rc != 0)
            break;
        rc = merge_entry(p, entry, err, errlen);
    }
    cJSON_Delete(doc);
    return rc;
}

int tg_pricing_merge_file(struct tg_pricing *p, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open pricing file %s: %s", path, strerror(errno));
        return -1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[65536];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n > cap) {
            cap = (len + n) * 2;
            char *t = realloc(text, cap);
            if (!t) {
                free(text);
                fclose(f);
                snprintf(err, errlen, "out of memory reading %s", path);
                return -1;
            }
            text = t;
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    int read_failed = ferror(f);
    fclose(f);
    if (read_failed) {
        free(text);
        snprintf(err, errlen, "cannot read pricing file %s", path);
        return -1;
    }
    char inner[400];
    int rc = tg_pricing_merge_json(p, text ? text : "", len, inner, sizeof inner);
    free(text);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, inner);
    return rc;
}

int tg_pricing_merge_builtin(struct tg_pricing *p, char *err, size_t errlen)
{
    size_t len = (size_t)(tg_pricing_builtin_json_end - tg_pricing_builtin_json);
    return tg_pricing_merge_json(p, tg_pricing_builtin_json, len, err, errlen);
}

static const struct tg_price *find(const struct tg_pricing *p, const char *name, size_t len)
{
    return len ? hashmap_get(p->by_name, name, len) : NULL;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

/* "-20250929", "@20250929", "-2024-08-06", "-v1:0", "-latest": suffixes that name
 * a release of a model, not another model. Returns the length without one. */
static size_t without_version_suffix(const char *name, size_t len)
{
    const char *colon = memchr(name, ':', len); /* bedrock's "-v1:0" */
    if (colon) {
        const char *dash = colon;
        while (dash > name && *dash != '-')
            dash--;
        if (dash > name && dash[1] == 'v')
            len = (size_t)(dash - name);
    }
    if (len > 7 && strncmp(name + len - 7, "-latest", 7) == 0)
        return len - 7;
    if (len > 9 && (name[len - 9] == '-' || name[len - 9] == '@') && all_digits(name + len - 8, 8))
        return len - 9;
    const char *d = name + len - 10; /* yyyy-mm-dd */
    if (len > 11 && d[-1] == '-' && all_digits(d, 4) && d[4] == '-' && all_digits(d + 5, 2) && d[7] == '-' &&
        all_digits(d + 8, 2))
        return len - 11;
    return len;
}

const struct tg_price *tg_pricing_lookup(const struct tg_pricing *p, const char *model)
{
    char name[512];
    if (!model || snprintf(name, sizeof name, "%s", model) >= (int)sizeof name)
        return NULL;
    lowercase(name);
    size_t len = strlen(name);
    const struct tg_price *price = find(p, name, len);
    if (price)
        return price;
    /* provider prefixes: "openai/gpt-5.5", "bedrock/anthropic.claude-..." */
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    const char *dot = strchr(base, '.');
    if (dot && strncmp(base, "anthropic.", 10) == 0)
        base = dot + 1;
    size_t base_len = strlen(base);
    if ((price = find(p, base, base_len)) != NULL)
        return price;
    size_t trimmed = without_version_suffix(base, base_len);
    if (trimmed < base_len && (price = find(p, base, trimmed)) != NULL)
        return price;
    return NULL;
}

/* tokens x pico-dollars / 1000 = nano-dollars, rounded once at the end.
 * Capped like a given cost (TG_MAX_REQUEST_NANOS): an estimate is never more
 * than a log may say it cost, and the arithmetic is checked, so no count and
 * price can make it wrap. */
tg_nanos tg_price_cost(const struct tg_price *price, const struct tg_token_counts *tokens)
{
    int64_t cached = 0, uncached = 0;
    if (!tg_add_checked(&cached, tokens->cache_read) || !tg_add_checked(&cached, tokens->cache_creation))
        return TG_MAX_REQUEST_NANOS;
    if (tokens->prompt > cached)
        uncached = tokens->prompt - cached;
    const int64_t counts[] = {uncached, tokens->cache_read, tokens->cache_creation, tokens->completion};
    const int64_t prices[] = {price->input_pico, price->cache_read_pico, price->cache_creation_pico,
                              price->output_pico};
    int64_t pico = 0, part;
    for (int i = 0; i < 4; i++) {
        if (!tg_mul_checked(counts[i], prices[i], &part) || !tg_add_checked(&pico, part))
            return TG_MAX_REQUEST_NANOS;
    }
    tg_nanos nanos = pico / 1000 + (pico % 1000 >= 500);
    return nanos > TG_MAX_REQUEST_NANOS ? TG_MAX_REQUEST_NANOS : nanos;
}

void tg_pricing_price_log(const struct tg_pricing *pricing, struct tg_log *log)
{
    if (log->has_cost) {
        log->cost_kind = TG_COST_GATEWAY;
        return;
    }
    /* the provider refused it (429, 5xx, "status": "error"): it costs nothing
     * unless the gateway says otherwise, so it is never estimated */
    if (log->is_error) {
        log->cost = 0;
        log->cost_kind = TG_COST_NOT_CHARGED;
        return;
    }
    const struct tg_price *price = pricing && log->model ? tg_pricing_lookup(pricing, log->model) : NULL;
    if (!price) {
        log->cost = 0;
        log->cost_kind = TG_COST_UNPRICED;
        return;
    }
    struct tg_token_counts tokens = {log->prompt_tokens, log->completion_tokens, log->cache_read_tokens,
                                     log->cache_creation_tokens};
    log->cost = tg_price_cost(price, &tokens);
    log->cost_kind = TG_COST_ESTIMATED;
}
