/* Calendar windows for the screens: today, this week (from Monday), this
 * month and last month, in the local time zone or in UTC, and the period
 * before each to compare with. Also says what is wrong with a time that does
 * not parse, so ":since 2026-13-01" is answered with "month 13 ...". */
#ifndef TG_WINDOW_H
#define TG_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The names, for help texts. */
#define TG_WINDOW_NAMES "today, week, month, last-month"

/* [since, until) of a named window at now_ms; until is -1 for a window that
 * runs up to now. Returns 0, or -1 when the name is none of TG_WINDOW_NAMES. */
int tg_window_named(const char *name, int64_t now_ms, bool utc, int64_t *since_ms, int64_t *until_ms);

/* The named window's previous period, as far into it as the window is into
 * its own: yesterday up to this time of day, last week up to this weekday and
 * time, last month up to this day (or its last) and time; the month before
 * for last-month. Returns 0 or -1 as above. */
int tg_window_named_previous(const char *name, int64_t now_ms, bool utc, int64_t *since_ms, int64_t *until_ms);

/* A --since / :since argument: a named window's start, or what
 * tg_time_parse_arg takes. Returns 0, or -1 with err saying what is wrong
 * ("month 13 is not 1 to 12 in '2026-13-01'"). */
int tg_window_parse_time(const char *text, int64_t now_ms, bool utc, int64_t *ms, char *err, size_t errlen);

#endif
