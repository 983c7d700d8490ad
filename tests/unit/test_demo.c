/* The demo generator: exact counts, valid logs in time order, determinism,
 * growing context, the mix of costs and errors the screens are shown with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/demo.h"
#include "log/logmodel.h"

#define END_MS 1795478400000LL /* 2026-11-24T00:00:00Z */

struct stats {
    long n, no_cost, rate_limited, usage_objects, with_tools;
    int64_t last_ts;
    bool out_of_order, invalid;
    uint64_t hash;
    char first_invalid[300];
    int max_messages;
    int thread_messages[4096]; /* messages seen per thread, by thread number */
    bool context_shrank;
    long stop_after;
};

static int collect(void *ctx, const char *json, size_t len)
{
    struct stats *s = ctx;
    for (size_t i = 0; i < len; i++)
        s->hash = (s->hash ^ (unsigned char)json[i]) * 1099511628211ULL;
    struct tg_log log;
    struct tg_log_error err;
    struct tg_log_parse_options opt = {0};
    if (tg_log_parse_text(json, len, &opt, &log, &err) != 0) {
        if (!s->invalid)
            snprintf(s->first_invalid, sizeof s->first_invalid, "%s", err.message);
        s->invalid = true;
        return 0;
    }
    if (log.ts_ms < s->last_ts || log.ts_ms > END_MS)
        s->out_of_order = true;
    s->last_ts = log.ts_ms;
    s->no_cost += !log.has_cost;
    s->rate_limited += log.status_code == 429;
    s->usage_objects += strstr(json, "\"usage\":{") != NULL;
    s->with_tools += strstr(json, "\"tool_calls\"") != NULL;
    cJSON *obj = cJSON_ParseWithLength(json, len);
    int messages = cJSON_GetArraySize(cJSON_GetObjectItem(obj, "prompt_messages"));
    cJSON_Delete(obj);
    if (messages > s->max_messages)
        s->max_messages = messages;
    int thread = log.thread_id ? atoi(log.thread_id + 4) : 0;
    if (thread > 0 && thread < 4096) {
        if (messages < s->thread_messages[thread])
            s->context_shrank = true;
        s->thread_messages[thread] = messages;
    }
    tg_log_free(&log);
    s->n++;
    return s->stop_after && s->n >= s->stop_after ? 7 : 0;
}

static struct stats *run(long requests, uint64_t seed, int context)
{
    struct stats *s = calloc(1, sizeof *s);
    s->hash = 1469598103934665603ULL;
    struct tg_demo_options opt = {.requests = requests, .seed = seed, .end_ms = END_MS, .days = 30,
                                  .max_context_messages = context};
    char err[256];
    assert_int_equal(tg_demo_generate(&opt, collect, s, err, sizeof err), 0);
    return s;
}

static void test_count_order_and_validity(void **state)
{
    (void)state;
    struct stats *s = run(5000, 1, 0);
    assert_int_equal(s->n, 5000);
    if (s->invalid)
        fail_msg("the generator wrote a log tollgate rejects: %s", s->first_invalid);
    assert_false(s->out_of_order);
    /* the mix the demo is meant to show */
    assert_true(s->no_cost > 5000 * 0.03 && s->no_cost < 5000 * 0.08);
    assert_true(s->rate_limited > 5000 * 0.01 && s->rate_limited < 5000 * 0.04);
    assert_true(s->usage_objects > 5000 * 0.05 && s->usage_objects < 5000 * 0.15);
    assert_true(s->with_tools > 1000);
    /* context grows within a thread */
    assert_false(s->context_shrank);
    assert_true(s->max_messages > 10);
    free(s);
}

static void test_deterministic(void **state)
{
    (void)state;
    struct stats *a = run(2000, 9, 4), *b = run(2000, 9, 4), *c = run(2000, 10, 4);
    assert_true(a->hash == b->hash);
    assert_true(a->hash != c->hash);
    /* the last four messages plus the system prompt, at most */
    assert_true(a->max_messages <= 5);
    free(a);
    free(b);
    free(c);
}

static void test_sink_stops_generation(void **state)
{
    (void)state;
    struct stats *s = calloc(1, sizeof *s);
    s->stop_after = 10;
    struct tg_demo_options opt = {.requests = 100, .seed = 1, .end_ms = END_MS, .days = 3};
    char err[256];
    assert_int_equal(tg_demo_generate(&opt, collect, s, err, sizeof err), 7);
    assert_int_equal(s->n, 10);
    free(s);
}

static void test_bad_options(void **state)
{
    (void)state;
    char err[256];
    struct tg_demo_options bad_days = {.requests = 10, .days = 0, .end_ms = END_MS};
    assert_int_equal(tg_demo_generate(&bad_days, collect, NULL, err, sizeof err), -1);
    struct tg_demo_options bad_count = {.requests = -1, .days = 3, .end_ms = END_MS};
    assert_int_equal(tg_demo_generate(&bad_count, collect, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "requests"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_order_and_validity),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_sink_stops_generation),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests_name("demo", tests, NULL, NULL);
}
