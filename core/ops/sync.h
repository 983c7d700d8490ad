/* `sync`: pull logs from a gateway's log-list API page by page into the store.
 * Each page and the position it reached commit in one transaction, so a sync
 * cut off anywhere resumes where it stopped, and logs already stored (pushed
 * to the collector, imported, or fetched before) count as duplicates. */
#ifndef TG_SYNC_H
#define TG_SYNC_H

#include <stdbool.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/gateway.h"
#include "log/logmodel.h"
#include "log/pricing.h"
#include "store/store.h"

struct tg_sync_stats {
    long pages, received, stored, duplicates, rejected;
    char position[64]; /* ISO time the next sync starts from (less the overlap) */
    /* logs dated more than TG_SYNC_FUTURE_MS after the run began: stored as
     * sent, but they never move the position (which stays at the run's end) */
    long future;
    int64_t furthest_ms; /* the latest of their times; 0 when none */
    /* a stored position later than the run's end (left by a log from the
     * future), which the run set aside to start 30 days back; "" when none */
    char discarded[64];
};

struct tg_sync_options {
    const char *source;     /* names the position in the db, e.g. "respan https://api.respan.ai/api/" */
    int64_t since_ms;       /* 0: from the stored position, else 30 days back */
    int page_size;          /* at most 50 on Respan */
    int64_t overlap_ms;     /* re-read this much before the position: late logs are not missed */
    atomic_int *cancel;     /* set by a signal: stop after the page in hand */
    void (*on_page)(void *ctx, const struct tg_sync_stats *stats);
    void (*on_reject)(void *ctx, const char *log_id, const struct tg_log_error *error);
    void *ctx;
    bool redact;            /* mask secrets in the logs before storing (redact.h) */
    long max_pages;         /* pages one run may take; 0: TG_SYNC_MAX_PAGES */
};

/* A run stops with an error past this many pages (a million logs at 50 a
 * page), so a gateway that always says there is more cannot keep it going;
 * the next run continues from the position reached. */
#define TG_SYNC_MAX_PAGES 20000

/* A log dated this far past the run's start is from the future (a clock gone
 * wrong, or a typo): counted in the stats, and never the position. */
#define TG_SYNC_FUTURE_MS (5 * 60000)

/* Runs until the gateway has no more pages (or cancel). Returns 0, or -1 with
 * gerr saying what the gateway or the store did; pages committed before a
 * failure stay, and the next run continues after them. It also fails past
 * max_pages, and when a page repeats an earlier page of the run or its
 * "next" link repeats an earlier one (a gateway paging in a loop). The
 * position saved never passes the run's end (the time it began). */
int tg_sync_run(struct tg_store *store, const struct tg_pricing *pricing, struct tg_gateway *gateway,
                const struct tg_sync_options *options, struct tg_sync_stats *stats, struct tg_gateway_error *gerr);

/* How far a sync re-reads before its stored position by default: the gateway
 * records some logs late, and they must not be missed. */
#define TG_SYNC_OVERLAP_MS (10 * 60000)

/* The name of a gateway's position in the db: "respan BASE_URL". */
void tg_sync_source(const struct tg_gateway *gateway, char *out, size_t len);

/* Called after each round with its stats; gerr is NULL unless the round
 * failed (a round cut short by cancel did not fail). */
typedef void (*tg_sync_round_fn)(void *ctx, const struct tg_sync_stats *round, const struct tg_gateway_error *gerr);

/* Syncs once, or with every_s > 0 again every every_s seconds until
 * options->cancel is set. Each round's stats are added into total (the
 * position is the last round's). The first round starts at options->since_ms,
 * later ones from the stored position. A failed round ends it unless
 * following, and following ends too when the gateway refused the key.
 * Returns 0, or -1 when the last round failed. */
int tg_sync_follow(struct tg_store *store, const struct tg_pricing *pricing, struct tg_gateway *gateway,
                   const struct tg_sync_options *options, long every_s, tg_sync_round_fn on_round, void *ctx,
                   struct tg_sync_stats *total);

#endif
