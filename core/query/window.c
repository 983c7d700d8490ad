#include "query/window.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/suggest.h"

#define SECOND_MS 1000LL
#define MINUTE_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL

static const char *const month_names[12] = {"January", "February", "March",     "April",   "May",      "June",
                                            "July",    "August",   "September", "October", "November", "December"};

/* The words for periods: which period, and how many of them back from the current one. */
static const struct {
    const char *name;
    enum tg_period period;
    int back;
} period_words[] = {
    {"today", TG_PERIOD_DAY, 0},  {"yesterday", TG_PERIOD_DAY, 1}, {"week", TG_PERIOD_WEEK, 0},
    {"last-week", TG_PERIOD_WEEK, 1}, {"month", TG_PERIOD_MONTH, 0}, {"last-month", TG_PERIOD_MONTH, 1},
};
#define NPERIOD_WORDS (sizeof period_words / sizeof period_words[0])

/* One --since or --until, read: an instant, or a period [start, end). */
struct when {
    int64_t start, end;
    enum tg_period period; /* TG_PERIOD_NONE for an instant */
};

static int days_in_month(int year, int month) /* month 1-12 */
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

static void to_tm(int64_t ms, bool utc, struct tm *tm)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    if (utc)
        gmtime_r(&t, tm);
    else
        localtime_r(&t, tm);
}

static int64_t from_tm(struct tm *tm, bool utc)
{
    tm->tm_isdst = -1;
    time_t t = utc ? timegm(tm) : mktime(tm);
    return (int64_t)t * 1000;
}

/* ms moved by n days, weeks or months on the calendar (the same time of day;
 * a month's day kept, or its last day when the month is shorter). */
static int64_t shift(int64_t ms, enum tg_period period, int n, bool utc)
{
    struct tm tm;
    to_tm(ms, utc, &tm);
    int64_t millis = ms - (ms >= 0 ? ms / 1000 : (ms - 999) / 1000) * 1000;
    if (period == TG_PERIOD_DAY) {
        tm.tm_mday += n;
    } else if (period == TG_PERIOD_WEEK) {
        tm.tm_mday += 7 * n;
    } else if (period == TG_PERIOD_MONTH) {
        int months = tm.tm_year * 12 + tm.tm_mon + n;
        tm.tm_year = months / 12;
        tm.tm_mon = months % 12;
        int last = days_in_month(tm.tm_year + 1900, tm.tm_mon + 1);
        if (tm.tm_mday > last)
            tm.tm_mday = last;
    }
    return from_tm(&tm, utc) + millis;
}

