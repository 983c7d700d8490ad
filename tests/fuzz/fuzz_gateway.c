/* libFuzzer target: any answer body from a gateway, read the way the client
 * reads it: as a Respan log-list page (whose logs sync then parses and
 * prices), as a Respan key-list page with its "next" link, and as a LiteLLM
 * /key/list page. Besides no crash, leak or undefined behaviour: a "next" link
 * that is followed must stay on the gateway's own host, since the admin key is
 * sent there. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gateway/gateway.h"
#include "gateway/gateway_litellm.h"
#include "gateway/gateway_respan.h"
#include "ingest/ingest.h"
#include "log/logmodel.h"
#include "log/pricing.h"

static const char BASE_URL[] = "https://api.respan.ai/api/";
static struct tg_pricing *pricing;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256];
    pricing = tg_pricing_new();
    if (!pricing || tg_pricing_merge_builtin(pricing, err, sizeof err) != 0)
        abort();
    return 0;
}

/* As sync does with each log of a page: parse the object, price it. */
static void read_logs(const cJSON *logs)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, logs) {
        struct tg_log log;
        struct tg_log_error error;
        struct tg_log_parse_options popt = {0};
        if (tg_log_parse_object(item, NULL, 0, &popt, &log, &error) != 0)
            continue;
        tg_pricing_price_log(pricing, &log);
        tg_log_free(&log);
    }
}

static void read_log_page(cJSON *doc)
{
    struct tg_log_page page = {0};
    struct tg_gateway_error err = {0};
    if (tg_respan_read_log_page(doc, 100, &page, &err) == 0) {
        read_logs(page.logs);
        cJSON_Delete(page.logs);
    } else if (!err.message[0]) {
        abort();
    }
}

/* The origin of BASE_URL ends where its path starts. */
static void check_next_page(const cJSON *doc)
{
    char url[2048] = "";
    struct tg_gateway_error err = {0};
    if (tg_respan_next_page(doc, BASE_URL, url, sizeof url, &err) != 1)
        return;
    size_t origin = strlen("https://api.respan.ai");
    char after = url[origin];
    if (strncmp(url, BASE_URL, origin) != 0 || (after != '/' && after != '\0' && after != '?' && after != '#')) {
        fprintf(stderr, "followed a next page off the gateway: %s\n", url);
        abort();
    }
}

static void read_key_list(const cJSON *doc, const char *field, void (*read)(const cJSON *, struct tg_gateway_key *))
{
    struct tg_key_list keys = {0};
    struct tg_gateway_error err = {0};
    if (tg_gateway_read_keys(doc, field, read, &keys, &err) == 0) {
        for (size_t i = 0; i < keys.count; i++) {
            const struct tg_gateway_key *k = &keys.items[i];
            if (!memchr(k->id, '\0', sizeof k->id) || !memchr(k->name, '\0', sizeof k->name) ||
                !memchr(k->shown, '\0', sizeof k->shown) || !memchr(k->owner, '\0', sizeof k->owner))
                abort();
        }
    }
    tg_key_list_free(&keys);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* as tg_gateway_json_call parses a 2xx answer */
    cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
    if (!doc)
        return 0;
    read_key_list(doc, "results", tg_respan_read_key);
    check_next_page(doc);
    read_key_list(doc, "keys", tg_litellm_read_key);
    read_log_page(doc); /* last: it takes "results" out of doc */
    cJSON_Delete(doc);
    return 0;
}
