/* Private to core/store (see store_int.h): the exact time each developer,
 * key and model was last seen in a log. A batch keeps the newest time per
 * dimension row in memory and writes it into the row's last_seen_ms when it
 * commits, in the same transaction as the requests, so "is this key still
 * used?" is answered to the millisecond without reading raw requests (the
 * rollups only know the hour). */
#ifndef TG_STORE_LASTSEEN_H
#define TG_STORE_LASTSEEN_H

#include <stddef.h>
#include <stdint.h>

#include "store/store_int.h"

int store_last_seen_init(struct tg_store *store);
void store_last_seen_free(struct tg_store *store);

/* Notes the dimensions of one stored log (ids of 0 are skipped). */
int store_last_seen_add(struct tg_store *store, const struct rollup_key *k, int64_t ts_ms, char *err,
                        size_t errlen);
/* In the batch about to commit: the newest times into their rows (never
 * moving one back). */
int store_last_seen_flush(struct tg_store *store, char *err, size_t errlen);
/* The batch ended (committed or not). */
void store_last_seen_forget(struct tg_store *store);

#endif
