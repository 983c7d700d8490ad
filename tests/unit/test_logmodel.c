/* The log parser: every field and form it accepts, every kind of bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "log/logmodel.h"
#include "base/timeutil.h"

static int parse(const char *json, struct tg_log *log, struct tg_log_error *err)
{
    struct tg_log_parse_options opt = {0};
    return tg_log_parse_text(json, strlen(json), &opt, log, err);
}

static void expect_error(const char *json, const char *field, const char *words)
{
    struct tg_log log;
    struct tg_log_error err;
    assert_int_equal(parse(json, &log, &err), -1);
    if (strcmp(err.field, field) != 0)
        fail_msg("for %s: field '%s', expected '%s' (%s)", json, err.field, field, err.message);
    if (!strstr(err.message, words))
        fail_msg("for %s: message '%s' lacks '%s'", json, err.message, words);
    assert_null(log.log_id);
}

static void test_full_log(void **state)
{
    (void)state;
    const char *json =
        "{\"unique_id\":\"abc-1\",\"timestamp\":\"2026-11-01T10:00:05.250Z\","
        "\"start_time\":\"2026-11-01T10:00:01Z\",\"model\":\"claude-sonnet-4-5\","
        "\"provider_id\":\"anthropic\",\"customer_identifier\":\"alice\",\"customer_name\":\"Alice\","
        "\"customer_email\":\"a@x.io\",\"organization_key_id\":\"k-1\",\"organization_key_name\":\"alice-laptop\","
        "\"prompt_tokens\":1200,\"completion_tokens\":300,\"total_request_tokens\":1500,"
        "\"prompt_cache_hit_tokens\":1000,\"prompt_cache_creation_tokens\":100,\"cost\":0.012345,"
        "\"latency\":4.25,\"ttft\":0.5,\"status_code\":200,\"thread_identifier\":\"t-9\","
        "\"trace_unique_id\":\"tr-1\",\"log_type\":\"chat\",\"metadata\":{\"branch\":\"main\"},"
        "\"prompt_messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
        "\"completion_message\":{\"role\":\"assistant\",\"content\":\"hello\"},\"surprise\":[1,2]}";
    struct tg_log log;
    struct tg_log_error err;
    assert_int_equal(parse(json, &log, &err), 0);
    assert_string_equal(log.log_id, "abc-1");
    int64_t ts;
    tg_time_parse_iso("2026-11-01T10:00:05.250Z", &ts);
    assert_int_equal(log.ts_ms, ts);
    assert_int_equal(log.start_ms, ts - 4250);
    assert_string_equal(log.model, "claude-sonnet-4-5");
    assert_string_equal(log.provider, "anthropic");
    assert_string_equal(log.developer, "alice");
    assert_string_equal(log.developer_name, "Alice");
    assert_string_equal(log.developer_email, "a@x.io");
    assert_string_equal(log.key_id, "k-1");
    assert_string_equal(log.key_name, "alice-laptop");
    assert_int_equal(log.prompt_tokens, 1200);
    assert_int_equal(log.completion_tokens, 300);
    assert_int_equal(log.total_tokens, 1500);
    assert_int_equal(log.cache_read_tokens, 1000);
    assert_int_equal(log.cache_creation_tokens, 100);
    assert_true(log.has_cost);
    assert_int_equal(log.cost, 12345000);
    assert_int_equal(log.cost_kind, TG_COST_GATEWAY);
    assert_int_equal(log.latency_ms, 4250);
    assert_int_equal(log.ttft_ms, 500);
    assert_int_equal(log.status_code, 200);
    assert_false(log.is_error);
    assert_string_equal(log.thread_id, "t-9");
    assert_string_equal(log.trace_id, "tr-1");
    assert_string_equal(log.log_type, "chat");
    /* the raw log is kept byte for byte, unknown fields included */
    assert_int_equal(log.raw_len, strlen(json));
    assert_memory_equal(log.raw, json, strlen(json));
    tg_log_free(&log);
}

static void test_id_fallbacks(void **state)
{
    (void)state;
    struct tg_log a, b, c;
    struct tg_log_error err;
    assert_int_equal(parse("{\"id\":42,\"timestamp\":1762000000}", &a, &err), 0);
    assert_string_equal(a.log_id, "42");
    /* no id: a hash of the canonical content, independent of key order and spacing */
    assert_int_equal(parse("{\"timestamp\":1762000000,\"model\":\"m\",\"cost\":0.5}", &b, &err), 0);
    assert_int_equal(parse("{ \"cost\":0.5 , \"model\":\"m\", \"timestamp\":1762000000 }", &c, &err), 0);
    assert_true(strncmp(b.log_id, "sha256:", 7) == 0);
    assert_int_equal(strlen(b.log_id), 7 + 32);
    assert_string_equal(b.log_id, c.log_id);
    tg_log_free(&c);
    assert_int_equal(parse("{\"timestamp\":1762000000,\"model\":\"m\",\"cost\":0.6}", &c, &err), 0);
    assert_string_not_equal(b.log_id, c.log_id);
    tg_log_free(&a);
    tg_log_free(&b);
    tg_log_free(&c);
}

