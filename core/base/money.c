#include "base/money.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int tg_nanos_from_dollars(double dollars, tg_nanos *out)
{
    if (!isfinite(dollars) || fabs(dollars) > 1e9)
        return -1;
    *out = (tg_nanos)llround(dollars * 1e9);
    return 0;
}

bool tg_add_checked(int64_t *sum, int64_t v)
{
    int64_t r;
    if (__builtin_add_overflow(*sum, v, &r))
        return false;
    *sum = r;
    return true;
}

bool tg_mul_checked(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

void tg_money_overflow_message(const char *what, char *err, size_t errlen)
{
    char most[48];
    tg_nanos_format_human(TG_NANOS_MAX, most, sizeof most);
    snprintf(err, errlen, "%s would pass %s, the most tollgate can count", what, most);
}

static int64_t round_div(int64_t v, int64_t d)
{
    int64_t q = v / d, r = v % d;
    if (r * 2 >= d)
        q++;
    else if (r * 2 <= -d)
        q--;
    return q;
}

void tg_nanos_format_plain(tg_nanos v, char *buf, size_t len)
{
    int64_t micros = round_div(v, 1000);
    const char *sign = micros < 0 ? "-" : "";
    uint64_t m = micros < 0 ? (uint64_t)(-micros) : (uint64_t)micros;
    snprintf(buf, len, "%s%llu.%06llu", sign, (unsigned long long)(m / 1000000),
             (unsigned long long)(m % 1000000));
}

static void group_thousands(uint64_t whole, char *out, size_t len)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%llu", (unsigned long long)whole);
    size_t n = strlen(digits), o = 0;
    for (size_t i = 0; i < n && o + 2 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

void tg_nanos_format_human(tg_nanos v, char *buf, size_t len)
{
    int64_t cents = round_div(v, 10000000);
    uint64_t c = cents < 0 ? (uint64_t)(-cents) : (uint64_t)cents;
    char whole[40];
    group_thousands(c / 100, whole, sizeof whole);
    snprintf(buf, len, "%s$%s.%02llu", cents < 0 ? "-" : "", whole, (unsigned long long)(c % 100));
}
