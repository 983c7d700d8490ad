/* Spend over time in buckets finer than the hourly rollups (minutes), read
 * from raw requests: for windows of a few hours, where an hourly chart would
 * have two or three bars. */
#ifndef TG_TIMELINE_H
#define TG_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "query/spend.h"
#include "store/store.h"

/* Requests, errors and cost per bucket of bucket_ms in [since, until), oldest
 * first; each row's group_id is its start / bucket_ms and its name is NULL.
 * Free with tg_spend_report_free. 0, or -1 with err. */
int tg_timeline_raw(struct tg_store *store, int64_t since_ms, int64_t until_ms, int64_t bucket_ms,
                    struct tg_spend_report *out, char *err, size_t errlen);

#endif
