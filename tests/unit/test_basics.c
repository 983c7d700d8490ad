/* The small pieces everything else trusts: money formats, time arguments,
 * UTF-8 checks, terminal sanitising, latency percentiles, the hash map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/hashmap.h"
#include "base/latency.h"
#include "base/money.h"
#include "base/sanitize.h"
#include "base/timeutil.h"
#include "base/utf8.h"

static void test_money(void **state)
{
    (void)state;
    char buf[64];
    tg_nanos n;
    assert_int_equal(tg_nanos_from_dollars(0.1, &n), 0);
    assert_int_equal(n, 100000000);
    assert_int_equal(tg_nanos_from_dollars(1.23456789, &n), 0);
    assert_int_equal(n, 1234567890);
    assert_int_equal(tg_nanos_from_dollars(1e12, &n), -1);
    /* ten thousand times 0.1 sums exactly, unlike doubles */
    tg_nanos sum = 0;
    for (int i = 0; i < 10000; i++) {
        tg_nanos_from_dollars(0.1, &n);
        sum += n;
    }
    assert_int_equal(sum, 1000LL * TG_NANOS_PER_DOLLAR);
    tg_nanos_format_plain(1234567890, buf, sizeof buf);
    assert_string_equal(buf, "1.234568");
    tg_nanos_format_plain(500, buf, sizeof buf);
    assert_string_equal(buf, "0.000001");
    tg_nanos_format_plain(0, buf, sizeof buf);
    assert_string_equal(buf, "0.000000");
    tg_nanos_format_human(1234567890123LL, buf, sizeof buf);
    assert_string_equal(buf, "$1,234.57");
    tg_nanos_format_human(15000LL * TG_NANOS_PER_DOLLAR, buf, sizeof buf);
    assert_string_equal(buf, "$15,000.00");
    tg_nanos_format_human(4999999, buf, sizeof buf);
    assert_string_equal(buf, "$0.00");
    tg_nanos_format_human(5000000, buf, sizeof buf);
    assert_string_equal(buf, "$0.01");
}

/* tg_now_ms() in a new process with TOLLGATE_NOW set to pinned (or unset):
 * 1 when it gave 2026-11-01T10:00:00Z, 2 when the real clock, 0 otherwise;
 * and a second call after changing the variable gives the same. */
