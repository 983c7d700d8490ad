/* User text in filters and names is data, never SQL: quotes, SQL fragments
 * and LIKE wildcards match only themselves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query/browse.h"
#include "query/filter.h"
#include "query/requestlist.h"
#include "ingest/ingest.h"
#include "query/search.h"
#include "store/store.h"
#include "base/timeutil.h"
#include "store_fixture.h"


static const char *const LOGS[] = {
    "{\"unique_id\":\"s1\",\"timestamp\":\"2026-11-20T10:00:00Z\",\"model\":\"gpt-5.5\","
    "\"customer_identifier\":\"x' OR '1'='1\",\"organization_key_name\":\"k\\\"; DROP TABLE requests; --\","
    "\"prompt_messages\":[{\"role\":\"user\",\"content\":\"it's \\\"quoted\\\" text\"}]}",
    "{\"unique_id\":\"s2\",\"timestamp\":\"2026-11-20T11:00:00Z\",\"model\":\"O'Neil-Model\","
    "\"customer_identifier\":\"bob\",\"organization_key_name\":\"plain\","
    "\"prompt_messages\":[{\"role\":\"user\",\"content\":\"nothing to see\"}]}",
    "{\"unique_id\":\"s3\",\"timestamp\":\"2026-11-20T12:00:00Z\",\"model\":\"claude-opus\","
    "\"customer_identifier\":\"carol\",\"organization_key_name\":\"other\","
    "\"prompt_messages\":[{\"role\":\"user\",\"content\":\"more words\"}]}",
};

static int setup(void **state)
{
    struct store_fixture *f = calloc(1, sizeof *f);
    if (!f || store_fixture_open(f, "sqltext") != 0) {
        free(f);
        return -1;
    }
    char err[256];
    assert_int_equal(tg_store_begin(f->store, err, sizeof err), 0);
    for (size_t i = 0; i < sizeof LOGS / sizeof LOGS[0]; i++) {
        struct tg_log log;
        struct tg_log_error lerr;
        struct tg_log_parse_options opt = {0};
        bool inserted;
        if (tg_log_parse_text(LOGS[i], strlen(LOGS[i]), &opt, &log, &lerr) != 0)
            fail_msg("parse %zu: %s", i, lerr.message);
        tg_pricing_price_log(NULL, &log);
        assert_int_equal(tg_store_add(f->store, &log, &inserted, err, sizeof err), 0);
        tg_log_free(&log);
    }
    assert_int_equal(tg_store_commit(f->store, err, sizeof err), 0);
    assert_true(tg_search_index_more(f->store, 100, err, sizeof err) >= 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct store_fixture *f = *state;
    store_fixture_close(f);
    free(f);
    return 0;
}

/* How many requests a filter with one field set finds. */
static int found(struct tg_store *store, char *field, const char *value, struct tg_request_filter *filter)
{
    snprintf(field, 128, "%s", value);
    struct tg_request_row rows[10];
    char err[256];
    struct tg_request_list list = {store, TG_ORDER_TIME, 0, INT64_MAX / 2, filter, false};
    tg_request_list_plan(&list);
    int n = tg_request_list_page(&list, false, INT64_MAX, INT64_MAX, rows, 10, err, sizeof err);
    if (n < 0)
        fail_msg("browse: %s", err);
    return n;
}

static void test_filters_are_plain_text(void **state)
{
    struct store_fixture *f = *state;
    struct tg_request_filter fl;
    tg_filter_clear(&fl);
    assert_int_equal(found(f->store, fl.model, "%", &fl), 0);
    assert_int_equal(found(f->store, fl.model, "_", &fl), 0);
    assert_int_equal(found(f->store, fl.model, "' OR 1=1 --", &fl), 0);
    assert_int_equal(found(f->store, fl.model, "o'neil", &fl), 1); /* a substring, any case */
    tg_filter_clear(&fl);
    assert_int_equal(found(f->store, fl.developer, "x' OR '1'='1", &fl), 1);
    assert_int_equal(found(f->store, fl.developer, "' OR ''='", &fl), 0);
    tg_filter_clear(&fl);
    assert_int_equal(found(f->store, fl.key, "k\"; DROP TABLE requests; --", &fl), 1);
    assert_int_equal(found(f->store, fl.key, "plain' OR 'a'='a", &fl), 0);
    tg_filter_clear(&fl);
    assert_int_equal(found(f->store, fl.text, "s \"quoted\" t", &fl), 1); /* quotes inside the phrase */
    assert_int_equal(found(f->store, fl.text, "\" OR 1=1 OR \"", &fl), 0);
    assert_int_equal(found(f->store, fl.text, "words) OR (nothing", &fl), 0);
    tg_filter_clear(&fl);
    assert_int_equal(found(f->store, fl.thread, "') OR 1=1 --", &fl), 0);
    assert_int_equal(tg_store_request_count(f->store), 3); /* nothing was dropped */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_filters_are_plain_text, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
