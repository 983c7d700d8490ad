/* The config file, $XDG_CONFIG_HOME/tollgate/config: lines of `key = value`,
 * # comments, up to the first [section] line (the sections are other
 * modules': [budgets] and [teams], see base/budgetconf.h). It may hold gateway keys, so it is refused when others can read
 * it. Environment variables override it. */
#ifndef TG_CONFIG_H
#define TG_CONFIG_H

#include <stddef.h>

struct tg_config {
    char *gateway;            /* respan | litellm */
    char *respan_base_url, *respan_api_key;
    char *litellm_base_url, *litellm_master_key;
    char *cacert;
};

/* A missing file is an empty config (0). Returns -1 with err naming the file
 * and line for a bad line, an unknown key, or a file holding a key that group
 * or others may read. */
int tg_config_load(const char *path, struct tg_config *config, char *err, size_t errlen);
void tg_config_free(struct tg_config *config);

#endif
