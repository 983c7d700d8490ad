#include "query/window.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/timeutil.h"

enum unit { UNIT_DAY, UNIT_WEEK, UNIT_MONTH };

static const struct {
    const char *name;
    enum unit unit;
    int back; /* periods before the current one: 1 for last-month */
} named[] = {
    {"today", UNIT_DAY, 0}, {"week", UNIT_WEEK, 0}, {"month", UNIT_MONTH, 0}, {"last-month", UNIT_MONTH, 1},
};

static int find(const char *name)
{
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        if (strcmp(name, named[i].name) == 0)
            return (int)i;
    }
    return -1;
}

static void to_tm(int64_t ms, bool utc, struct tm *tm)
{
    time_t t = (time_t)(ms / 1000);
    if (utc)
        gmtime_r(&t, tm);
    else
        localtime_r(&t, tm);
}

/* mktime normalises days and months out of range (the 0th of a month is the
 * last of the one before), which the arithmetic below relies on. */
static int64_t from_tm(struct tm *tm, bool utc)
{
    tm->tm_isdst = -1;
    time_t t = utc ? timegm(tm) : mktime(tm);
    return (int64_t)t * 1000;
}

/* The start of the period that holds `ms`, moved `shift` periods. */
static int64_t period_start(enum unit unit, int64_t ms, int shift, bool utc)
{
    struct tm tm;
    to_tm(ms, utc, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    if (unit == UNIT_DAY)
        tm.tm_mday += shift;
    else if (unit == UNIT_WEEK)
        tm.tm_mday += -((tm.tm_wday + 6) % 7) + 7 * shift; /* back to Monday */
    else {
        tm.tm_mday = 1;
        tm.tm_mon += shift;
    }
    return from_tm(&tm, utc);
}

int tg_window_named(const char *name, int64_t now_ms, bool utc, int64_t *since_ms, int64_t *until_ms)
{
    int i = find(name);
    if (i < 0)
        return -1;
    *since_ms = period_start(named[i].unit, now_ms, -named[i].back, utc);
    *until_ms = named[i].back ? period_start(named[i].unit, now_ms, 0, utc) : -1;
    return 0;
}

int tg_window_named_previous(const char *name, int64_t now_ms, bool utc, int64_t *since_ms, int64_t *until_ms)
{
    int i = find(name);
    if (i < 0)
        return -1;
    enum unit unit = named[i].unit;
    int64_t start = period_start(unit, now_ms, -named[i].back, utc);
    *since_ms = period_start(unit, now_ms, -named[i].back - 1, utc);
    if (named[i].back) { /* a whole period: the whole one before */
        *until_ms = start;
        return 0;
    }
    /* as far in as now is: the same time of day, weekday or day of month,
     * never past the end of the shorter period */
    struct tm tm;
    to_tm(now_ms, utc, &tm);
    if (unit == UNIT_DAY || unit == UNIT_WEEK) {
        tm.tm_mday -= unit == UNIT_DAY ? 1 : 7;
    } else {
        struct tm last_of_previous;
        to_tm(start - 1000, utc, &last_of_previous);
        if (tm.tm_mday > last_of_previous.tm_mday)
            tm.tm_mday = last_of_previous.tm_mday;
        tm.tm_mon -= 1;
    }
    *until_ms = from_tm(&tm, utc) + now_ms % 1000;
    if (*until_ms > start)
        *until_ms = start;
    return 0;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* What is wrong with a time that did not parse, as precisely as it can say. */
static void explain(const char *text, char *err, size_t errlen)
{
    int year, month, day, hour = 0, minute = 0, used = 0;
    char shown[48];
    snprintf(shown, sizeof shown, "%s", text);
    for (char *p = shown; *p; p++) { /* the message is shown on a terminal */
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
    }
    if (sscanf(text, "%4d-%2d-%2d%n", &year, &month, &day, &used) == 3 && used == 10) {
        if (month < 1 || month > 12) {
            snprintf(err, errlen, "month %d is not 1 to 12 in '%s'", month, shown);
            return;
        }
        if (day < 1 || day > days_in_month(year, month)) {
            snprintf(err, errlen, "day %d is not in %04d-%02d (1 to %d) in '%s'", day, year, month,
                     days_in_month(year, month), shown);
            return;
        }
        if ((text[10] == 'T' || text[10] == ' ') && sscanf(text + 11, "%2d:%2d", &hour, &minute) == 2 &&
            (hour > 23 || minute > 59)) {
            snprintf(err, errlen, "%02d:%02d is not a time of day in '%s'", hour, minute, shown);
            return;
        }
        if (year < 2000 || year >= 2100) {
            snprintf(err, errlen, "the year %d is outside 2000 to 2099 in '%s'", year, shown);
            return;
        }
    }
    snprintf(err, errlen, "'%s' is not a time: try 2026-11-01, 2026-11-01T10:00, 24h, 7d, " TG_WINDOW_NAMES, shown);
}

int tg_window_parse_time(const char *text, int64_t now_ms, bool utc, int64_t *ms, char *err, size_t errlen)
{
    int64_t until;
    if (!*text) {
        snprintf(err, errlen, "a time is needed: 2026-11-01, 2026-11-01T10:00, 24h, 7d, " TG_WINDOW_NAMES);
        return -1;
    }
    if (tg_window_named(text, now_ms, utc, ms, &until) == 0)
        return 0;
    if (tg_time_parse_arg(text, now_ms, ms) == 0 && tg_time_is_plausible(*ms)) {
        int year, month, day, used = 0;
        /* the parser rolls 2026-02-30 over into March: refuse it instead */
        if (sscanf(text, "%4d-%2d-%2d%n", &year, &month, &day, &used) == 3 && used == 10 &&
            (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))) {
            explain(text, err, errlen);
            return -1;
        }
        return 0;
    }
    explain(text, err, errlen);
    return -1;
}