static void test_timestamp_forms(void **state)
{
    (void)state;
    static const struct { const char *text; int64_t ms; } forms[] = {
        {"\"2026-11-01T10:00:00Z\"", 1793527200000},
        {"\"2026-11-01T10:00:00\"", 1793527200000},
        {"\"2026-11-01 10:00:00\"", 1793527200000},
        {"\"2026-11-01T10:00:00.5Z\"", 1793527200500},
        {"\"2026-11-01T10:00:00.123456789Z\"", 1793527200123},
        {"\"2026-11-01T12:00:00+02:00\"", 1793527200000},
        {"\"2026-11-01T05:30:00-0430\"", 1793527200000},
        {"\"2026-11-01T10:00Z\"", 1793527200000},
        {"\"2026-11-01\"", 1793491200000},
        {"1793527200", 1793527200000},
        {"1793527200.25", 1793527200250},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"unique_id\":\"x\",\"timestamp\":%s}", forms[i].text);
        struct tg_log log;
        struct tg_log_error err;
        if (parse(json, &log, &err) != 0)
            fail_msg("%s: %s", forms[i].text, err.message);
        if (log.ts_ms != forms[i].ms)
            fail_msg("%s: got %lld", forms[i].text, (long long)log.ts_ms);
        tg_log_free(&log);
    }
}

static void test_start_time_and_default(void **state)
{
    (void)state;
    struct tg_log log;
    struct tg_log_error err;
    assert_int_equal(parse("{\"unique_id\":\"x\",\"start_time\":\"2026-11-01T10:00:00Z\"}", &log, &err), 0);
    assert_int_equal(log.ts_ms, 1793527200000);
    tg_log_free(&log);
    expect_error("{\"unique_id\":\"x\"}", "timestamp", "missing");
    struct tg_log_parse_options opt = {.default_ts_ms = 1793527200000};
    const char *json = "{\"unique_id\":\"x\"}";
    assert_int_equal(tg_log_parse_text(json, strlen(json), &opt, &log, &err), 0);
    assert_int_equal(log.ts_ms, 1793527200000);
    tg_log_free(&log);
}

static void test_usage_object(void **state)
{
    (void)state;
    struct tg_log log;
    struct tg_log_error err;
    assert_int_equal(parse("{\"unique_id\":\"u\",\"timestamp\":1761991200,\"usage\":{\"prompt_tokens\":900,"
                           "\"completion_tokens\":100,\"cache_read_input_tokens\":700,"
                           "\"cache_creation_input_tokens\":50}}", &log, &err), 0);
    assert_int_equal(log.prompt_tokens, 900);
    assert_int_equal(log.completion_tokens, 100);
    assert_int_equal(log.total_tokens, 1000); /* summed when absent */
    assert_int_equal(log.cache_read_tokens, 700);
    assert_int_equal(log.cache_creation_tokens, 50);
    assert_false(log.has_cost);
    tg_log_free(&log);
    /* OpenAI's shape: cached tokens under prompt_tokens_details */
    assert_int_equal(parse("{\"unique_id\":\"u\",\"timestamp\":1761991200,\"usage\":{\"prompt_tokens\":900,"
                           "\"completion_tokens\":10,\"total_tokens\":910,"
                           "\"prompt_tokens_details\":{\"cached_tokens\":512}}}", &log, &err), 0);
    assert_int_equal(log.cache_read_tokens, 512);
    assert_int_equal(log.total_tokens, 910);
    tg_log_free(&log);
}

static void test_errors_and_identifiers(void **state)
{
    (void)state;
    struct tg_log log;
    struct tg_log_error err;
    assert_int_equal(parse("{\"unique_id\":\"e\",\"timestamp\":1761991200,\"status_code\":429,"
                           "\"error_message\":\"rate limit\",\"customer_identifier\":12345,"
                           "\"thread_identifier\":7}", &log, &err), 0);
    assert_true(log.is_error);
    assert_string_equal(log.error_message, "rate limit");
    assert_string_equal(log.developer, "12345");
    assert_string_equal(log.thread_id, "7");
    tg_log_free(&log);
    assert_int_equal(parse("{\"unique_id\":\"e\",\"timestamp\":1761991200,\"failed\":true}", &log, &err), 0);
    assert_true(log.is_error);
    tg_log_free(&log);
    /* null fields are absent, and an empty name is no name */
    assert_int_equal(parse("{\"unique_id\":\"n\",\"timestamp\":1761991200,\"cost\":null,\"model\":\"\"}", &log, &err), 0);
    assert_false(log.has_cost);
    assert_null(log.model);
    tg_log_free(&log);
}

