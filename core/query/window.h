/* Time windows as people ask for them: --since / --until (and the screens'
 * :since / :until) given as a duration back from now, a date or time, or a
 * calendar period (today, week, month, last-month, ...) in the local time zone
 * or UTC; and the period just before a window, for "+12% vs previous 7 days".
 * A bad text is an error naming its bad part ("month 13 is not 1 to 12"). */
#ifndef TG_WINDOW_H
#define TG_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TG_WINDOW_OPEN (-1) /* no bound (the same value as TG_SPEND_OPEN) */

enum tg_period { TG_PERIOD_NONE, TG_PERIOD_DAY, TG_PERIOD_WEEK, TG_PERIOD_MONTH };

struct tg_window {
    int64_t since_ms, until_ms; /* epoch ms, until exclusive; TG_WINDOW_OPEN for none */
    /* set when --since named a calendar period and --until was not given:
     * the previous window is then the previous day, week or month */
    enum tg_period period;
    bool utc; /* periods and zone-less times were taken in UTC, not local time */
};

/* since and until as typed (NULL when not given):
 *   90m 24h 7d 2w 1y   that long before now
 *   now
 *   2026-11-01  2026-11-01T10:00[:00[.123]]  with Z or +02:00 (else the local zone, or UTC with utc)
 *   today yesterday week last-week month last-month   (weeks start on Monday)
 * A period as since starts the window where the period starts and, without
 * until, ends it where the period ends (open when that is still to come); a
 * period as until ends the window where the period starts. Returns 0, or -1
 * with err naming the option and what is wrong with it (a month of 13, a day
 * past the month's end, until not after since). */
int tg_window_parse(const char *since, const char *until, int64_t now_ms, bool utc, struct tg_window *out,
                    char *err, size_t errlen);

/* The window just before w: as long as w (w's end taken as now when open),
 * or for a period, the same stretch of the day, week or month before. label
 * gets what to say after "vs" ("previous 7 days", "the previous month").
 * Returns 0, or -1 when w has no start (all time has nothing before it). */
int tg_window_previous(const struct tg_window *w, int64_t now_ms, struct tg_window *prev, char *label,
                       size_t label_len);

/* "2026-11-10T00:00:00+09:00" in the local zone, or "...Z" with utc (or when
 * the local zone is UTC). */
void tg_window_format_time(int64_t ms, bool utc, char *buf, size_t len);

/* The screens' windows. The names `w` cycles through, for help texts. */
#define TG_WINDOW_NAMES "today, week, month, last-month"

/* [since, until) of a named period (a period word above) at now_ms; until is
 * TG_WINDOW_OPEN while the period runs. Returns 0, or -1 for any other text. */
int tg_window_named(const char *name, int64_t now_ms, bool utc, int64_t *since_ms, int64_t *until_ms);

/* The named period's previous one, to the same point (tg_window_previous). */
int tg_window_named_previous(const char *name, int64_t now_ms, bool utc, int64_t *since_ms, int64_t *until_ms);

/* One time as :since / :until take it (what names the command in an error):
 * a period's start, a duration back, a date or time. 0, or -1 with err. */
int tg_window_parse_time(const char *what, const char *text, int64_t now_ms, bool utc, int64_t *ms, char *err,
                         size_t errlen);

#endif
