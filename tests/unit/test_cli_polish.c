/* The pieces under the command line's polish: edit distance and "did you
 * mean", display width and table cells, calendar windows across a DST change
 * and month ends, and the window before a window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/format.h"
#include "base/suggest.h"
#include "base/timeutil.h"
#include "base/utf8.h"
#include "query/window.h"

static void test_edit_distance_and_suggestions(void **state)
{
    (void)state;
    assert_int_equal(tg_edit_distance("reprot", "report"), 1); /* a swap costs one */
    assert_int_equal(tg_edit_distance("develper", "developer"), 1);
    assert_int_equal(tg_edit_distance("Alice", "alice"), 0);
    assert_int_equal(tg_edit_distance("", "abc"), 3);
    assert_int_equal(tg_edit_distance("kitten", "sitting"), 3);
    struct tg_suggest s;
    tg_suggest_init(&s, "alcie");
    const char *names[] = {"bob", "alicia", "alice", "carol", "alex"};
    for (size_t i = 0; i < 5; i++)
        tg_suggest_add(&s, names[i]);
    char buf[128];
    tg_suggest_format(&s, NULL, buf, sizeof buf);
    assert_string_equal(buf, "'alice' or 'alicia'");
    tg_suggest_init(&s, "zzzzzz");
    tg_suggest_add(&s, "report");
    assert_int_equal(s.count, 0);
    tg_suggest_init(&s, "off"); /* the start of a name is offered too */
    tg_suggest_add(&s, "offboard");
    tg_suggest_format(&s, "--", buf, sizeof buf);
    assert_string_equal(buf, "'--offboard'");
}

static void test_display_width(void **state)
{
    (void)state;
    assert_int_equal(tg_utf8_width("alice"), 5);
    assert_int_equal(tg_utf8_width("山田太郎"), 8);
    assert_int_equal(tg_utf8_width("jose\xcc\x81"), 4); /* e + combining acute */
    assert_int_equal(tg_utf8_width("Pf0xYz0a\xe2\x80\xa6"), 9); /* the prefix's ellipsis */
    assert_int_equal(tg_utf8_width("\xf0\x9f\x9a\x80"), 2); /* a rocket */
    assert_int_equal(tg_utf8_width("\xff"), 1);
    int cols;
    assert_int_equal(tg_utf8_fit("山田太郎", 5, &cols), 6);
    assert_int_equal(cols, 4);
    assert_int_equal(tg_utf8_fit("jose\xcc\x81x", 4, &cols), 6); /* the mark stays with its letter */
    char buf[64];
    assert_string_equal(tg_format_cell("山田", 6, TG_ALIGN_LEFT, buf, sizeof buf), "山田  ");
    assert_string_equal(tg_format_cell("42", 5, TG_ALIGN_RIGHT, buf, sizeof buf), "   42");
    assert_string_equal(tg_format_cell("山田太郎", 6, TG_ALIGN_LEFT, buf, sizeof buf), "山田\xe2\x80\xa6 ");
    assert_string_equal(tg_format_cell("abcdef", 4, TG_ALIGN_LEFT, buf, sizeof buf), "abc\xe2\x80\xa6");
    assert_string_equal(tg_format_cell("abcdef", 0, TG_ALIGN_LEFT, buf, sizeof buf), "abcdef");
}

static int64_t at(const char *iso)
{
    int64_t ms;
    assert_int_equal(tg_time_parse_iso(iso, &ms), 0);
    return ms;
}

static void test_windows_across_dst_and_month_ends(void **state)
{
    (void)state;
    setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1); /* Central Europe: DST ended 2026-10-25 */
    tzset();
    struct tg_window w, prev;
    char err[256], label[64];
    /* Monday 2026-10-26 10:00 local: the week began the day after the change */
    int64_t now = at("2026-10-26T09:00:00Z");
    assert_int_equal(tg_window_parse("week", NULL, now, false, &w, err, sizeof err), 0);
    assert_int_equal(w.since_ms, at("2026-10-25T23:00:00Z"));
    assert_int_equal(tg_window_parse("last-week", NULL, now, false, &w, err, sizeof err), 0);
    assert_int_equal(w.since_ms, at("2026-10-18T22:00:00Z")); /* still summer time: +02:00 */
    assert_int_equal(w.until_ms, at("2026-10-25T23:00:00Z")); /* a week of 7 days and 1 hour */
    assert_int_equal(tg_window_previous(&w, now, &prev, label, sizeof label), 0);
    assert_int_equal(prev.since_ms, at("2026-10-11T22:00:00Z"));
    assert_string_equal(label, "the previous week");
    /* March 31 has no February twin: the month before ends on its last day */
    now = at("2026-03-31T12:00:00Z");
    assert_int_equal(tg_window_parse("month", NULL, now, true, &w, err, sizeof err), 0);
    assert_int_equal(w.until_ms, TG_WINDOW_OPEN);
    assert_int_equal(tg_window_previous(&w, now, &prev, label, sizeof label), 0);
    assert_int_equal(prev.since_ms, at("2026-02-01T00:00:00Z"));
    assert_int_equal(prev.until_ms, at("2026-02-28T12:00:00Z"));
    assert_string_equal(label, "the previous month to the same point");
    /* rolling windows: as long as the window, named in whole units */
    assert_int_equal(tg_window_parse("90m", NULL, now, true, &w, err, sizeof err), 0);
    assert_int_equal(tg_window_previous(&w, now, &prev, label, sizeof label), 0);
    assert_string_equal(label, "previous 90 minutes");
    assert_int_equal(prev.until_ms, w.since_ms);
    assert_int_equal(tg_window_parse(NULL, "today", now, true, &w, err, sizeof err), 0);
    assert_int_equal(tg_window_previous(&w, now, &prev, label, sizeof label), -1); /* all time before today */
    assert_int_equal(tg_window_parse("2026-02-29", NULL, now, true, &w, err, sizeof err), -1);
    assert_non_null(strstr(err, "February 2026 has 28 days"));
    assert_int_equal(tg_window_parse("2028-02-29", NULL, now, true, &w, err, sizeof err), 0); /* a leap year */
    unsetenv("TZ");
    tzset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edit_distance_and_suggestions),
        cmocka_unit_test(test_display_width),
        cmocka_unit_test(test_windows_across_dst_and_month_ends),
    };
    return cmocka_run_group_tests_name("cli_polish", tests, NULL, NULL);
}
