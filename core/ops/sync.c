#include "ops/sync.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/hashmap.h"
#include "base/timeutil.h"

#define DEFAULT_HISTORY_MS (30 * TG_DAY_MS)

/* One run: what the pages share. */
struct run {
    struct tg_store *store;
    const struct tg_pricing *pricing;
    const struct tg_sync_options *o;
    int64_t end_ms;           /* when the run began: the position never passes it */
    int64_t position_ms;      /* the newest log time stored so far, within end_ms */
    struct hashmap *pages;    /* a page's fingerprint -> its page number */
    struct hashmap *links;    /* a page's "next" link hash -> its page number */
    struct tg_sync_stats *stats;
    struct tg_gateway_error *gerr;
};

/* The stored position, -1 when there is none. */
static int64_t stored_position(struct run *r, char *text, size_t len)
{
    int64_t ms;
    if (tg_store_sync_position(r->store, r->o->source, text, len) != 1 || tg_time_parse_iso(text, &ms) != 0)
        return -1;
    return ms;
}

/* A stored position later than the run's end was moved there by a log from
 * the future (before tollgate kept the position within the run): from there
 * every sync would ask for nothing. Where the sync really got to is not
 * known, so the run starts as a first one does, and says so. */
static int64_t start_of_run(struct run *r)
{
    if (r->o->since_ms > 0)
        return r->o->since_ms;
    char position[64];
    int64_t ms = stored_position(r, position, sizeof position);
    if (ms > r->end_ms) {
        snprintf(r->stats->discarded, sizeof r->stats->discarded, "%s", position);
        return r->end_ms - DEFAULT_HISTORY_MS;
    }
    if (ms >= 0)
        return ms - r->o->overlap_ms;
    return r->end_ms - DEFAULT_HISTORY_MS;
}

/* FNV-1a over text, continuing from h. */
static uint64_t fnv(uint64_t h, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (h ^ '\n') * 1099511628211ULL;
}

/* Where a stored log moves the run: a log from the future is counted, and the
 * position never passes the run's end. */
static void note_time(struct run *r, int64_t ts_ms)
{
    if (ts_ms > r->end_ms + TG_SYNC_FUTURE_MS) {
        r->stats->future++;
        if (ts_ms > r->stats->furthest_ms)
            r->stats->furthest_ms = ts_ms;
    }
    int64_t at = ts_ms > r->end_ms ? r->end_ms : ts_ms;
    if (at > r->position_ms)
        r->position_ms = at;
}

/* Stores one page and the new position in one transaction. *fingerprint
 * tells pages apart by the ids of their logs (0 for a page with none). */
static int store_page(struct run *r, const cJSON *logs, uint64_t *fingerprint)
{
    const struct tg_sync_options *o = r->o;
    struct tg_sync_stats *stats = r->stats;
    char *err = r->gerr->message;
    size_t errlen = sizeof r->gerr->message;
    *fingerprint = 0;
    if (tg_store_begin(r->store, err, errlen) != 0)
        return -1;
    uint64_t h = 14695981039346656037ULL;
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
        tg_pricing_price_log(r->pricing, &log);
        bool inserted;
        int rc = tg_store_add(r->store, &log, &inserted, err, errlen);
        note_time(r, log.ts_ms);
        h = fnv(h, log.log_id);
        *fingerprint = h ? h : 1;
        tg_log_free(&log);
        if (rc != 0) {
            tg_store_rollback(r->store);
            return -1;
        }
        if (inserted)
            stats->stored++;
        else
            stats->duplicates++;
    }
    tg_time_format_iso(r->position_ms, stats->position, sizeof stats->position);
    if (tg_store_set_sync_position(r->store, o->source, stats->position, err, errlen) != 0 ||
        tg_store_commit(r->store, err, errlen) != 0) {
        tg_store_rollback(r->store);
        return -1;
    }
    return 0;
}

/* -1 with the message when key (a page fingerprint or a link hash) was seen
 * on an earlier page of the run; else remembers it for this page. */
