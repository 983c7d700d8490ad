/* The collector's body parser: how a bad body is classified. The metrics
 * count invalid JSON apart from invalid logs, so the class must come from
 * where the error was made, never from the message text, which can quote a
 * name from the log itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ingest/ingest_body.h"
#include "log/logmodel.h"

static int parse(const char *text, enum tg_ingest_format format, struct tg_ingest_failure *fail)
{
    struct tg_ingest_body_options opt = {.now_ms = 1767225600000LL};
    struct tg_ingest_batch batch = {0};
    int rc = tg_ingest_body_parse(text, strlen(text), format, &opt, &batch, fail);
    tg_ingest_batch_free(&batch);
    return rc;
}

#define LOG_FIELDS "\"unique_id\":\"a\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"model\":\"m\""

static void test_json_that_does_not_parse_is_invalid_json(void **state)
{
    (void)state;
    struct tg_ingest_failure fail;
    assert_int_equal(parse("{\"unique_id\": ", TG_FORMAT_ONE_LOG, &fail), -1);
    assert_true(fail.invalid_json);
    assert_int_equal(parse("{" LOG_FIELDS "}\n{oops}\n", TG_FORMAT_LINES, &fail), -1);
    assert_true(fail.invalid_json);
    assert_int_equal(fail.index, 1);
    assert_int_equal(parse("[{" LOG_FIELDS "},", TG_FORMAT_ARRAY, &fail), -1);
    assert_true(fail.invalid_json);
}

static void test_a_bad_field_is_an_invalid_log(void **state)
{
    (void)state;
    struct tg_ingest_failure fail;
    assert_int_equal(parse("{" LOG_FIELDS ",\"cost\":\"lots\"}", TG_FORMAT_ONE_LOG, &fail), -1);
    assert_false(fail.invalid_json);
    assert_string_equal(fail.field, "cost");
}

/* A duplicated key is named in the message: a key called "invalid JSON" made
 * the message start like a parse failure, and the log was counted as one. */
static void test_a_message_quoting_the_log_does_not_change_the_class(void **state)
{
    (void)state;
    struct tg_ingest_failure fail;
    assert_int_equal(parse("{" LOG_FIELDS ",\"invalid JSON\":1,\"invalid JSON\":2}", TG_FORMAT_ONE_LOG, &fail), -1);
    assert_string_equal(fail.message, "invalid JSON: duplicate key");
    assert_false(fail.invalid_json);
}

static void test_log_errors_carry_their_kind(void **state)
{
    (void)state;
    struct tg_log log;
    struct tg_log_error err;
    struct tg_log_parse_options opt = {0};
    const char *not_json = "{\"a\":";
    assert_int_equal(tg_log_parse_text(not_json, strlen(not_json), &opt, &log, &err), -1);
    assert_int_equal(err.kind, TG_LOG_ERROR_INVALID_JSON);
    const char nul[] = "{\"a\":\0}";
    assert_int_equal(tg_log_parse_text(nul, sizeof nul - 1, &opt, &log, &err), -1);
    assert_int_equal(err.kind, TG_LOG_ERROR_INVALID_JSON);
    const char *empty = "  ";
    assert_int_equal(tg_log_parse_text(empty, strlen(empty), &opt, &log, &err), -1);
    assert_int_equal(err.kind, TG_LOG_ERROR_INVALID_LOG);
    const char *no_id = "{\"model\":\"m\"}";
    assert_int_equal(tg_log_parse_text(no_id, strlen(no_id), &opt, &log, &err), -1);
    assert_int_equal(err.kind, TG_LOG_ERROR_INVALID_LOG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_that_does_not_parse_is_invalid_json),
        cmocka_unit_test(test_a_bad_field_is_an_invalid_log),
        cmocka_unit_test(test_a_message_quoting_the_log_does_not_change_the_class),
        cmocka_unit_test(test_log_errors_carry_their_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
