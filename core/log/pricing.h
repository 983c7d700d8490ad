/* Model prices in LiteLLM's model_prices_and_context_window.json format, used to
 * estimate the cost of logs that arrive without one. */
#ifndef TG_PRICING_H
#define TG_PRICING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/money.h"

/* Prices are pico-dollars per token so list prices such as $0.0375 / 1M stay exact. */
struct tg_price {
    int64_t input_pico;
    int64_t output_pico;
    int64_t cache_read_pico;     /* falls back to input_pico when the table has none */
    int64_t cache_creation_pico; /* falls back to input_pico when the table has none */
};

struct tg_token_counts {
    int64_t prompt;         /* all input tokens, cached ones included */
    int64_t completion;
    int64_t cache_read;     /* part of prompt read from the cache */
    int64_t cache_creation; /* part of prompt written to the cache */
};

struct tg_pricing;

/* An empty table. NULL when out of memory. */
struct tg_pricing *tg_pricing_new(void);
void tg_pricing_free(struct tg_pricing *p);

/* Adds or replaces entries from JSON text (LiteLLM format). Entries without any
 * per-token price (image models, "sample_spec") are skipped. Returns 0, or -1
 * with a message in err naming what is wrong. */
int tg_pricing_merge_json(struct tg_pricing *p, const char *json, size_t len, char *err, size_t errlen);

/* Same, from a file; the message names the file. */
int tg_pricing_merge_file(struct tg_pricing *p, const char *path, char *err, size_t errlen);

/* The table compiled into the binary from assets/pricing.json. */
int tg_pricing_merge_builtin(struct tg_pricing *p, char *err, size_t errlen);

/* Finds the price of a model name as it appears in logs: exact, then
 * case-insensitively, then without a provider prefix ("openai/gpt-5.5"),
 * then without a date or version suffix ("-20250929", "@20250929", "-v1:0").
 * NULL when the model is unknown. */
const struct tg_price *tg_pricing_lookup(const struct tg_pricing *p, const char *model);

/* Number of entries, for messages and tests. */
size_t tg_pricing_count(const struct tg_pricing *p);

/* Cost of one request: uncached prompt tokens at the input price, cache reads and
 * writes at theirs, completion at the output price; rounded to the nearest
 * nano-dollar, and at most TG_MAX_REQUEST_NANOS (what a log may say it cost). */
tg_nanos tg_price_cost(const struct tg_price *price, const struct tg_token_counts *tokens);

struct tg_log;

/* Prices a log that came without a cost: a failed request (is_error) costs 0
 * (TG_COST_NOT_CHARGED: the provider refused it); otherwise estimated from the
 * table, or marked unpriced (cost 0) when the model is unknown (or pricing is
 * NULL). Logs with a cost keep it, marked as the gateway's. */
void tg_pricing_price_log(const struct tg_pricing *pricing, struct tg_log *log);

#endif
