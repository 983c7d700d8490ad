#include "base/timeutil.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define MS_2000 946684800000LL
#define MS_2100 4102444800000LL

int tg_time_is_plausible(int64_t ms)
{
    return ms >= MS_2000 && ms < MS_2100;
}

static int parse_epoch_seconds(const char *text, int64_t *ms)
{
    char *end;
    double secs = strtod(text, &end);
    if (end == text || *end != '\0')
        return -1;
    *ms = (int64_t)(secs * 1000.0 + (secs >= 0 ? 0.5 : -0.5));
    return 0;
}

/* TOLLGATE_NOW is read once: the clock is on hot paths (every batch and
 * every screen refresh), and the environment does not change under us. */
static pthread_once_t pinned_once = PTHREAD_ONCE_INIT;
static int64_t pinned_ms = -1;

static void read_pinned_now(void)
{
    const char *pinned = getenv("TOLLGATE_NOW");
    int64_t ms;
    if (pinned && *pinned && (tg_time_parse_iso(pinned, &ms) == 0 || parse_epoch_seconds(pinned, &ms) == 0))
        pinned_ms = ms;
}

int64_t tg_now_ms(void)
{
    pthread_once(&pinned_once, read_pinned_now);
    if (pinned_ms >= 0)
        return pinned_ms;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Reads exactly n digits; -1 when they are not all there. */
static int read_digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return v;
}

static int parse_zone(const char *p, int *offset_minutes)
{
    *offset_minutes = 0;
    if (*p == '\0')
        return 0;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        return 0;
    if (*p != '+' && *p != '-')
        return -1;
    int sign = *p == '-' ? -1 : 1;
    p++;
    int hh = read_digits(&p, 2);
    if (hh < 0)
        return -1;
    if (*p == ':')
        p++;
    int mm = 0;
    if (*p != '\0' && (mm = read_digits(&p, 2)) < 0)
        return -1;
    if (*p != '\0' || hh > 23 || mm > 59)
        return -1;
    *offset_minutes = sign * (hh * 60 + mm);
    return 0;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* Parses the time of day after 'T' or ' ': hh:mm[:ss[.fff...]]. */
static int parse_clock(const char **pp, struct tm *tm, int *millis)
{
    const char *p = *pp;
    int hh = read_digits(&p, 2);
    if (hh < 0 || *p++ != ':')
        return -1;
    int mi = read_digits(&p, 2);
    if (mi < 0)
        return -1;
    int ss = 0;
    if (*p == ':') {
        p++;
        if ((ss = read_digits(&p, 2)) < 0)
            return -1;
    }
    if (*p == '.' || *p == ',') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        int scale = 100;
        while (isdigit((unsigned char)*p)) {
            *millis += (*p - '0') * scale;
            scale /= 10;
            p++;
        }
    }
    if (hh > 23 || mi > 59 || ss > 60)
        return -1;
    tm->tm_hour = hh;
    tm->tm_min = mi;
    tm->tm_sec = ss;
    *pp = p;
    return 0;
}

int tg_time_parse_iso(const char *text, int64_t *ms)
{
    const char *p = text;
    struct tm tm = {0};
    int millis = 0, offset = 0;
    int year = read_digits(&p, 4);
    if (year < 0 || *p++ != '-')
        return -1;
    int month = read_digits(&p, 2);
    if (month < 1 || month > 12 || *p++ != '-')
        return -1;
    int day = read_digits(&p, 2);
    if (day < 1 || day > days_in_month(year, month))
        return -1;
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (parse_clock(&p, &tm, &millis) != 0)
            return -1;
    }
    if (parse_zone(p, &offset) != 0)
        return -1;
    time_t secs = timegm(&tm);
    *ms = (int64_t)secs * 1000 + millis - (int64_t)offset * 60000;
    return 0;
}

int tg_time_parse_arg(const char *text, int64_t now_ms, int64_t *ms)
{
    if (strcmp(text, "now") == 0) {
        *ms = now_ms;
        return 0;
    }
    char *end;
    long long n = strtoll(text, &end, 10);
    if (end != text && isdigit((unsigned char)text[0]) && end[0] != '\0' && end[1] == '\0' &&
        n >= 0 && n < 100000) {
        int64_t unit;
        switch (end[0]) {
        case 's': unit = 1000; break;
        case 'm': unit = 60000; break;
        case 'h': unit = 3600000; break;
        case 'd': unit = 86400000; break;
        case 'w': unit = 7 * 86400000LL; break;
        case 'y': unit = 365 * 86400000LL; break;
        default: return -1;
        }
        *ms = now_ms - n * unit;
        return 0;
    }
    return tg_time_parse_iso(text, ms);
}

void tg_time_format_iso(int64_t ms, char *buf, size_t len)
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int millis = (int)(ms - secs * 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    if (millis)
        snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    else
        snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int64_t tg_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