/* Where the period holding now, `back` periods ago, starts. */
static int64_t period_start(int64_t now_ms, enum tg_period period, int back, bool utc)
{
    struct tm tm;
    to_tm(now_ms, utc, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    if (period == TG_PERIOD_WEEK)
        tm.tm_mday -= (tm.tm_wday + 6) % 7; /* back to Monday */
    else if (period == TG_PERIOD_MONTH)
        tm.tm_mday = 1;
    int64_t start = from_tm(&tm, utc);
    return back ? shift(start, period, -back, utc) : start;
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
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

static int not_a_time(const char *opt, const char *text, char *err, size_t errlen)
{
    struct tg_suggest s;
    tg_suggest_init(&s, text);
    for (size_t i = 0; i < NPERIOD_WORDS; i++)
        tg_suggest_add(&s, period_words[i].name);
    tg_suggest_add(&s, "now");
    char closest[128];
    tg_suggest_format(&s, NULL, closest, sizeof closest);
    if (*closest)
        return fail(err, errlen, "%s: '%s' is not a time; did you mean %s?", opt, text, closest);
    return fail(err, errlen,
                "%s: '%s' is not a time (try 24h, 7d, today, week, month, last-month, 2026-11-01 or "
                "2026-11-01T10:00)",
                opt, text);
}

/* hh:mm[:ss[.fff]] after the date's T. */
static int parse_clock(const char *opt, const char *text, const char **pp, struct tm *tm, int64_t *millis, char *err,
                       size_t errlen)
{
    const char *p = *pp;
    int hh = read_digits(&p, 2);
    if (hh < 0 || *p != ':')
        return fail(err, errlen, "%s: '%s' has no time of day (hh:mm) after its date", opt, text);
    p++;
    int mi = read_digits(&p, 2);
    if (mi < 0)
        return fail(err, errlen, "%s: '%s' has no minutes (hh:mm) after its hour", opt, text);
    int ss = 0;
    if (*p == ':' && (p++, (ss = read_digits(&p, 2)) < 0))
        return fail(err, errlen, "%s: '%s' has no seconds (two digits) after its minutes", opt, text);
    if (*p == '.' || *p == ',') {
        p++;
        int64_t scale = 100;
        if (!isdigit((unsigned char)*p))
            return fail(err, errlen, "%s: '%s' has no digits after its decimal point", opt, text);
        for (; isdigit((unsigned char)*p); p++, scale /= 10)
            *millis += (*p - '0') * scale;
    }
    if (hh > 23)
        return fail(err, errlen, "%s: hour %d in '%s' is not 0 to 23", opt, hh, text);
    if (mi > 59)
        return fail(err, errlen, "%s: minute %d in '%s' is not 0 to 59", opt, mi, text);
    if (ss > 59)
        return fail(err, errlen, "%s: second %d in '%s' is not 0 to 59", opt, ss, text);
    tm->tm_hour = hh;
    tm->tm_min = mi;
    tm->tm_sec = ss;
    *pp = p;
    return 0;
}

/* "", "Z", "+02:00", "+0200", "-05". *has_zone says whether one was given. */
static int parse_zone(const char *opt, const char *text, const char *p, bool *has_zone, int *offset_minutes,
                      char *err, size_t errlen)
{
    *has_zone = *p != '\0';
    *offset_minutes = 0;
    if (!*p || ((*p == 'Z' || *p == 'z') && !p[1]))
        return 0;
    const char *zone = p;
    int sign = *p == '-' ? -1 : 1;
    int hh = -1, mm = 0;
    if (*p == '+' || *p == '-') {
        p++;
        hh = read_digits(&p, 2);
        if (hh >= 0 && *p == ':')
            p++;
        if (hh >= 0 && *p && (mm = read_digits(&p, 2)) < 0)
            hh = -1;
    }
    if (hh < 0 || *p)
        return fail(err, errlen, "%s: '%s' at the end of '%s' is neither a time of day nor a zone (Z, +02:00)", opt,
                    zone, text);
    if (hh > 23 || mm > 59)
        return fail(err, errlen, "%s: zone '%s' in '%s' is not a UTC offset (-23:59 to +23:59)", opt, zone, text);
    *offset_minutes = sign * (hh * 60 + mm);
    return 0;
}

static int parse_date_time(const char *opt, const char *text, bool utc, int64_t *ms, char *err, size_t errlen)
{
    const char *p = text;
    int year = read_digits(&p, 4);
    if (year < 0 || *p != '-')
        return not_a_time(opt, text, err, errlen);
    p++;
    int month = read_digits(&p, 2);
    if (month < 0 || *p != '-')
        return fail(err, errlen, "%s: '%s' has no month (two digits, 01 to 12) after its year", opt, text);
    if (month < 1 || month > 12)
        return fail(err, errlen, "%s: month %d in '%s' is not 1 to 12", opt, month, text);
    p++;
    int day = read_digits(&p, 2);
    if (day < 0)
        return fail(err, errlen, "%s: '%s' has no day (two digits) after its month", opt, text);
    int last = days_in_month(year, month);
    if (day < 1 || day > last)
        return fail(err, errlen, "%s: day %d in '%s' is not 1 to %d (%s %d has %d days)", opt, day, text, last,
                    month_names[month - 1], year, last);
    struct tm tm = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day};
    int64_t millis = 0;
    if ((*p == 'T' || *p == 't' || *p == ' ') && (p++, parse_clock(opt, text, &p, &tm, &millis, err, errlen) != 0))
        return -1;
    bool has_zone;
    int offset;
    if (parse_zone(opt, text, p, &has_zone, &offset, err, errlen) != 0)
        return -1;
    if (has_zone)
        *ms = from_tm(&tm, true) + millis - (int64_t)offset * MINUTE_MS;
    else
        *ms = from_tm(&tm, utc) + millis;
    return 0;
}

/* "90m": 1 when text is a duration (with *ms before now), 0 when it is not
 * one, -1 when it is one with a bad unit. */
static int parse_duration(const char *opt, const char *text, int64_t now_ms, int64_t *ms, char *err, size_t errlen)
{
    size_t digits = strspn(text, "0123456789");
    if (digits == 0 || digits > 6 || !text[digits] || text[digits + 1])
        return 0;
    int64_t n = strtoll(text, NULL, 10), unit;
    switch (text[digits]) {
    case 's': unit = SECOND_MS; break;
    case 'm': unit = MINUTE_MS; break;
    case 'h': unit = HOUR_MS; break;
    case 'd': unit = DAY_MS; break;
    case 'w': unit = 7 * DAY_MS; break;
    case 'y': unit = 365 * DAY_MS; break;
    case '-': return 0; /* the start of a date */
    default:
        return fail(err, errlen, "%s: '%c' in '%s' is not a unit: durations are in s, m, h, d, w or y", opt,
                    text[digits], text);
    }
    *ms = now_ms - n * unit;
    return 1;
}

static int parse_when(const char *opt, const char *text, int64_t now_ms, bool utc, struct when *out, char *err,
                      size_t errlen)
{
    out->period = TG_PERIOD_NONE;
    out->end = TG_WINDOW_OPEN;
    if (!*text)
        return fail(err, errlen, "%s: no time given", opt);
    if (strcmp(text, "now") == 0) {
        out->start = now_ms;
        return 0;
    }
    for (size_t i = 0; i < NPERIOD_WORDS; i++) {
        if (strcmp(text, period_words[i].name) != 0)
            continue;
        out->period = period_words[i].period;
        out->start = period_start(now_ms, out->period, period_words[i].back, utc);
        out->end = shift(out->start, out->period, 1, utc);
        return 0;
    }
    int d = parse_duration(opt, text, now_ms, &out->start, err, errlen);
    if (d != 0)
        return d < 0 ? -1 : 0;
    if (!isdigit((unsigned char)text[0]))
        return not_a_time(opt, text, err, errlen);
    return parse_date_time(opt, text, utc, &out->start, err, errlen);
}

void tg_window_format_time(int64_t ms, bool utc, char *buf, size_t len)
{
    struct tm tm;
    to_tm(ms, utc, &tm);
    long offset = utc ? 0 : tm.tm_gmtoff;
    char zone[32] = "Z";
    if (offset != 0)
        snprintf(zone, sizeof zone, "%c%02ld:%02ld", offset < 0 ? '-' : '+', labs(offset) / 3600,
                 labs(offset) % 3600 / 60);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%s", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, zone);
}

int tg_window_parse(const char *since, const char *until, int64_t now_ms, bool utc, struct tg_window *out,
                    char *err, size_t errlen)
{
    tzset();
    *out = (struct tg_window){TG_WINDOW_OPEN, TG_WINDOW_OPEN, TG_PERIOD_NONE, utc};
    struct when s, u;
    if (since) {
        if (parse_when("--since", since, now_ms, utc, &s, err, errlen) != 0)
            return -1;
        out->since_ms = s.start;
        if (!until && s.period != TG_PERIOD_NONE) {
            out->period = s.period;
            out->until_ms = s.end > now_ms ? TG_WINDOW_OPEN : s.end;
        }
    }
    if (until) {
        if (parse_when("--until", until, now_ms, utc, &u, err, errlen) != 0)
            return -1;
        out->until_ms = u.start;
    }
    if (out->since_ms != TG_WINDOW_OPEN && out->until_ms != TG_WINDOW_OPEN && out->until_ms <= out->since_ms) {
        char a[40], b[40];
        tg_window_format_time(out->since_ms, utc, a, sizeof a);
        tg_window_format_time(out->until_ms, utc, b, sizeof b);
        return fail(err, errlen, "--until (%s, %s) is not after --since (%s, %s)", until, b, since, a);
    }
    return 0;
}

/* "7 days", "24 hours", "90 minutes", "1 day". */
static void describe_length(int64_t ms, char *buf, size_t len)
{
    static const struct {
        int64_t unit;
        const char *name;
    } units[] = {{7 * DAY_MS, "week"}, {DAY_MS, "day"}, {HOUR_MS, "hour"}, {MINUTE_MS, "minute"}, {SECOND_MS, "second"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ms % units[i].unit != 0 && units[i].unit != SECOND_MS)
            continue;
        /* 7 days reads better than 1 week, 24 hours than 1 day */
        if ((units[i].unit == 7 * DAY_MS && ms / units[i].unit < 4) || (units[i].unit == DAY_MS && ms == DAY_MS))
            continue;
        int64_t n = ms / units[i].unit;
        snprintf(buf, len, "%lld %s%s", (long long)n, units[i].name, n == 1 ? "" : "s");
        return;
    }
}

int tg_window_previous(const struct tg_window *w, int64_t now_ms, struct tg_window *prev, char *label,
                       size_t label_len)
{
    if (w->since_ms == TG_WINDOW_OPEN)
        return -1;
    int64_t end = w->until_ms == TG_WINDOW_OPEN ? now_ms : w->until_ms;
    *prev = *w;
    if (w->period != TG_PERIOD_NONE) {
        static const char *const names[] = {"", "day", "week", "month"};
        bool whole = shift(w->since_ms, w->period, 1, w->utc) == end;
        prev->since_ms = shift(w->since_ms, w->period, -1, w->utc);
        prev->until_ms = shift(end, w->period, -1, w->utc);
        snprintf(label, label_len, "the previous %s%s", names[w->period], whole ? "" : " to the same point");
        return 0;
    }
    int64_t length = end - w->since_ms;
    char what[48];
    length = (length + SECOND_MS / 2) / SECOND_MS * SECOND_MS; /* for the label: "7 days", not 7 days and 3 ms */
    describe_length(length, what, sizeof what);
    prev->since_ms = w->since_ms - (end - w->since_ms);
    prev->until_ms = w->since_ms;
    snprintf(label, label_len, "previous %s", what);
    return 0;
}

/* ---- the screens' windows: named periods for `w`, one time for :since / :until ---- */

int tg_window_named(const char *name, int64_t now_ms, bool utc, int64_t *since_ms, int64_t *until_ms)
{
    struct tg_window w;
    char err[160];
    bool named = false;
    for (size_t i = 0; i < NPERIOD_WORDS && !named; i++)
        named = strcmp(name, period_words[i].name) == 0;
    if (!named || tg_window_parse(name, NULL, now_ms, utc, &w, err, sizeof err) != 0)
        return -1;
    *since_ms = w.since_ms;
    *until_ms = w.until_ms;
    return 0;
}

int tg_window_named_previous(const char *name, int64_t now_ms, bool utc, int64_t *since_ms, int64_t *until_ms)
{
    struct tg_window w, prev;
    char label[64];
    if (tg_window_named(name, now_ms, utc, &w.since_ms, &w.until_ms) != 0)
        return -1;
    if (tg_window_parse(name, NULL, now_ms, utc, &w, label, sizeof label) != 0 ||
        tg_window_previous(&w, now_ms, &prev, label, sizeof label) != 0)
        return -1;
    *since_ms = prev.since_ms;
    *until_ms = prev.until_ms;
    return 0;
}

int tg_window_parse_time(const char *what, const char *text, int64_t now_ms, bool utc, int64_t *ms, char *err,
                         size_t errlen)
{
    tzset();
    struct when w;
    if (parse_when(what, text, now_ms, utc, &w, err, errlen) != 0)
        return -1;
    *ms = w.start;
    return 0;
}
