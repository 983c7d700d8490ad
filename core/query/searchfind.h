/* Finding text with the search index (search.h): the requests whose bodies
 * hold it, every one of them (a text resent on every turn is indexed once,
 * found in all), each checked against the rebuilt text, so a request that
 * does not hold the text is never listed; and the first request that held it. */
#ifndef TG_SEARCHFIND_H
#define TG_SEARCHFIND_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* How the requests found are given to SQL on the store's connection. */
enum tg_search_mode {
    TG_SEARCH_NONE,   /* nothing found */
    TG_SEARCH_LISTED, /* temp.tg_search_hits(id) lists them all (few enough to sort a page from) */
    TG_SEARCH_CHECKED /* too many to list: SQL function tg_search_has(id) answers request by request */
};

/* A text search ready on this connection: found again only when the text or
 * the index changed since the last call. Requests without a body (pruned)
 * may be among them: join request_bodies. */
struct tg_search_use {
    enum tg_search_mode mode;
    int64_t first; /* the oldest request found with a body; 0 when unknown or none */
    int64_t found; /* how many (-1 when not counted: CHECKED by chunk) */
};
int tg_search_use(struct tg_store *store, const char *text, struct tg_search_use *use, char *err, size_t errlen);

/* For the command line: up to `limit` ids of requests with a body that hold
 * the text, newest first, and the first one. Returns how many, or -1 with err. */
long tg_search_newest(struct tg_store *store, const char *text, int64_t *ids, long limit, int64_t *first, char *err,
                      size_t errlen);

#endif