static void test_bad_input(void **state)
{
    (void)state;
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"prompt_tokens\":-5}", "prompt_tokens", "negative");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"prompt_tokens\":\"12\"}", "prompt_tokens", "whole number");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"completion_tokens\":1.5}", "completion_tokens", "whole number");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"completion_tokens\":1e15}", "completion_tokens", "absurd");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"usage\":{\"total_tokens\":-1}}", "usage.total_tokens", "negative");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"usage\":[]}", "usage", "object");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"cost\":\"0.5\"}", "cost", "number");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"cost\":-0.01}", "cost", "negative");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"cost\":1e9}", "cost", "absurd");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"latency\":-2}", "latency", "negative");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"latency\":\"fast\"}", "latency", "seconds");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":\"yesterday\"}", "timestamp", "ISO 8601");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":\"2026-02-30T00:00:00Z\"}", "timestamp", "ISO 8601");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":\"2026-11-01T25:00:00Z\"}", "timestamp", "ISO 8601");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":99999999999999}", "timestamp", "2000-2100");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":true}", "timestamp", "got a boolean");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"model\":42}", "model", "expected a string");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"customer_identifier\":1.5}", "customer_identifier", "whole number");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"status_code\":\"200\"}", "status_code", "HTTP status");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"metadata\":\"x\"}", "metadata", "object");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"prompt_messages\":{}}", "prompt_messages", "array");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"prompt_messages\":[{},3]}", "prompt_messages[1]", "message object");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"input\":\"[{\\\"role\\\":\"}", "input", "does not parse");
    expect_error("{\"unique_id\":\"\",\"timestamp\":1761991200}", "unique_id", "1 to 256");
    expect_error("[1,2]", "", "expected a log object");
    expect_error("{\"unique_id\":\"x\",", "", "invalid JSON");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200} trailing", "", "after the JSON value");
}

static void test_invalid_utf8_names_the_field(void **state)
{
    (void)state;
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"model\":\"cl\xff" "aude\"}", "model", "UTF-8");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"prompt_messages\":[{\"role\":\"user\","
                 "\"content\":\"ok\"},{\"role\":\"user\",\"content\":\"bad \xc0\xaf\"}]}",
                 "prompt_messages[1].content", "UTF-8");
    expect_error("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"metadata\":{\"k\":\"\xed\xa0\x80\"}}",
                 "metadata.k", "UTF-8");
    /* valid multi-byte text passes */
    struct tg_log log;
    struct tg_log_error err;
    assert_int_equal(parse("{\"unique_id\":\"x\",\"timestamp\":1761991200,\"customer_identifier\":\"zoë 山田 🚀\"}", &log, &err), 0);
    assert_string_equal(log.developer, "zoë 山田 🚀");
    tg_log_free(&log);
}

static void test_messages_both_forms(void **state)
{
    (void)state;
    cJSON *old = cJSON_Parse("{\"prompt_messages\":[{\"role\":\"user\",\"content\":\"a\"}],"
                             "\"completion_message\":{\"role\":\"assistant\",\"content\":\"b\"}}");
    cJSON *new_form = cJSON_Parse("{\"input\":\"[{\\\"role\\\":\\\"user\\\",\\\"content\\\":\\\"a\\\"}]\","
                                  "\"output\":\"{\\\"role\\\":\\\"assistant\\\",\\\"content\\\":\\\"b\\\"}\"}");
    cJSON *p1, *c1, *p2, *c2;
    tg_log_messages(old, &p1, &c1);
    tg_log_messages(new_form, &p2, &c2);
    assert_non_null(p1);
    assert_non_null(c2);
    assert_true(cJSON_Compare(p1, p2, 1));
    assert_true(cJSON_Compare(c1, c2, 1));
    assert_int_equal(cJSON_GetArraySize(c1), 1);
    cJSON_Delete(p1); cJSON_Delete(c1); cJSON_Delete(p2); cJSON_Delete(c2);
    cJSON_Delete(old); cJSON_Delete(new_form);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_log),
        cmocka_unit_test(test_id_fallbacks),
        cmocka_unit_test(test_timestamp_forms),
        cmocka_unit_test(test_start_time_and_default),
        cmocka_unit_test(test_usage_object),
        cmocka_unit_test(test_errors_and_identifiers),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_invalid_utf8_names_the_field),
        cmocka_unit_test(test_messages_both_forms),
    };
    return cmocka_run_group_tests_name("logmodel", tests, NULL, NULL);
}
