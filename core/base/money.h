/* Money is kept as integer nano-dollars so sums are exact; floats only at the
 * edges. Every sum of money goes through the checked adds here: a sum that
 * would pass what an int64 holds is refused, never wrapped. */
#ifndef TG_MONEY_H
#define TG_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t tg_nanos; /* US dollars x 1e9 */

#define TG_NANOS_PER_DOLLAR 1000000000LL

/* The most one request may cost: a log's own cost above it is rejected, and an
 * estimate above it is capped to it. */
#define TG_MAX_REQUEST_DOLLARS 100000LL
#define TG_MAX_REQUEST_NANOS (TG_MAX_REQUEST_DOLLARS * TG_NANOS_PER_DOLLAR)

/* The largest sum tollgate can hold: $9,223,372,036.85. */
#define TG_NANOS_MAX INT64_MAX

/* Converts a dollar amount read from JSON. Returns -1 when it is not finite or
 * outside +-1e9 dollars, 0 otherwise. */
int tg_nanos_from_dollars(double dollars, tg_nanos *out);

/* *sum += v. Returns true, or false and leaves *sum as it was when the result
 * would not fit in an int64 (for money and for the counts beside it). */
bool tg_add_checked(int64_t *sum, int64_t v);

/* a * b into *out: true, or false (and *out untouched) when it would not fit. */
bool tg_mul_checked(int64_t a, int64_t b, int64_t *out);

/* The message for a sum of money that does not fit, naming what was summed:
 * "<what> would pass $9,223,372,036.85, the most tollgate can count". */
void tg_money_overflow_message(const char *what, char *err, size_t errlen);

/* "12.345678": dollars with six decimals, rounded half away from zero. */
void tg_nanos_format_plain(tg_nanos v, char *buf, size_t len);

/* "$12,345.68": dollars with thousands separators and cents. */
void tg_nanos_format_human(tg_nanos v, char *buf, size_t len);

#endif
