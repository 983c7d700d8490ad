/* Adversarial review of LiteLLM cache-hit ids: a hit pushed (numeric start,
 * float seconds) and pulled (ISO start, any number of fraction digits) has
 * one id, however many "_cache_hit" renames its id carries; a call without a
 * start or an id that only looks like a hit keeps LiteLLM's id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log/litellm_log.h"

/* The unique_id the converted log gets, into out. */
static void converted_id(const char *json, char *out, size_t len)
{
    cJSON *in = cJSON_Parse(json);
    assert_non_null(in);
    struct tg_log_error err;
    cJSON *log = tg_litellm_convert(in, TG_LITELLM_DEV_USER, &err);
    assert_non_null(log);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(log, "unique_id");
    assert_true(cJSON_IsString(id));
    snprintf(out, len, "%s", id->valuestring);
    cJSON_Delete(log);
    cJSON_Delete(in);
}

static void test_numeric_and_iso_starts_name_one_hit(void **state)
{
    (void)state;
    char pushed[200], pulled[200], pulled_ms[200];
    /* 12:00:00.123789: the payload's float seconds; the spend log's start with
     * microseconds, and as a timestamp(3) column keeps it (rounded) */
    converted_id("{\"id\":\"chatcmpl-9_cache_hit1795521600.125\",\"cache_hit\":true,"
                 "\"startTime\":1795521600.123789}",
                 pushed, sizeof pushed);
    converted_id("{\"request_id\":\"chatcmpl-9_cache_hit1795521600.129\",\"cache_hit\":\"True\","
                 "\"startTime\":\"2026-11-24T12:00:00.123789Z\"}",
                 pulled, sizeof pulled);
    converted_id("{\"request_id\":\"chatcmpl-9_cache_hit1795521600.129\",\"cache_hit\":\"True\","
                 "\"startTime\":\"2026-11-24T12:00:00.124Z\"}",
                 pulled_ms, sizeof pulled_ms);
    assert_string_equal(pushed, "chatcmpl-9_cache_hit@1795521600124");
    assert_string_equal(pulled, pushed);
    assert_string_equal(pulled_ms, pushed);
}

static void test_several_cache_hit_parts(void **state)
{
    (void)state;
    char once[200], twice[200];
    converted_id("{\"id\":\"chatcmpl-7_cache_hit1795521600.5\",\"startTime\":1795521600.25}", once, sizeof once);
    converted_id("{\"request_id\":\"chatcmpl-7_cache_hit1795521600.5_cache_hit1795521600.75\","
                 "\"startTime\":\"2026-11-24T12:00:00.250Z\"}",
                 twice, sizeof twice);
    assert_string_equal(once, "chatcmpl-7_cache_hit@1795521600250");
    assert_string_equal(twice, once);
}

static void test_not_hits_keep_their_id(void **state)
{
    (void)state;
    char id[200];
    converted_id("{\"id\":\"chatcmpl-7_cache_hit1795521600.5\"}", id, sizeof id); /* no start: nothing stable */
    assert_string_equal(id, "chatcmpl-7_cache_hit1795521600.5");
    converted_id("{\"id\":\"chatcmpl-20261124120000\",\"startTime\":1795521600.25}", id, sizeof id);
    assert_string_equal(id, "chatcmpl-20261124120000");
    converted_id("{\"id\":\"req_cache_hits1795521600\",\"startTime\":1795521600.25}", id, sizeof id);
    assert_string_equal(id, "req_cache_hits1795521600");
    converted_id("{\"id\":\"_cache_hit1795521600\",\"startTime\":1795521600.25}", id, sizeof id);
    assert_string_equal(id, "_cache_hit1795521600");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numeric_and_iso_starts_name_one_hit),
        cmocka_unit_test(test_several_cache_hit_parts),
        cmocka_unit_test(test_not_hits_keep_their_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
