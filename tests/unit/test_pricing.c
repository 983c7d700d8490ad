/* Pricing: the built-in table, name matching, exact cost arithmetic, overrides
 * and bad tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "log/logmodel.h"
#include "log/pricing.h"

static int setup(void **state)
{
    struct tg_pricing *p = tg_pricing_new();
    char err[256];
    if (!p || tg_pricing_merge_builtin(p, err, sizeof err) != 0)
        return -1;
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    tg_pricing_free(*state);
    return 0;
}

static void test_builtin_covers_the_seed_models(void **state)
{
    struct tg_pricing *p = *state;
    const char *models[] = {"claude-opus-4-6", "claude-sonnet-4-5", "claude-3-5-haiku", "gpt-5.5",
                            "gemini-3-pro-preview", "gemini-2.5-flash", "gemini-2.0-flash"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        if (!tg_pricing_lookup(p, models[i]))
            fail_msg("%s missing from assets/pricing.json", models[i]);
    }
    assert_null(tg_pricing_lookup(p, "sample_spec"));
    const struct tg_price *sonnet = tg_pricing_lookup(p, "claude-sonnet-4-5");
    assert_int_equal(sonnet->input_pico, 3000000);
    assert_int_equal(sonnet->output_pico, 15000000);
    assert_int_equal(sonnet->cache_read_pico, 300000);
    assert_int_equal(sonnet->cache_creation_pico, 3750000);
    /* flash's cache read is $0.025 / 1M: exact in pico-dollars */
    assert_int_equal(tg_pricing_lookup(p, "gemini-2.0-flash")->cache_read_pico, 25000);
}

