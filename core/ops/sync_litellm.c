#include "ops/sync_litellm.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/timeutil.h"

#define DEFAULT_HISTORY_MS (30 * TG_DAY_MS)

static bool cancelled(const struct tg_sync_options *o)
{
    return o->cancel && atomic_load(o->cancel);
}

static int64_t start_of_run(struct tg_store *store, const struct tg_sync_options *o)
{
    if (o->since_ms > 0)
        return o->since_ms;
    char position[64];
    int64_t ms;
    if (tg_store_sync_position(store, o->source, position, sizeof position) == 1 &&
        tg_time_parse_iso(position, &ms) == 0)
        return ms - o->overlap_ms;
    return tg_now_ms() - DEFAULT_HISTORY_MS;
}

static const char *row_id(const cJSON *row)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(row, "request_id");
    if (!cJSON_IsString(id))
        id = cJSON_GetObjectItemCaseSensitive(row, "id");
    return cJSON_IsString(id) ? id->valuestring : "?";
}

/* What a page holds, to tell a page the proxy answers again (a proxy that
 * ignores `page` would otherwise be paged for ever). */
static uint64_t fingerprint(const cJSON *rows)
{
    uint64_t h = 1469598103934665603ULL;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        for (const char *p = row_id(row); *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL;
    }
    return h;
}

/* Stores one page and the position reached in one transaction. The position
 * never passes `end`, the run's own end. */
static int store_page(struct tg_store *store, const struct tg_pricing *pricing,
                      const struct tg_litellm_sync_options *lo, const cJSON *rows, int64_t end,
                      int64_t *position_ms, struct tg_sync_stats *stats, struct tg_gateway_error *gerr)
{
    const struct tg_sync_options *o = &lo->sync;
    char *err = gerr->message;
    size_t errlen = sizeof gerr->message;
    if (tg_store_begin(store, err, errlen) != 0)
        return -1;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        struct tg_log log;
        struct tg_log_error error;
        struct tg_log_parse_options popt = {.redact = o->redact};
        stats->received++;
        if (tg_litellm_parse_object(row, lo->developer, &popt, &log, &error) != 0) {
            stats->rejected++;
            if (o->on_reject)
                o->on_reject(o->ctx, row_id(row), &error);
            continue;
        }
        tg_pricing_price_log(pricing, &log);
        bool inserted;
        int rc = tg_store_add(store, &log, &inserted, err, errlen);
        int64_t ts = log.ts_ms < end ? log.ts_ms : end;
        if (ts > *position_ms)
            *position_ms = ts;
        tg_log_free(&log);
        if (rc != 0) {
            tg_store_rollback(store);
            return -1;
        }
        if (inserted)
            stats->stored++;
        else
            stats->duplicates++;
    }
    tg_time_format_iso(*position_ms, stats->position, sizeof stats->position);
    if (tg_store_set_sync_position(store, o->source, stats->position, err, errlen) != 0 ||
        tg_store_commit(store, err, errlen) != 0) {
        tg_store_rollback(store);
        return -1;
    }
    return 0;
}

/* The page's fingerprint was seen before in this run: -1 with gerr. */
static int check_new_page(uint64_t *seen, int pages, uint64_t print, int page, struct tg_gateway_error *gerr)
{
    for (int i = 0; i < pages; i++) {
        if (seen[i] == print) {
            snprintf(gerr->message, sizeof gerr->message,
                     "the proxy answered page %d with the logs of page %d again: stopping (is it ignoring `page`?)",
                     page, i + 1);
            return -1;
        }
    }
    seen[pages] = print;
    return 0;
}

