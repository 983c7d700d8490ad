/* The LiteLLM proxy adapter of the gateway interface: keys (/key/list, block,
 * delete) and the spend logs (/spend/logs/v2), returned as the proxy gives
 * them; log/litellm_log.h maps them onto the log model. */
#ifndef TG_GATEWAY_LITELLM_H
#define TG_GATEWAY_LITELLM_H

#include <stddef.h>

#include "gateway/gateway.h"

/* base_url is the proxy's root (LITELLM_BASE_URL), api_key its master key. */
int tg_gateway_litellm(struct tg_gateway *gw, const struct tg_gateway_config *config, char *err, size_t errlen);

/* One element of /key/list's "keys": a full key object, or just its token.
 * Public so the fuzz harness reads answers the way the adapter does. */
void tg_litellm_read_key(const cJSON *obj, struct tg_gateway_key *key);

/* One answer of /spend/logs/v2 ({"data":[...],"total_pages":N}, or a bare
 * array from an older proxy: one page) as page `page` of logs. */
int tg_litellm_read_log_page(const cJSON *doc, int page, struct tg_log_page *out, struct tg_gateway_error *err);

#endif
