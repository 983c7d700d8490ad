/* Small logs stored by id in a batch, for the unit tests of the store's
 * dedupe (log ids, the Bloom filter, the bulk batch's id run): a log is its
 * id and a second past 2026-11-01. Header-only, like store_fixture.h; the
 * test includes cmocka first. */
#ifndef TG_TEST_STORE_BATCH_H
#define TG_TEST_STORE_BATCH_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "log/logmodel.h"
#include "log/pricing.h"
#include "store/store.h"
#include "store_fixture.h"

#define STORE_BATCH_BASE_MS 1793491200000LL /* 2026-11-01T00:00:00Z */

/* Parses, prices and stores one log given as JSON; true when it was new. */
static inline bool store_batch_add_json(struct tg_store *store, const char *json)
{
    char err[256];
    struct tg_log log;
    struct tg_log_error lerr;
    struct tg_log_parse_options opt = {0};
    if (tg_log_parse_text(json, strlen(json), &opt, &log, &lerr) != 0)
        fail_msg("parse: %s", lerr.message);
    tg_pricing_price_log(NULL, &log);
    bool inserted;
    if (tg_store_add(store, &log, &inserted, err, sizeof err) != 0)
        fail_msg("add: %s", err);
    tg_log_free(&log);
    return inserted;
}

/* Stores one priced log with this id, at BASE + second; true when it was new. */
static inline bool store_batch_add_id(struct tg_store *store, const char *id, int second)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"unique_id\":\"%s\",\"timestamp\":%.3f,\"customer_identifier\":\"dana\","
             "\"model\":\"m1\",\"prompt_tokens\":10,\"completion_tokens\":5,\"cost\":0.001}",
             id, (double)(STORE_BATCH_BASE_MS + second * 1000LL) / 1000.0);
    return store_batch_add_json(store, json);
}

/* Logs PREFIX-first .. PREFIX-last, log i at second i; how many were new. */
static inline int store_batch_add_range(struct tg_store *store, const char *prefix, int first, int last)
{
    int fresh = 0;
    for (int i = first; i <= last; i++) {
        char id[64];
        snprintf(id, sizeof id, "%s-%d", prefix, i);
        fresh += store_batch_add_id(store, id, i);
    }
    return fresh;
}

static inline void store_batch_begin(struct tg_store *store)
{
    char err[256];
    assert_int_equal(tg_store_begin(store, err, sizeof err), 0);
}

static inline void store_batch_commit(struct tg_store *store)
{
    char err[256];
    assert_int_equal(tg_store_commit(store, err, sizeof err), 0);
}

/* A second connection to the fixture's db, as `import` opens it. */
static inline struct tg_store *store_batch_open_bulk(const struct store_fixture *f)
{
    char err[256];
    struct tg_store *bulk;
    assert_int_equal(tg_store_open(f->path, TG_STORE_BULK, &bulk, err, sizeof err), 0);
    return bulk;
}

#endif
