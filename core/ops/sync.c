#include "ops/sync.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/timeutil.h"

#define DEFAULT_HISTORY_MS (30 * TG_DAY_MS)

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

/* Stores one page and the new position in one transaction. */
static int store_page(struct tg_store *store, const struct tg_pricing *pricing, const struct tg_sync_options *o,
                      const cJSON *logs, int64_t *position_ms, struct tg_sync_stats *stats,
                      struct tg_gateway_error *gerr)
{
    char *err = gerr->message;
    size_t errlen = sizeof gerr->message;
    if (tg_store_begin(store, err, errlen) != 0)
        return -1;
    const cJSON *item;
    cJSON_ArrayForEach(item, logs) {
        struct tg_log log;
        struct tg_log_error error;
        struct tg_log_parse_options popt = {.redact = o->redact};
        stats->received++;
        if (tg_log_parse_object(item, NULL, 0, &popt, &log, &error) != 0) {
            stats->rejected++;
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "unique_id");
            if (o->on_reject)
                o->on_reject(o->ctx, cJSON_IsString(id) ? id->valuestring : "?", &error);
            continue;
        }
        tg_pricing_price_log(pricing, &log);
        bool inserted;
        int rc = tg_store_add(store, &log, &inserted, err, errlen);
        if (log.ts_ms > *position_ms)
            *position_ms = log.ts_ms;
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

int tg_sync_run(struct tg_store *store, const struct tg_pricing *pricing, struct tg_gateway *gateway,
                const struct tg_sync_options *o, struct tg_sync_stats *stats, struct tg_gateway_error *gerr)
{
    memset(gerr, 0, sizeof *gerr);
    int64_t start = start_of_run(store, o);
    int64_t end = tg_now_ms(); /* fixed for the run, so pages do not shift under us */
    int64_t position = start;
    char start_iso[40], end_iso[40];
    tg_time_format_iso(start, start_iso, sizeof start_iso);
    tg_time_format_iso(end, end_iso, sizeof end_iso);
    char known[64];
    int64_t known_ms;
    if (tg_store_sync_position(store, o->source, known, sizeof known) == 1) {
        snprintf(stats->position, sizeof stats->position, "%s", known);
        /* the overlap re-reads old logs: the position never moves back for them */
        if (tg_time_parse_iso(known, &known_ms) == 0 && known_ms > position)
            position = known_ms;
    }
    for (int page = 1;; page++) {
        if (o->cancel && atomic_load(o->cancel))
            return 0;
        struct tg_log_page result;
        if (gateway->ops->list_logs(gateway, start_iso, end_iso, page, o->page_size, &result, gerr) != 0)
            return -1;
        int rc = store_page(store, pricing, o, result.logs, &position, stats, gerr);
        int more = result.more && cJSON_GetArraySize(result.logs) > 0;
        cJSON_Delete(result.logs);
        if (rc != 0)
            return -1;
        stats->pages++;
        if (o->on_page)
            o->on_page(o->ctx, stats);
        if (!more)
            return 0;
    }
}

void tg_sync_source(const struct tg_gateway *gateway, char *out, size_t len)
{
    snprintf(out, len, "respan %s", gateway->config.base_url);
}

static bool cancelled(const struct tg_sync_options *o)
{
    return o->cancel && atomic_load(o->cancel);
}

/* Waits in small steps so a cancel cuts it short; false when cancelled. */
static bool sleep_unless_cancelled(const struct tg_sync_options *o, long seconds)
{
    for (long i = 0; i < seconds * 10 && !cancelled(o); i++)
        usleep(100000);
    return !cancelled(o);
}

static void add_stats(struct tg_sync_stats *total, const struct tg_sync_stats *round)
{
    total->pages += round->pages;
    total->received += round->received;
    total->stored += round->stored;
    total->duplicates += round->duplicates;
    total->rejected += round->rejected;
    snprintf(total->position, sizeof total->position, "%s", round->position);
}

int tg_sync_follow(struct tg_store *store, const struct tg_pricing *pricing, struct tg_gateway *gateway,
                   const struct tg_sync_options *options, long every_s, tg_sync_round_fn on_round, void *ctx,
                   struct tg_sync_stats *total)
{
    struct tg_sync_options o = *options;
    bool failed = false;
    for (;;) {
        struct tg_sync_stats round = {0};
        struct tg_gateway_error gerr;
        int rc = tg_sync_run(store, pricing, gateway, &o, &round, &gerr);
        add_stats(total, &round);
        failed = rc != 0 && !cancelled(&o);
        if (on_round)
            on_round(ctx, &round, failed ? &gerr : NULL);
        if (failed && (!every_s || gerr.refused))
            break;
        o.since_ms = 0; /* later rounds continue from the stored position */
        if (!every_s || !sleep_unless_cancelled(&o, every_s))
            break;
    }
    return failed ? -1 : 0;
}
