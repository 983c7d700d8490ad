/* Time as int64 epoch milliseconds, UTC. One clock for the whole program so
 * tests can pin "now" with TOLLGATE_NOW. */
#ifndef TG_TIMEUTIL_H
#define TG_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* The rollups' units. SQL text spells them out (3600000, 86400000): a
 * statement is one constant string. */
#define TG_HOUR_MS 3600000LL
#define TG_DAY_MS 86400000LL

/* Milliseconds since the epoch; TOLLGATE_NOW (ISO 8601 or epoch seconds) pins it. */
int64_t tg_now_ms(void);

/* Microseconds on the monotonic clock: for measuring how long something took
 * (never affected by TOLLGATE_NOW or the wall clock being set). */
int64_t tg_monotonic_us(void);

/* ISO 8601: "2026-11-01", "2026-11-01T10:00", "2026-11-01T10:00:00", a space
 * instead of T, an optional fraction (any digits), and "Z", "+02:00", "+0200"
 * or no zone (UTC). Returns 0, or -1 when the text is not such a time. */
int tg_time_parse_iso(const char *text, int64_t *ms);

/* A --since / --until argument: a duration back from now ("90m", "24h", "7d",
 * "2w", "1y" = 365 days), "now", or an ISO 8601 time as above. Returns 0 or -1. */
int tg_time_parse_arg(const char *text, int64_t now_ms, int64_t *ms);

/* "2026-11-01T10:00:00.123Z"; milliseconds only when non-zero. */
void tg_time_format_iso(int64_t ms, char *buf, size_t len);

/* Plausible log times: 2000-01-01 to 2100-01-01. */
int tg_time_is_plausible(int64_t ms);

#endif