static void test_name_matching(void **state)
{
    struct tg_pricing *p = *state;
    const struct { const char *logged, *table; } cases[] = {
        {"openai/gpt-5.5", "gpt-5.5"},
        {"GPT-5.5", "gpt-5.5"},
        {"anthropic/claude-sonnet-4-5", "claude-sonnet-4-5"},
        {"gemini/gemini-2.5-flash", "gemini-2.5-flash"},
        {"vertex_ai/gemini-3-pro-preview", "gemini-3-pro-preview"},
        {"bedrock/anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku"},
        {"claude-sonnet-4-5@20250929", "claude-sonnet-4-5"},
        {"gpt-4o-2024-08-06", "gpt-4o"},
        {"claude-3-5-haiku-latest", "claude-3-5-haiku"},
        {"claude-sonnet-4-5-20991231", "claude-sonnet-4-5"},
        {"anthropic/claude-opus-4-6-20260101", "claude-opus-4-6"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct tg_price *got = tg_pricing_lookup(p, cases[i].logged);
        const struct tg_price *want = tg_pricing_lookup(p, cases[i].table);
        if (!got || memcmp(got, want, sizeof *got) != 0)
            fail_msg("%s should price as %s", cases[i].logged, cases[i].table);
    }
    assert_null(tg_pricing_lookup(p, "local/qwen3-coder"));
    assert_null(tg_pricing_lookup(p, "gpt-5.5-turbo-ultra"));
    assert_null(tg_pricing_lookup(p, ""));
    assert_null(tg_pricing_lookup(p, NULL));
}

static void test_cost_is_exact(void **state)
{
    struct tg_pricing *p = *state;
    const struct tg_price *sonnet = tg_pricing_lookup(p, "claude-sonnet-4-5");
    /* 1000 uncached x $3/M + 8000 reads x $0.30/M + 1000 writes x $3.75/M + 500 out x $15/M = $0.01665 */
    struct tg_token_counts t = {.prompt = 10000, .completion = 500, .cache_read = 8000, .cache_creation = 1000};
    assert_int_equal(tg_price_cost(sonnet, &t), 16650000);
    /* cache counts above the prompt never make a negative charge */
    struct tg_token_counts odd = {.prompt = 10, .completion = 0, .cache_read = 100, .cache_creation = 0};
    assert_int_equal(tg_price_cost(sonnet, &odd), 100 * 300000 / 1000);
    /* a million flash cache reads at $0.025 / 1M, to the nano-dollar */
    struct tg_token_counts flash = {.prompt = 1000000, .cache_read = 1000000};
    assert_int_equal(tg_price_cost(tg_pricing_lookup(p, "gemini-2.0-flash"), &flash), 25000000);
    /* the largest token counts the parser accepts do not overflow */
    struct tg_token_counts huge = {.prompt = 1000000000, .completion = 1000000000};
    assert_int_equal(tg_price_cost(tg_pricing_lookup(p, "gpt-5.5"), &huge), 35000LL * 1000000000LL);
}

static void test_missing_cache_price_falls_back_to_input(void **state)
{
    struct tg_pricing *p = *state;
    char err[256];
    const char *json = "{\"m\":{\"input_cost_per_token\":2e-06,\"output_cost_per_token\":4e-06}}";
    assert_int_equal(tg_pricing_merge_json(p, json, strlen(json), err, sizeof err), 0);
    const struct tg_price *m = tg_pricing_lookup(p, "m");
    assert_int_equal(m->cache_read_pico, 2000000);
    assert_int_equal(m->cache_creation_pico, 2000000);
}

static void test_override_replaces_one_entry(void **state)
{
    struct tg_pricing *p = *state;
    size_t before = tg_pricing_count(p);
    char err[256];
    const char *json = "{\"gpt-5.5\":{\"input_cost_per_token\":1e-06,\"output_cost_per_token\":2e-06},"
                       "\"image-model\":{\"output_cost_per_image\":0.04}}";
    assert_int_equal(tg_pricing_merge_json(p, json, strlen(json), err, sizeof err), 0);
    assert_int_equal(tg_pricing_count(p), before); /* replaced, and the image-only entry skipped */
    assert_int_equal(tg_pricing_lookup(p, "openai/gpt-5.5")->input_pico, 1000000);
    assert_int_equal(tg_pricing_lookup(p, "claude-sonnet-4-5")->input_pico, 3000000);
}

/* A log's own cost stays the gateway's; a missing one is estimated from the
 * table, else the log is marked unpriced at $0 (also without a table). */
static void test_price_log_keeps_estimates_or_marks_unpriced(void **state)
{
    struct tg_pricing *p = *state;
    struct tg_log given = {.model = (char *)"gpt-5.5", .has_cost = true, .cost = 1234, .prompt_tokens = 1000};
    tg_pricing_price_log(p, &given);
    assert_int_equal(given.cost_kind, TG_COST_GATEWAY);
    assert_int_equal(given.cost, 1234);

    struct tg_log known = {.model = (char *)"gpt-5.5", .prompt_tokens = 1000, .completion_tokens = 500};
    struct tg_token_counts tokens = {1000, 500, 0, 0};
    tg_pricing_price_log(p, &known);
    assert_int_equal(known.cost_kind, TG_COST_ESTIMATED);
    assert_true(known.cost > 0);
    assert_int_equal(known.cost, tg_price_cost(tg_pricing_lookup(p, "gpt-5.5"), &tokens));

    struct tg_log unknown = {.model = (char *)"no-such-model", .cost = 99, .prompt_tokens = 1000};
    tg_pricing_price_log(p, &unknown);
    assert_int_equal(unknown.cost_kind, TG_COST_UNPRICED);
    assert_int_equal(unknown.cost, 0);

    struct tg_log no_table = {.model = (char *)"gpt-5.5", .prompt_tokens = 1000};
    tg_pricing_price_log(NULL, &no_table);
    assert_int_equal(no_table.cost_kind, TG_COST_UNPRICED);
}

static void test_bad_tables(void **state)
{
    struct tg_pricing *p = *state;
    char err[256];
    const struct { const char *json, *words; } cases[] = {
        {"{ nope", "invalid JSON"},
        {"[1,2]", "expected an object"},
        {"{\"m\":5}", "model \"m\": expected an object"},
        {"{\"m\":{\"input_cost_per_token\":-1e-06}}", "model \"m\": input_cost_per_token"},
        {"{\"m\":{\"output_cost_per_token\":\"cheap\"}}", "model \"m\": output_cost_per_token"},
        {"{\"m\":{\"input_cost_per_token\":3}}", "model \"m\": input_cost_per_token"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(tg_pricing_merge_json(p, cases[i].json, strlen(cases[i].json), err, sizeof err), -1);
        if (!strstr(err, cases[i].words))
            fail_msg("%s: '%s' lacks '%s'", cases[i].json, err, cases[i].words);
    }
    assert_int_equal(tg_pricing_merge_file(p, "/nonexistent/prices.json", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/prices.json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_builtin_covers_the_seed_models, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_matching, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cost_is_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_cache_price_falls_back_to_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_override_replaces_one_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_price_log_keeps_estimates_or_marks_unpriced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_tables, setup, teardown),
    };
    return cmocka_run_group_tests_name("pricing", tests, NULL, NULL);
}