static int seen_before(struct run *r, struct hashmap *seen, uint64_t key, int page, const char *what)
{
    if (!key)
        return 0;
    void *earlier = hashmap_get(seen, &key, sizeof key);
    if (earlier) {
        snprintf(r->gerr->message, sizeof r->gerr->message,
                 "the gateway pages in a loop: page %d %s page %d; stopped (%ld page%s stored, the next sync"
                 " continues from %s)",
                 page, what, (int)(intptr_t)earlier, r->stats->pages, r->stats->pages == 1 ? "" : "s",
                 r->stats->position);
        return -1;
    }
    if (hashmap_put(seen, &key, sizeof key, (void *)(intptr_t)page) != 0) {
        snprintf(r->gerr->message, sizeof r->gerr->message, "out of memory");
        return -1;
    }
    return 0;
}

/* Before asking for the page after `page`: whether the gateway is going round
 * in circles, or past the pages one run may take. */
static int may_go_on(struct run *r, int page, uint64_t fingerprint, uint64_t next_hash)
{
    if (seen_before(r, r->pages, fingerprint, page, "has the same logs as") != 0 ||
        seen_before(r, r->links, next_hash, page, "gives the same next link as") != 0)
        return -1;
    long max_pages = r->o->max_pages > 0 ? r->o->max_pages : TG_SYNC_MAX_PAGES;
    if (page >= max_pages) {
        snprintf(r->gerr->message, sizeof r->gerr->message,
                 "stopped after %d pages (%ld logs) in one run while the gateway still says there are more: run"
                 " sync again to continue from %s (or raise --max-pages)",
                 page, r->stats->received, r->stats->position);
        return -1;
    }
    return 0;
}

static int run_pages(struct run *r, struct tg_gateway *gateway, const char *start_iso, const char *end_iso)
{
    for (int page = 1;; page++) {
        if (r->o->cancel && atomic_load(r->o->cancel))
            return 0;
        struct tg_log_page result;
        if (gateway->ops->list_logs(gateway, start_iso, end_iso, page, r->o->page_size, &result, r->gerr) != 0)
            return -1;
        uint64_t fingerprint;
        int rc = store_page(r, result.logs, &fingerprint);
        int more = result.more && cJSON_GetArraySize(result.logs) > 0;
        cJSON_Delete(result.logs);
        if (rc != 0)
            return -1;
        r->stats->pages++;
        if (r->o->on_page)
            r->o->on_page(r->o->ctx, r->stats);
        if (!more)
            return 0;
        if (may_go_on(r, page, fingerprint, result.next_hash) != 0)
            return -1;
    }
}

int tg_sync_run(struct tg_store *store, const struct tg_pricing *pricing, struct tg_gateway *gateway,
                const struct tg_sync_options *o, struct tg_sync_stats *stats, struct tg_gateway_error *gerr)
{
    memset(gerr, 0, sizeof *gerr);
    struct run r = {store, pricing, o, tg_now_ms(), 0, hashmap_new(), hashmap_new(), stats, gerr};
    if (!r.pages || !r.links) {
        hashmap_free(r.pages, NULL);
        hashmap_free(r.links, NULL);
        snprintf(gerr->message, sizeof gerr->message, "out of memory");
        return -1;
    }
    int64_t start = start_of_run(&r);
    r.position_ms = start;
    char start_iso[40], end_iso[40]; /* the end is fixed for the run, so pages do not shift under us */
    tg_time_format_iso(start, start_iso, sizeof start_iso);
    tg_time_format_iso(r.end_ms, end_iso, sizeof end_iso);
    char known[64];
    int64_t known_ms = stored_position(&r, known, sizeof known);
    if (known_ms >= 0 && known_ms <= r.end_ms) {
        tg_time_format_iso(known_ms, stats->position, sizeof stats->position);
        /* the overlap re-reads old logs: the position never moves back for them */
        if (known_ms > r.position_ms)
            r.position_ms = known_ms;
    }
    int rc = run_pages(&r, gateway, start_iso, end_iso);
    hashmap_free(r.pages, NULL);
    hashmap_free(r.links, NULL);
    return rc;
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
    total->future += round->future;
    if (round->furthest_ms > total->furthest_ms)
        total->furthest_ms = round->furthest_ms;
    snprintf(total->position, sizeof total->position, "%s", round->position);
    if (round->discarded[0])
        snprintf(total->discarded, sizeof total->discarded, "%s", round->discarded);
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
