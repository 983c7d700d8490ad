#include "gateway/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/secrets.h"

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static char **slot_for(struct tg_config *c, const char *key, int *secret)
{
    *secret = 0;
    if (strcmp(key, "gateway") == 0) return &c->gateway;
    if (strcmp(key, "respan_base_url") == 0) return &c->respan_base_url;
    if (strcmp(key, "litellm_base_url") == 0) return &c->litellm_base_url;
    if (strcmp(key, "cacert") == 0) return &c->cacert;
    *secret = 1;
    if (strcmp(key, "respan_api_key") == 0) return &c->respan_api_key;
    if (strcmp(key, "litellm_master_key") == 0) return &c->litellm_master_key;
    return NULL;
}

int tg_config_load(const char *path, struct tg_config *config, char *err, size_t errlen)
{
    memset(config, 0, sizeof *config);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0, holds_secret = 0;
    int in_section = 0; /* [budgets], [teams]: other modules read those (base/budgetconf.h) */
    while (rc == 0 && getline(&line, &cap, f) > 0) {
        lineno++;
        char *t = trim(line);
        if (*t == '\0' || *t == '#')
            continue;
        if (*t == '[')
            in_section = 1;
        if (in_section)
            continue;
        char *eq = strchr(t, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected `key = value`", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(t), *value = trim(eq + 1);
        int secret;
        char **slot = slot_for(config, key, &secret);
        if (!slot) {
            snprintf(err, errlen, "%s:%d: unknown setting '%.60s'", path, lineno, key);
            rc = -1;
            break;
        }
        free(*slot);
        *slot = strdup(value);
        holds_secret |= secret && *value;
    }
    free(line);
    fclose(f);
    if (rc == 0 && holds_secret && tg_secret_file_private(path, err, errlen) != 0)
        rc = -1;
    if (rc != 0)
        tg_config_free(config);
    return rc;
}

void tg_config_free(struct tg_config *c)
{
    char *secrets[] = {c->respan_api_key, c->litellm_master_key};
    for (size_t i = 0; i < 2; i++) {
        if (secrets[i])
            memset(secrets[i], 0, strlen(secrets[i]));
    }
    free(c->gateway);
    free(c->respan_base_url);
    free(c->respan_api_key);
    free(c->litellm_base_url);
    free(c->litellm_master_key);
    free(c->cacert);
    memset(c, 0, sizeof *c);
}
