/* `sync --gateway litellm`: pulls a LiteLLM proxy's spend logs (/spend/logs/v2,
 * by date range, paged, oldest first) into the store, each log mapped as the
 * collector maps pushed ones (log/litellm_log.h), so a call pushed and pulled
 * is stored once. Each page commits with the position reached, as the Respan
 * sync does, and a run is bounded: at most sync.max_pages pages (--max-pages), a page the proxy
 * answers twice stops it with an error, and the position never passes the
 * run's own end (a log dated in the future is stored, not followed). */
#ifndef TG_SYNC_LITELLM_H
#define TG_SYNC_LITELLM_H

#include <stddef.h>

#include "gateway/gateway.h"
#include "log/litellm_log.h"
#include "log/pricing.h"
#include "ops/sync.h"
#include "store/store.h"

struct tg_litellm_sync_options {
    struct tg_sync_options sync;          /* as for Respan; page_size at most 100 */
    enum tg_litellm_developer developer;  /* which field names the developer */
};

/* One run, from the stored position (less the overlap) or since_ms, to now.
 * Returns 0, or -1 with gerr; pages committed before a failure stay. */
int tg_sync_litellm_run(struct tg_store *store, const struct tg_pricing *pricing, struct tg_gateway *gateway,
                        const struct tg_litellm_sync_options *options, struct tg_sync_stats *stats,
                        struct tg_gateway_error *gerr);

/* As tg_sync_follow, with LiteLLM runs. */
int tg_sync_litellm_follow(struct tg_store *store, const struct tg_pricing *pricing, struct tg_gateway *gateway,
                           const struct tg_litellm_sync_options *options, long every_s, tg_sync_round_fn on_round,
                           void *ctx, struct tg_sync_stats *total);

/* The name of the position in the db: "litellm BASE_URL". */
void tg_sync_litellm_source(const struct tg_gateway *gateway, char *out, size_t len);

#endif