static int now_in_child(const char *pinned)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (pinned)
            setenv("TOLLGATE_NOW", pinned, 1);
        else
            unsetenv("TOLLGATE_NOW");
        int64_t first = tg_now_ms();
        setenv("TOLLGATE_NOW", "2000-01-01", 1);
        int64_t second = tg_now_ms();
        int same = pinned ? second == first : second >= first;
        _exit(!same ? 0 : first == 1793527200000 ? 1 : first > 1700000000000 ? 2 : 0);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static void test_time_arguments(void **state)
{
    (void)state;
    int64_t now = 1793527200000, ms;
    assert_int_equal(tg_time_parse_arg("24h", now, &ms), 0);
    assert_int_equal(ms, now - 86400000);
    assert_int_equal(tg_time_parse_arg("7d", now, &ms), 0);
    assert_int_equal(ms, now - 7 * 86400000LL);
    assert_int_equal(tg_time_parse_arg("90m", now, &ms), 0);
    assert_int_equal(ms, now - 90 * 60000);
    assert_int_equal(tg_time_parse_arg("2w", now, &ms), 0);
    assert_int_equal(ms, now - 14 * 86400000LL);
    assert_int_equal(tg_time_parse_arg("now", now, &ms), 0);
    assert_int_equal(ms, now);
    assert_int_equal(tg_time_parse_arg("2026-11-01", now, &ms), 0);
    assert_int_equal(ms, 1793491200000);
    assert_int_equal(tg_time_parse_arg("7x", now, &ms), -1);
    assert_int_equal(tg_time_parse_arg("", now, &ms), -1);
    assert_int_equal(tg_time_parse_arg("2026-13-01", now, &ms), -1);
    assert_int_equal(tg_time_parse_arg("2026-11-01T10:00:00Zjunk", now, &ms), -1);
    char buf[40];
    tg_time_format_iso(1793527200123, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-01T10:00:00.123Z");
    tg_time_format_iso(1793527200000, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-01T10:00:00Z");
    /* TOLLGATE_NOW pins the clock for tests; it is read once per process */
    assert_int_equal(now_in_child("2026-11-01T10:00:00Z"), 1);
    assert_int_equal(now_in_child("1793527200"), 1);
    assert_int_equal(now_in_child(NULL), 2);
}

static void test_utf8(void **state)
{
    (void)state;
    const char *good[] = {"", "plain", "zoë", "山田", "🚀", "\xef\xbf\xbd"};
    const char *bad[] = {"\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ab\xe6\x97", "\x80"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(tg_utf8_valid(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(tg_utf8_valid(bad[i], strlen(bad[i])));
}

static void test_sanitize(void **state)
{
    (void)state;
    char out[256];
    tg_sanitize("plain zoë 山田", out, sizeof out);
    assert_string_equal(out, "plain zoë 山田");
    tg_sanitize("a\x1b[2Jb", out, sizeof out);
    assert_string_equal(out, "a\\x1b[2Jb");
    tg_sanitize("t\tn\nbell\x07 del\x7f", out, sizeof out);
    assert_string_equal(out, "t\\tn\\nbell\\x07 del\\x7f");
    tg_sanitize("c1 \xc2\x9b" "31m", out, sizeof out); /* U+009B, the 8-bit CSI */
    assert_string_equal(out, "c1 \\xc2\\x9b31m");
    tg_sanitize("osc \x1b]52;c;eA==\x07", out, sizeof out);
    assert_null(strchr(out, 0x1b));
    assert_null(strchr(out, 0x07));
    /* a short buffer cuts whole characters and whole escapes */
    tg_sanitize("ab\x1b", out, 5);
    assert_string_equal(out, "ab");
    tg_sanitize("山田", out, 5);
    assert_string_equal(out, "山");
    char *dup = tg_sanitize_dup("\x1b\x1b");
    assert_string_equal(dup, "\\x1b\\x1b");
    free(dup);
}

static void test_latency_quantiles(void **state)
{
    (void)state;
    struct tg_latency_hist h = {{0}};
    assert_int_equal(tg_latency_quantile_ms(&h, 0.5), -1);
    for (int ms = 1; ms <= 10000; ms++) /* uniform 1 ms .. 10 s */
        tg_latency_add(&h, ms);
    int64_t p50 = tg_latency_quantile_ms(&h, 0.5), p95 = tg_latency_quantile_ms(&h, 0.95);
    assert_true(p50 >= 5000 * 0.91 && p50 <= 5000 * 1.09);
    assert_true(p95 >= 9500 * 0.91 && p95 <= 9500 * 1.09);
    unsigned char blob[TG_LATENCY_BLOB_MAX];
    size_t n = tg_latency_to_blob(&h, blob);
    struct tg_latency_hist back = {{0}};
    assert_int_equal(tg_latency_add_blob(&back, blob, n), 0);
    assert_memory_equal(&back, &h, sizeof h);
    const unsigned char cut[] = {0x53, 2, 5, 3, 0x80}; /* the last varint cut short */
    assert_int_equal(tg_latency_add_blob(&back, cut, sizeof cut), -1);
    assert_memory_equal(&back, &h, sizeof h); /* and nothing added */
    assert_int_equal(tg_latency_bucket(0), 0);
    assert_int_equal(tg_latency_bucket(INT64_C(1) << 40), TG_LATENCY_BUCKETS - 1);
}

/* Rollup rows keep their histograms sparse: an hour with a few requests is a
 * few bytes, not 256; the fixed form written before still reads. */
static void test_latency_blob_forms(void **state)
{
    (void)state;
    struct tg_latency_hist h = {{0}}, back = {{0}};
    unsigned char blob[TG_LATENCY_BLOB_MAX];
    assert_int_equal(tg_latency_to_blob(&h, blob), 1);
    tg_latency_add(&h, 250);
    tg_latency_add(&h, 260);
    tg_latency_add(&h, 4000);
    size_t n = tg_latency_to_blob(&h, blob);
    assert_true(n <= 8);
    assert_int_equal(tg_latency_add_blob(&back, blob, n), 0);
    assert_memory_equal(&back, &h, sizeof h);

    unsigned char legacy[TG_LATENCY_LEGACY_SIZE] = {0};
    legacy[5 * 4] = 7;     /* bucket 5: 7 */
    legacy[63 * 4 + 1] = 1; /* bucket 63: 256 */
    struct tg_latency_hist old = {{0}};
    assert_int_equal(tg_latency_add_blob(&old, legacy, sizeof legacy), 0);
    assert_int_equal(old.count[5], 7);
    assert_int_equal(old.count[63], 256);

    /* a sparse blob that would be exactly the fixed size is padded past it */
    struct tg_latency_hist wide = {{0}};
    for (int i = 0; i < 51; i++)
        wide.count[i] = 1u << 28; /* 1 + 51 * (1 + 4) bytes = 256 */
    n = tg_latency_to_blob(&wide, blob);
    assert_int_not_equal(n, TG_LATENCY_LEGACY_SIZE);
    struct tg_latency_hist wide_back = {{0}};
    assert_int_equal(tg_latency_add_blob(&wide_back, blob, n), 0);
    assert_memory_equal(&wide_back, &wide, sizeof wide);

    const unsigned char bad_bucket[] = {0x53, 64, 1}, bad_tag[] = {0x00, 1, 1};
    assert_int_equal(tg_latency_add_blob(&back, bad_bucket, sizeof bad_bucket), -1);
    assert_int_equal(tg_latency_add_blob(&back, bad_tag, sizeof bad_tag), -1);
}

static void test_hashmap(void **state)
{
    (void)state;
    struct hashmap *map = hashmap_new();
    char key[32];
    for (intptr_t i = 1; i <= 5000; i++) {
        snprintf(key, sizeof key, "k%ld", (long)i);
        assert_int_equal(hashmap_put(map, key, strlen(key), (void *)i), 0);
    }
    assert_int_equal(hashmap_count(map), 5000);
    for (intptr_t i = 1; i <= 5000; i++) {
        snprintf(key, sizeof key, "k%ld", (long)i);
        assert_int_equal((intptr_t)hashmap_get(map, key, strlen(key)), i);
    }
    assert_null(hashmap_get(map, "nope", 4));
    hashmap_put(map, "k1", 2, (void *)42);
    assert_int_equal((intptr_t)hashmap_get(map, "k1", 2), 42);
    assert_int_equal(hashmap_count(map), 5000);
    size_t pos = 0, seen = 0, key_len;
    const void *k;
    void *v;
    while (hashmap_next(map, &pos, &k, &key_len, &v))
        seen++;
    assert_int_equal(seen, 5000);
    hashmap_free(map, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_money),
        cmocka_unit_test(test_time_arguments),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_latency_quantiles),
        cmocka_unit_test(test_latency_blob_forms),
        cmocka_unit_test(test_hashmap),
    };
    return cmocka_run_group_tests_name("basics", tests, NULL, NULL);
}
