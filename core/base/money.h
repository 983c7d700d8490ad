/* Money is kept as integer nano-dollars so sums are exact; floats only at the edges. */
#ifndef TG_MONEY_H
#define TG_MONEY_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t tg_nanos; /* US dollars x 1e9 */

#define TG_NANOS_PER_DOLLAR 1000000000LL

/* Converts a dollar amount read from JSON. Returns -1 when it is not finite or
 * outside +-1e9 dollars, 0 otherwise. */
int tg_nanos_from_dollars(double dollars, tg_nanos *out);

/* "12.345678": dollars with six decimals, rounded half away from zero. */
void tg_nanos_format_plain(tg_nanos v, char *buf, size_t len);

/* "$12,345.68": dollars with thousands separators and cents. */
void tg_nanos_format_human(tg_nanos v, char *buf, size_t len);

#endif
