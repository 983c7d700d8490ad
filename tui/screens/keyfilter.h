/* The Keys screen's hygiene filter (h): all keys, or only those with one
 * finding of ops/keyhygiene (dormant, shared, never used, used after
 * revocation). The findings are computed when the table loads, not when it
 * is drawn; a row asks by its key's row id whether it passes. */
#ifndef TG_SCREENS_KEYFILTER_H
#define TG_SCREENS_KEYFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The findings at now_ms, replacing those held. 0, or -1 with err (then no
 * key has a finding, and the filter shows none). */
int keyfilter_load(struct tg_store *store, int64_t now_ms, char *err, size_t errlen);
void keyfilter_free(void);

/* Whether the key of this row id passes the filter (every key when it is off;
 * a row without a key, -1, only then). */
bool keyfilter_passes(int64_t key_row);

/* h: the next filter (back: the one before); off after the last. */
void keyfilter_cycle(bool back);
bool keyfilter_on(void);

/* "dormant": the filter's short name for the status bar; "" when off. */
const char *keyfilter_name(void);
/* "no dormant keys (no request in 30 days)": what an empty table says. */
void keyfilter_empty_text(char *buf, size_t len);

#endif
