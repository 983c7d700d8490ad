/* Money that cannot go wrong: checked adds and multiplies, the cap on an
 * estimate, failed requests that are not charged, and the ids the collector
 * gives logs that come without one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/money.h"
#include "ingest/requestid.h"
#include "log/logmodel.h"
#include "log/pricing.h"

static void test_add_checked_refuses_what_would_wrap(void **state)
{
    (void)state;
    int64_t sum = INT64_MAX - 5;
    assert_true(tg_add_checked(&sum, 5));
    assert_int_equal(sum, INT64_MAX);
    assert_false(tg_add_checked(&sum, 1));
    assert_int_equal(sum, INT64_MAX); /* left as it was */
    sum = INT64_MIN;
    assert_false(tg_add_checked(&sum, -1));
    assert_int_equal(sum, INT64_MIN);
    /* the case: 93,000 logs at the most one may cost */
    sum = 0;
    int stopped_at = -1;
    for (int i = 0; i < 93000 && stopped_at < 0; i++) {
        if (!tg_add_checked(&sum, TG_MAX_REQUEST_NANOS))
            stopped_at = i;
    }
    assert_int_equal(stopped_at, 92233); /* INT64_MAX / 1e14 */
    assert_true(sum > 0);
}

static void test_mul_checked(void **state)
{
    (void)state;
    int64_t out = 7;
    assert_true(tg_mul_checked(1000000000, 1000000000, &out));
    assert_int_equal(out, 1000000000000000000LL);
    out = 7;
    assert_false(tg_mul_checked(INT64_MAX / 2 + 1, 2, &out));
    assert_int_equal(out, 7);
}

static void test_overflow_message_names_the_limit(void **state)
{
    (void)state;
    char msg[200];
    tg_money_overflow_message("the spend of alice", msg, sizeof msg);
    assert_string_equal(msg, "the spend of alice would pass $9,223,372,036.85, the most tollgate can count");
}

static void test_estimate_is_capped_like_a_given_cost(void **state)
{
    (void)state;
    struct tg_price dear = {1000000000, 1000000000, 1000000000, 1000000000}; /* $0.001 a token, the most */
    struct tg_token_counts most = {1000000000, 1000000000, 0, 0};
    assert_int_equal(tg_price_cost(&dear, &most), TG_MAX_REQUEST_NANOS);
    /* counts no log can carry still do not wrap */
    struct tg_token_counts absurd = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    assert_int_equal(tg_price_cost(&dear, &absurd), TG_MAX_REQUEST_NANOS);
    struct tg_price cheap = {3000, 15000, 300, 3750}; /* $3 / $15 per million */
    struct tg_token_counts some = {1000, 100, 0, 0};
    assert_int_equal(tg_price_cost(&cheap, &some), 4500); /* 1000 x 3000 + 100 x 15000 pico */
}

static struct tg_log parse(const char *json)
{
    struct tg_log log;
    struct tg_log_error error;
    struct tg_log_parse_options opt = {0};
    if (tg_log_parse_text(json, strlen(json), &opt, &log, &error) != 0)
        fail_msg("%s", error.message);
    return log;
}

