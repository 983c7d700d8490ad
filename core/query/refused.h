/* Requests the gateway refused (401 / 403) on a key later than the key's
 * revocation: a leaver's agent retrying. They are not the team's failures,
 * so the spend report takes them out of its requests and errors (and so out
 * of every error rate) and counts them apart as "refused: revoked key". */
#ifndef TG_REFUSED_H
#define TG_REFUSED_H

#include <stddef.h>

#include "query/spend.h"
#include "store/store.h"

/* Adjusts a finished report (rows and total) for the same grouping and
 * filter. Raw requests only: refused ones already pruned stay counted as
 * errors. 0, or -1 with err. */
int tg_spend_take_out_refused(struct tg_store *store, enum tg_spend_by by, const struct tg_spend_filter *filter,
                              struct tg_spend_report *report, char *err, size_t errlen);

#endif
