#include "ops/sync.h"

#include <stdio.h>
#include <string.h>

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
