/* The Respan (Keywords AI) adapter of the gateway interface. */
#ifndef TG_GATEWAY_RESPAN_H
#define TG_GATEWAY_RESPAN_H

#include <stddef.h>

#include "gateway.h"

#define TG_RESPAN_DEFAULT_BASE_URL "https://api.respan.ai/api/"

/* Refuses plain http:// except to loopback, so the admin key never crosses a
 * network in clear. Returns 0 or -1 with err. */
int tg_gateway_respan(struct tg_gateway *gw, const struct tg_gateway_config *config, char *err, size_t errlen);

#endif
