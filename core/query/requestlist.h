/* The Requests screen's list in any of its orders: newest first, or the most
 * expensive, the most tokens, the slowest first. Each order pages by keyset
 * (its value, then the row id) down an index of its own (schema 8), so a page
 * is as quick at 10M requests as at 1,000. Also what an empty list needs to
 * say why it is empty (the threads of a window: threadlist.h). */
#ifndef TG_REQUESTLIST_H
#define TG_REQUESTLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/money.h"
#include "query/browse.h"
#include "query/filter.h"
#include "store/store.h"

/* One list makes the enum and the names. */
#define TG_REQUEST_ORDER_LIST(X)     \
    X(TG_ORDER_TIME, "time")         \
    X(TG_ORDER_COST, "cost")         \
    X(TG_ORDER_TOKENS, "tokens")     \
    X(TG_ORDER_LATENCY, "latency")

#define TG_REQUEST_ORDER_ENUM(id, name) id,
enum tg_request_order { TG_REQUEST_ORDER_LIST(TG_REQUEST_ORDER_ENUM) TG_ORDER_COUNT };
#undef TG_REQUEST_ORDER_ENUM

const char *tg_request_order_name(enum tg_request_order order);

/* The value a row is sorted by in this order (its time, cost, tokens or
 * latency): with its row id, the keyset a page continues from. */
int64_t tg_request_order_value(enum tg_request_order order, const struct tg_request_row *row);

/* A list in one order over [since, until) with a filter (NULL for none). */
struct tg_request_list {
    struct tg_store *store;
    enum tg_request_order order;
    int64_t since_ms, until_ms;
    const struct tg_request_filter *filter;
    /* set by tg_request_list_plan: walk the window's time index and sort
     * (a small window), or walk the order's index and filter (a big one) */
    bool by_window;
};

/* Decides how the list reads its pages, from the rollups' count of the
 * window's requests. Call once when the order, window or filter changes. */
void tg_request_list_plan(struct tg_request_list *list);

/* For a list with a text search: the oldest request found (the one that
 * brought the text first), 0 when none or not known. */
int64_t tg_request_list_first_found(const struct tg_request_list *list);

/* Up to `limit` rows after (value, id) in the list's order, or before it when
 * `newer` (then the nearest first). INT64_MAX, INT64_MAX for the first page.
 * Returns how many, or -1 with err. */
int tg_request_list_page(const struct tg_request_list *list, bool newer, int64_t value, int64_t row_id,
                         struct tg_request_row *rows, int limit, char *err, size_t errlen);

/* For an empty list: which part of the filter (or the window) emptied it, in
 * words, e.g. "no developer matches 'nobody'" or "no request has cost>0.5
 * (the rest of the filter matches 1,204 in this window)". */
void tg_request_list_why_empty(const struct tg_request_list *list, char *buf, size_t len);

#endif
