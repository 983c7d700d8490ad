/* An adversarial review of the storage changes of schema 12: the compact id
 * columns (core/store/compactid.c), the bulk batch's id run (idrun.c,
 * logids.c) and the two-stream packs. Each test is a way those could lose a
 * log or count one twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/logmodel.h"
#include "log/pricing.h"
#include "store/store.h"
#include "store_fixture.h"

#define BASE_MS 1793491200000LL /* 2026-11-01T00:00:00Z */
#define UUID_A "0b4a2c1e-1111-4222-8333-444455556666"

static bool add_id(struct tg_store *store, const char *id, int second)
{
    char json[512], err[256];
    snprintf(json, sizeof json,
             "{\"unique_id\":\"%s\",\"timestamp\":%.3f,\"customer_identifier\":\"dana\","
             "\"model\":\"m1\",\"prompt_tokens\":10,\"completion_tokens\":5,\"cost\":0.001}",
             id, (double)(BASE_MS + second * 1000LL) / 1000.0);
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

static void begin(struct tg_store *store)
{
    char err[256];
    assert_int_equal(tg_store_begin(store, err, sizeof err), 0);
}

static void commit(struct tg_store *store)
{
    char err[256];
    assert_int_equal(tg_store_commit(store, err, sizeof err), 0);
}

static struct tg_store *open_bulk(const struct store_fixture *f)
{
    char err[256];
    struct tg_store *bulk;
    assert_int_equal(tg_store_open(f->path, TG_STORE_BULK, &bulk, err, sizeof err), 0);
    return bulk;
}

/* A UUID sent twice in one bulk batch (an import file holding a resend) was
 * stored twice: the batch's run compared the packed 16-byte column with the
 * id's 36 characters, so it never matched, and its cost counted twice. */
static void test_bulk_batch_resent_uuid_is_one_request(void **state)
{
    struct store_fixture *f = *state;
    struct tg_store *bulk = open_bulk(f);
    begin(bulk);
    assert_true(add_id(bulk, UUID_A, 1));
    assert_false(add_id(bulk, UUID_A, 2));
    assert_true(add_id(bulk, "plain-id", 3));
    assert_false(add_id(bulk, "plain-id", 4));
    commit(bulk);
    tg_store_close(bulk);
    assert_int_equal(tg_store_request_count(f->store), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bulk_batch_resent_uuid_is_one_request, store_fixture_setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
