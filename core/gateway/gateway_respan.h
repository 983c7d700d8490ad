/* The Respan (Keywords AI) adapter of the gateway interface. */
#ifndef TG_GATEWAY_RESPAN_H
#define TG_GATEWAY_RESPAN_H

#include <stddef.h>

#include "gateway/gateway.h"

#define TG_RESPAN_DEFAULT_BASE_URL "https://api.respan.ai/api/"

/* Refuses plain http:// except to loopback, so the admin key never crosses a
 * network in clear. Returns 0 or -1 with err. */
int tg_gateway_respan(struct tg_gateway *gw, const struct tg_gateway_config *config, char *err, size_t errlen);

/* The parts that read the gateway's answers, apart from the calls so they can
 * be fuzzed. A log-list page: detaches doc's "results" into out (the caller
 * still deletes doc); -1 with err when it has none. */
int tg_respan_read_log_page(cJSON *doc, int page_size, struct tg_log_page *out, struct tg_gateway_error *err);
/* One element of the key list's "results". */
void tg_respan_read_key(const cJSON *obj, struct tg_gateway_key *key);
/* The key list's "next" page into url: 1 when there is one, 0 when not, -1
 * with err when it points off the gateway (the key must not go there). */
int tg_respan_next_page(const cJSON *doc, const char *base_url, char *url, size_t len, struct tg_gateway_error *err);

#endif
