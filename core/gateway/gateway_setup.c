#include "gateway/gateway_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway_litellm.h"
#include "gateway/gateway_respan.h"
#include "gateway/http.h"
#include "base/paths.h"

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

int tg_gateway_setup_open(const struct tg_gateway_setup_options *o, struct tg_gateway_setup *out, char *err,
                          size_t errlen)
{
    memset(out, 0, sizeof *out);
    char dir[4096], path[4200];
    if (tg_paths_config_dir(dir, sizeof dir, err, errlen) == 0) {
        snprintf(path, sizeof path, "%s/config", dir);
        if (tg_config_load(path, &out->config, err, errlen) != 0)
            return -1;
    }
    const char *name = o->name ? o->name : out->config.gateway ? out->config.gateway : "respan";
    struct tg_gateway_config gc = {
        .http = {.cacert = o->cacert ? o->cacert : out->config.cacert, .cancel = o->cancel, .on_retry = o->on_retry},
    };
    int rc;
    if (strcmp(name, "respan") == 0) {
        gc.base_url = env_or("RESPAN_BASE_URL", out->config.respan_base_url ? out->config.respan_base_url
                                                                            : TG_RESPAN_DEFAULT_BASE_URL);
        gc.api_key = env_or("RESPAN_API_KEY", out->config.respan_api_key);
        rc = tg_gateway_respan(&out->gw, &gc, err, errlen);
    } else if (strcmp(name, "litellm") == 0) {
        gc.base_url = env_or("LITELLM_BASE_URL", out->config.litellm_base_url);
        gc.api_key = env_or("LITELLM_MASTER_KEY", out->config.litellm_master_key);
        rc = tg_gateway_litellm(&out->gw, &gc, err, errlen);
    } else {
        snprintf(err, errlen, "unknown gateway '%.40s': respan or litellm", name);
        rc = -1;
    }
    if (rc == 0 && tg_http_global_init() != 0) {
        snprintf(err, errlen, "cannot initialise libcurl");
        rc = -1;
    }
    if (rc != 0)
        tg_config_free(&out->config);
    return rc;
}

void tg_gateway_setup_close(struct tg_gateway_setup *setup)
{
    tg_config_free(&setup->config);
}