static void test_failed_request_without_cost_is_not_charged(void **state)
{
    (void)state;
    struct tg_pricing *p = tg_pricing_new();
    char err[200];
    assert_int_equal(tg_pricing_merge_builtin(p, err, sizeof err), 0);
    static const char *const failed[] = {
        "{\"timestamp\":\"2026-11-01T10:00:00Z\",\"model\":\"claude-opus-4-6\",\"prompt_tokens\":200000,"
        "\"status_code\":429}",
        "{\"timestamp\":\"2026-11-01T10:00:00Z\",\"model\":\"claude-opus-4-6\",\"prompt_tokens\":200000,"
        "\"status_code\":503}",
        "{\"timestamp\":\"2026-11-01T10:00:00Z\",\"model\":\"claude-opus-4-6\",\"prompt_tokens\":200000,"
        "\"status\":\"error\"}",
    };
    for (size_t i = 0; i < sizeof failed / sizeof failed[0]; i++) {
        struct tg_log log = parse(failed[i]);
        tg_pricing_price_log(p, &log);
        assert_int_equal(log.cost, 0);
        assert_int_equal(log.cost_kind, TG_COST_NOT_CHARGED);
        tg_log_free(&log);
    }
    /* the gateway's own figure for a failed request stands */
    struct tg_log given = parse("{\"timestamp\":\"2026-11-01T10:00:00Z\",\"model\":\"claude-opus-4-6\","
                                "\"prompt_tokens\":200000,\"status_code\":429,\"cost\":0.05}");
    tg_pricing_price_log(p, &given);
    assert_int_equal(given.cost, 50000000);
    assert_int_equal(given.cost_kind, TG_COST_GATEWAY);
    tg_log_free(&given);
    /* and a request that went through is still estimated */
    struct tg_log ok = parse("{\"timestamp\":\"2026-11-01T10:00:00Z\",\"model\":\"claude-opus-4-6\","
                             "\"prompt_tokens\":200000,\"status_code\":200}");
    tg_pricing_price_log(p, &ok);
    assert_true(ok.cost > 0);
    assert_int_equal(ok.cost_kind, TG_COST_ESTIMATED);
    tg_log_free(&ok);
    tg_pricing_free(p);
}

static void test_idempotency_key_check(void **state)
{
    (void)state;
    char err[160], long_key[300];
    assert_int_equal(tg_idempotency_key_check("retry-7f3a", err, sizeof err), 0);
    assert_int_equal(tg_idempotency_key_check("", err, sizeof err), -1);
    assert_non_null(strstr(err, "Idempotency-Key"));
    assert_int_equal(tg_idempotency_key_check("a\x1b[2Jb", err, sizeof err), -1);
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    assert_int_equal(tg_idempotency_key_check(long_key, err, sizeof err), -1);
    long_key[TG_IDEMPOTENCY_KEY_MAX] = '\0';
    assert_int_equal(tg_idempotency_key_check(long_key, err, sizeof err), 0);
}

static void test_ids_from_a_key_repeat_and_fresh_ids_do_not(void **state)
{
    (void)state;
    struct tg_log a = {0}, b = {0}, c = {0}, d = {0}, e = {0};
    assert_int_equal(tg_request_id_assign(&a, "key-1", 0), 0);
    assert_int_equal(tg_request_id_assign(&b, "key-1", 0), 0);
    assert_int_equal(tg_request_id_assign(&c, "key-1", 1), 0);
    assert_int_equal(tg_request_id_assign(&d, NULL, 0), 0);
    assert_int_equal(tg_request_id_assign(&e, NULL, 0), 0);
    assert_string_equal(a.log_id, b.log_id);
    assert_string_not_equal(a.log_id, c.log_id);
    assert_int_equal(strncmp(a.log_id, "idem:", 5), 0);
    assert_int_equal(strlen(a.log_id), 5 + 32);
    assert_string_not_equal(d.log_id, e.log_id);
    assert_int_equal(strlen(d.log_id), 36);
    assert_int_equal(d.log_id[14], '4'); /* a version 4 UUID */
    free(a.log_id);
    free(b.log_id);
    free(c.log_id);
    free(d.log_id);
    free(e.log_id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_checked_refuses_what_would_wrap),
        cmocka_unit_test(test_mul_checked),
        cmocka_unit_test(test_overflow_message_names_the_limit),
        cmocka_unit_test(test_estimate_is_capped_like_a_given_cost),
        cmocka_unit_test(test_failed_request_without_cost_is_not_charged),
        cmocka_unit_test(test_idempotency_key_check),
        cmocka_unit_test(test_ids_from_a_key_repeat_and_fresh_ids_do_not),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
