/* A gateway adapter set up from the config file and the environment (which
 * wins): RESPAN_BASE_URL / RESPAN_API_KEY, or LITELLM_BASE_URL /
 * LITELLM_MASTER_KEY; the adapter is the one named, else the config's
 * `gateway`, else respan. */
#ifndef TG_GATEWAY_SETUP_H
#define TG_GATEWAY_SETUP_H

#include <stddef.h>
#include <stdatomic.h>

#include "gateway/config.h"
#include "gateway/gateway.h"

struct tg_gateway_setup {
    struct tg_gateway gw;
    struct tg_config config; /* the gateway's strings point into it */
};

struct tg_gateway_setup_options {
    const char *name;   /* "respan", "litellm", or NULL */
    const char *cacert; /* overrides the config's */
    atomic_int *cancel;
    void (*on_retry)(void *ctx, int attempt, long wait_ms, const char *why);
};

/* Returns 0, or -1 with err (a bad or too-open config file, a missing key, an
 * unknown gateway). */
int tg_gateway_setup_open(const struct tg_gateway_setup_options *options, struct tg_gateway_setup *out, char *err,
                          size_t errlen);
void tg_gateway_setup_close(struct tg_gateway_setup *setup);

#endif