int tg_sync_litellm_run(struct tg_store *store, const struct tg_pricing *pricing, struct tg_gateway *gateway,
                        const struct tg_litellm_sync_options *lo, struct tg_sync_stats *stats,
                        struct tg_gateway_error *gerr)
{
    const struct tg_sync_options *o = &lo->sync;
    memset(gerr, 0, sizeof *gerr);
    long max_pages = o->max_pages > 0 ? o->max_pages : TG_SYNC_MAX_PAGES;
    int64_t start = start_of_run(store, o);
    int64_t end = tg_now_ms(); /* fixed for the run, so pages do not shift under us */
    int64_t position = start;
    char start_iso[40], end_iso[40], known[64];
    tg_time_format_iso(start, start_iso, sizeof start_iso);
    tg_time_format_iso(end, end_iso, sizeof end_iso);
    int64_t known_ms;
    if (tg_store_sync_position(store, o->source, known, sizeof known) == 1) {
        snprintf(stats->position, sizeof stats->position, "%s", known);
        /* the overlap re-reads old logs: the position never moves back for them */
        if (tg_time_parse_iso(known, &known_ms) == 0 && known_ms > position)
            position = known_ms < end ? known_ms : end;
    }
    uint64_t *seen = NULL; /* each page's fingerprint, grown as pages come */
    size_t seen_cap = 0;
    int rc = 0;
    for (int page = 1; rc == 0; page++) {
        if (cancelled(o))
            break;
        if (page > max_pages) {
            snprintf(gerr->message, sizeof gerr->message,
                     "stopped after %ld pages, the most one sync reads (--max-pages): the proxy keeps saying more "
                     "follow; run sync again to go on from the position reached", max_pages);
            rc = -1;
            break;
        }
        if ((size_t)page > seen_cap) {
            size_t cap = seen_cap ? seen_cap * 2 : 64;
            uint64_t *more = realloc(seen, cap * sizeof *seen);
            if (!more) {
                snprintf(gerr->message, sizeof gerr->message, "out of memory");
                rc = -1;
                break;
            }
            seen = more;
            seen_cap = cap;
        }
        struct tg_log_page result;
        if (gateway->ops->list_logs(gateway, start_iso, end_iso, page, o->page_size, &result, gerr) != 0) {
            rc = -1;
            break;
        }
        int n = cJSON_GetArraySize(result.logs);
        if (n > 0 && check_new_page(seen, page - 1, fingerprint(result.logs), page, gerr) != 0)
            rc = -1;
        if (rc == 0)
            rc = store_page(store, pricing, lo, result.logs, end, &position, stats, gerr);
        cJSON_Delete(result.logs);
        if (rc != 0)
            break;
        stats->pages++;
        if (o->on_page)
            o->on_page(o->ctx, stats);
        if (!result.more || n == 0)
            break;
    }
    free(seen);
    return rc;
}

void tg_sync_litellm_source(const struct tg_gateway *gateway, char *out, size_t len)
{
    snprintf(out, len, "litellm %s", gateway->config.base_url);
}

/* Waits in small steps so a cancel cuts it short; false when cancelled. */
static bool sleep_unless_cancelled(const struct tg_sync_options *o, long seconds)
{
    for (long i = 0; i < seconds * 10 && !cancelled(o); i++)
        usleep(100000);
    return !cancelled(o);
}

int tg_sync_litellm_follow(struct tg_store *store, const struct tg_pricing *pricing, struct tg_gateway *gateway,
                           const struct tg_litellm_sync_options *options, long every_s, tg_sync_round_fn on_round,
                           void *ctx, struct tg_sync_stats *total)
{
    struct tg_litellm_sync_options lo = *options;
    bool failed = false;
    for (;;) {
        struct tg_sync_stats round = {0};
        struct tg_gateway_error gerr;
        int rc = tg_sync_litellm_run(store, pricing, gateway, &lo, &round, &gerr);
        total->pages += round.pages;
        total->received += round.received;
        total->stored += round.stored;
        total->duplicates += round.duplicates;
        total->rejected += round.rejected;
        snprintf(total->position, sizeof total->position, "%s", round.position);
        failed = rc != 0 && !cancelled(&lo.sync);
        if (on_round)
            on_round(ctx, &round, failed ? &gerr : NULL);
        if (failed && (!every_s || gerr.refused))
            break;
        lo.sync.since_ms = 0; /* later rounds continue from the stored position */
        if (!every_s || !sleep_unless_cancelled(&lo.sync, every_s))
            break;
    }
    return failed ? -1 : 0;
}
