/* One request as the screens show it: its row (the request list pages these:
 * requestlist.h), its raw log, its thread, and its detail as a document (see
 * requestdoc.h), every string from the log sanitised. */
#ifndef TG_BROWSE_H
#define TG_BROWSE_H

#include <stddef.h>
#include <stdint.h>

#include "query/filter.h"
#include "base/money.h"
#include "store/store.h"

struct tg_request_row {
    int64_t row_id, ts_ms;
    char log_id[128];
    char developer[64], key[64], model[64]; /* sanitised, cut to fit */
    int64_t prompt_tokens, completion_tokens, latency_ms;
    tg_nanos cost;
    int cost_kind;
    int status_code;
    int is_error;
};

/* The raw log of a request, as stored (for export); malloc'd. */
int tg_browse_raw(struct tg_store *store, int64_t row_id, char **raw, size_t *len, char **log_id, char *err,
                  size_t errlen);

/* The thread a request belongs to, or an empty string. */
void tg_browse_thread(struct tg_store *store, int64_t row_id, char *buf, size_t len);

/* Changes whenever another connection commits (PRAGMA data_version): a cheap
 * "is there anything new" for screens that refresh live. -1 on error. */
int64_t tg_browse_data_version(struct tg_store *store);

/* The newest log's time, or -1 when the db is empty. */
int64_t tg_browse_newest_ms(struct tg_store *store);

struct tg_doc;
struct tg_pricing;

/* The request with this row id as a document (requestdoc.h): its fields, its
 * cost split with the price (from `pricing` when the gateway gave none; may be
 * NULL), the prompt and the response, each message marked when the previous
 * request of its thread (or developer) sent it too. A request whose body was
 * pruned shows what its row keeps. *focus: the section to start at. */
int tg_browse_document(struct tg_store *store, int64_t row_id, const struct tg_pricing *pricing, struct tg_doc **out,
                       size_t *focus, char *err, size_t errlen);

#endif
