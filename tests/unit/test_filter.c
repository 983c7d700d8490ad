/* The filter line and the search query built from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "query/filter.h"
#include "query/search.h"

static void test_fields_and_text(void **state)
{
    (void)state;
    struct tg_request_filter f;
    char err[200];
    assert_int_equal(tg_filter_parse("dev:alice key:alice-ci model:opus status:error cost>0.5 cost<2 thread:t-9 "
                                     "stack \"trace back\"",
                                     &f, err, sizeof err),
                     0);
    assert_string_equal(f.developer, "alice");
    assert_string_equal(f.key, "alice-ci");
    assert_string_equal(f.model, "opus");
    assert_string_equal(f.thread, "t-9");
    assert_int_equal(f.status, 0);
    assert_int_equal(f.cost_above, 500000000);
    assert_int_equal(f.cost_below, 2000000000);
    assert_string_equal(f.text, "stack trace back");
    char shown[300];
    tg_filter_describe(&f, shown, sizeof shown);
    assert_non_null(strstr(shown, "dev:alice"));
    assert_non_null(strstr(shown, "cost>0.5"));
    /* what drilling down from a name with a space writes */
    assert_int_equal(tg_filter_parse("dev:\"Alice Martin\" key:\"ci box\" retry", &f, err, sizeof err), 0);
    assert_string_equal(f.developer, "Alice Martin");
    assert_string_equal(f.key, "ci box");
    assert_string_equal(f.text, "retry");
    assert_int_equal(tg_filter_parse("dev:\"unclosed", &f, err, sizeof err), 0);
    assert_string_equal(f.developer, "\"unclosed");
    assert_int_equal(tg_filter_parse("status:429 status:ok", &f, err, sizeof err), 0);
    assert_int_equal(f.status, 1);
    assert_int_equal(tg_filter_parse("", &f, err, sizeof err), 0);
    assert_int_equal(f.status, -1);
    assert_int_equal(f.cost_above, -1);
}

static void test_bad_words(void **state)
{
    (void)state;
    struct tg_request_filter f;
    char err[200];
    const struct { const char *expr, *words; } bad[] = {
        {"dev:", "needs a value"}, {"status:teapot", "status:"}, {"status:99", "status:"},
        {"cost>lots", "cost> wants dollars"}, {"cost<-1", "cost< wants dollars"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(tg_filter_parse(bad[i].expr, &f, err, sizeof err), -1);
        if (!strstr(err, bad[i].words))
            fail_msg("%s: '%s' lacks '%s'", bad[i].expr, err, bad[i].words);
    }
}

static void test_search_query(void **state)
{
    (void)state;
    char q[64];
    assert_int_equal(tg_search_query("stack trace", q, sizeof q), 0);
    assert_string_equal(q, "\"stack trace\"");
    assert_int_equal(tg_search_query("say \"hi\"", q, sizeof q), 0);
    assert_string_equal(q, "\"say \"\"hi\"\"\""); /* quotes doubled: never FTS5 syntax */
    assert_int_equal(tg_search_query("ab", q, sizeof q), -1);
    assert_int_equal(tg_search_query("山田", q, sizeof q), -1); /* two characters, six bytes */
    assert_int_equal(tg_search_query("山田太", q, sizeof q), 0);
    assert_int_equal(tg_search_query("a OR b NEAR(c)", q, sizeof q), 0);
    assert_string_equal(q, "\"a OR b NEAR(c)\"");
}

/* A drill-down or a thread sets a name as a value: quotes, spaces and the
 * longest name a log may carry arrive whole, and are described for people. */
static void test_set_any_name(void **state)
{
    (void)state;
    struct tg_request_filter f;
    tg_filter_clear(&f);
    assert_int_equal(tg_filter_set(&f, TG_FILTER_DEVELOPER, "Bob \"the builder\" O'Neil"), 0);
    assert_string_equal(f.developer, "Bob \"the builder\" O'Neil");
    char longest[TG_FILTER_NAME_MAX];
    memset(longest, 'n', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    assert_int_equal(tg_filter_set(&f, TG_FILTER_THREAD, longest), 0);
    assert_int_equal(strlen(f.thread), TG_FILTER_NAME_MAX - 1);
    char too_long[TG_FILTER_NAME_MAX + 1];
    memset(too_long, 'n', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    assert_int_equal(tg_filter_set(&f, TG_FILTER_KEY, too_long), -1);
    assert_int_equal(tg_filter_set(&f, TG_FILTER_KEY, ""), -1);
    assert_string_equal(f.key, "");
    tg_filter_clear(&f);
    tg_filter_set(&f, TG_FILTER_DEVELOPER, "Alice Martin");
    f.status = 429;
    char shown[200];
    tg_filter_describe(&f, shown, sizeof shown);
    assert_string_equal(shown, "dev:\"Alice Martin\" status:429"); /* no space left at the end */
}

/* Free text the search cannot use is flagged by the parse, once. */
static void test_short_text_is_flagged(void **state)
{
    (void)state;
    struct tg_request_filter f;
    char err[200];
    assert_int_equal(tg_filter_parse("dev:alice 山田", &f, err, sizeof err), 0);
    assert_true(f.text_ignored);
    assert_int_equal(tg_filter_parse("dev:alice 山田太", &f, err, sizeof err), 0);
    assert_false(f.text_ignored);
    assert_int_equal(tg_filter_parse("dev:alice", &f, err, sizeof err), 0);
    assert_false(f.text_ignored);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_and_text),
        cmocka_unit_test(test_bad_words),
        cmocka_unit_test(test_search_query),
        cmocka_unit_test(test_set_any_name),
        cmocka_unit_test(test_short_text_is_flagged),
    };
    return cmocka_run_group_tests_name("filter", tests, NULL, NULL);
}
