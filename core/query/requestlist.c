#include "query/requestlist.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/format.h"
#include "base/sanitize.h"
#include "query/searchfind.h"

/* Below this many requests in the window (by the daily rollups), a page
 * walks the window by time and sorts it; above, it walks the order's index
 * and keeps the rows inside the window. */
#define SORT_IN_MEMORY_MAX 50000

#define AS_NAME(id, name) name,
static const char *const order_names[TG_ORDER_COUNT] = {TG_REQUEST_ORDER_LIST(AS_NAME)};
#undef AS_NAME

const char *tg_request_order_name(enum tg_request_order order)
{
    return order_names[order];
}

int64_t tg_request_order_value(enum tg_request_order order, const struct tg_request_row *row)
{
    switch (order) {
    case TG_ORDER_COST: return row->cost;
    case TG_ORDER_TOKENS: return row->prompt_tokens + row->completion_tokens;
    case TG_ORDER_LATENCY: return row->latency_ms; /* -1 when unknown, as the index has it */
    case TG_ORDER_TIME:
    case TG_ORDER_COUNT: break;
    }
    return row->ts_ms;
}

#define SELECT_ROWS                                                                                           \
    "SELECT r.id, r.ts_ms, tg_id_text(r.log_id), coalesce(d.ident, '-'), coalesce(k.name, k.key_id, '-'),"    \
    " coalesce(m.name, '-'), r.prompt_tokens, r.completion_tokens, r.cost_nanos, r.cost_kind,"                \
    " coalesce(r.latency_ms, -1), r.status_code, r.is_error"                                                  \
    " FROM requests r LEFT JOIN developers d ON d.id = r.developer_id"                                        \
    " LEFT JOIN keys k ON k.id = r.key_id LEFT JOIN models m ON m.id = r.model_id WHERE "
#define FILTERS                                                                                               \
    " (?6 IS NULL OR r.developer_id = (SELECT id FROM developers WHERE ident = ?6))"                          \
    " AND (?7 IS NULL OR r.key_id IN (SELECT id FROM keys WHERE name = ?7 OR key_id = ?7 OR ident = ?7))"      \
    " AND (?8 IS NULL OR instr(lower(m.name), lower(?8)) > 0)" /* not LIKE: % and _ are plain text here */    \
    " AND (?9 IS NULL OR (?9 = 0 AND r.is_error) OR (?9 = 1 AND NOT r.is_error) OR r.status_code = ?9)"        \
    " AND (?10 IS NULL OR r.cost_nanos > ?10) AND (?11 IS NULL OR r.cost_nanos < ?11)"                          \
    " AND (?12 IS NULL OR r.thread_id IN (?12, tg_id_pack(?12))) AND "
/* A text search (searchfind.h): the requests found, listed in a temp table
 * a page is sorted from, or asked of tg_search_has row by row as the page
 * walks its index; either way only those with a body still. */
/* its row's chunks (schema 14), else a row of the older table: not the
 * request_bodies view, which a correlated lookup would scan whole */
#define HAS_BODY                                                                                                 \
    " (r.chunk_refs IS NOT NULL OR EXISTS (SELECT 1 FROM request_bodies_v13 b WHERE b.request_id = r.id)) AND"
#define TEXT_NONE ""
#define TEXT_LISTED " r.id IN temp.tg_search_hits AND" HAS_BODY
#define TEXT_CHECKED " tg_search_has(r.id) AND" HAS_BODY
/* the window by the time index, or (+) only as a filter */
#define WINDOW_RANGE "r.ts_ms >= ?1 AND r.ts_ms < ?2 AND"
#define WINDOW_FILTER "+r.ts_ms >= ?1 AND +r.ts_ms < ?2 AND"
/* the keyset step; the redundant bound (V <= ?3) lets an index seek to it */
#define OLDER(V) " " V " <= ?3 AND (" V " < ?3 OR r.id < ?4) ORDER BY " V " DESC, r.id DESC LIMIT ?5"
#define NEWER(V) " " V " >= ?3 AND (" V " > ?3 OR r.id > ?4) ORDER BY " V " ASC, r.id ASC LIMIT ?5"

/* [plan: 0 by the order's sort keys, 1 by the window][0 older, 1 newer] */
/* the requests found, sorted: no index of the order's, nor the window's */
#define LISTED_SQL(V)                                                                                         \
    {{SELECT_ROWS FILTERS TEXT_LISTED WINDOW_FILTER OLDER("+" V),                                              \
      SELECT_ROWS FILTERS TEXT_LISTED WINDOW_FILTER NEWER("+" V)},                                             \
     {SELECT_ROWS FILTERS TEXT_LISTED WINDOW_FILTER OLDER("+" V),                                              \
      SELECT_ROWS FILTERS TEXT_LISTED WINDOW_FILTER NEWER("+" V)}}
/* Time: one bound on ts_ms each way, so the index seeks to the anchor (two
 * lower bounds had SQLite seek to the window's start and walk up to it). */
#define TIME_OLDER(T)                                                                                         \
    SELECT_ROWS FILTERS T " r.ts_ms >= ?1 AND r.ts_ms <= min(?3, ?2 - 1) AND (r.ts_ms < ?3 OR r.id < ?4)"       \
                        " ORDER BY r.ts_ms DESC, r.id DESC LIMIT ?5"
#define TIME_NEWER(T)                                                                                         \
    SELECT_ROWS FILTERS T " r.ts_ms >= max(?3, ?1) AND r.ts_ms < ?2 AND (r.ts_ms > ?3 OR r.id > ?4)"            \
                        " ORDER BY r.ts_ms ASC, r.id ASC LIMIT ?5"
#define TIME_SQL(T) {{TIME_OLDER(T), TIME_NEWER(T)}, {TIME_OLDER(T), TIME_NEWER(T)}}

/* the same expressions as the indexes of migration 8 */
#define TOKENS_V "(r.prompt_tokens + r.completion_tokens)"
#define LATENCY_V "coalesce(r.latency_ms, -1)"
/* Schema 16 (store/sortkeys.h): no index of requests holds cost, tokens or
 * latency; sort_cost, sort_tokens and sort_latency hold (v, id) for every
 * request up to a watermark, and the requests past it (the tail, merged at
 * 32,768 at most) are sorted here. A page takes the next LIMIT of each side (the
 * runs walked by their key from the anchor, the tail read by rowid) and
 * merges them, then reads the page's rows: exact, and the tail's rows are
 * sorted by (v, id) alone before any name is looked up. The model filter is
 * a subquery so that no join runs per row when it is not set. */
#define RUN_FILTERS                                                                                            \
    " (?6 IS NULL OR r.developer_id = (SELECT id FROM developers WHERE ident = ?6))"                          \
    " AND (?7 IS NULL OR r.key_id IN (SELECT id FROM keys WHERE name = ?7 OR key_id = ?7 OR ident = ?7))"      \
    " AND (?8 IS NULL OR instr(lower((SELECT name FROM models WHERE id = r.model_id)), lower(?8)) > 0)"        \
    " AND (?9 IS NULL OR (?9 = 0 AND r.is_error) OR (?9 = 1 AND NOT r.is_error) OR r.status_code = ?9)"        \
    " AND (?10 IS NULL OR r.cost_nanos > ?10) AND (?11 IS NULL OR r.cost_nanos < ?11)"                          \
    " AND (?12 IS NULL OR r.thread_id IN (?12, tg_id_pack(?12))) AND "
#define SORT_MARK "(SELECT CAST(position AS INTEGER) FROM sync_state WHERE source = 'sort keys up to')"
#define RUN_STEP(CMP, CMP_OR, DIR)                                                                            \
    " s.v " CMP "= ?3 AND (s.v " CMP " ?3 OR s.id " CMP_OR " ?4) ORDER BY s.v " DIR ", s.id " DIR " LIMIT ?5"
#define TAIL_STEP(V, CMP, DIR)                                                                                \
    " +" V " " CMP "= ?3 AND (+" V " " CMP " ?3 OR r.id " CMP " ?4) ORDER BY 1 " DIR ", 2 " DIR " LIMIT ?5"
#define RUNS_PAGE(T, TABLE, V, CMP, DIR)                                                                      \
    "SELECT r.id, r.ts_ms, tg_id_text(r.log_id), coalesce(d.ident, '-'), coalesce(k.name, k.key_id, '-'),"    \
    " coalesce(m.name, '-'), r.prompt_tokens, r.completion_tokens, r.cost_nanos, r.cost_kind,"                \
    " coalesce(r.latency_ms, -1), r.status_code, r.is_error FROM ("                                           \
    "SELECT v, id FROM (SELECT s.v AS v, s.id AS id FROM " TABLE " s CROSS JOIN requests r ON r.id = s.id"    \
    " WHERE" RUN_FILTERS T WINDOW_FILTER RUN_STEP(CMP, CMP, DIR) ")"                                          \
    " UNION ALL SELECT v, id FROM (SELECT " V " AS v, r.id AS id FROM requests r WHERE r.id > " SORT_MARK     \
    " AND" RUN_FILTERS T WINDOW_FILTER TAIL_STEP(V, CMP, DIR) ")"                                            \
    " ORDER BY 1 " DIR ", 2 " DIR " LIMIT ?5) p CROSS JOIN requests r ON r.id = p.id"                         \
    " LEFT JOIN developers d ON d.id = r.developer_id LEFT JOIN keys k ON k.id = r.key_id"                   \
    " LEFT JOIN models m ON m.id = r.model_id ORDER BY p.v " DIR ", p.id " DIR
#define RUNS_SQL(T, TABLE, V)                                                                                 \
    {{RUNS_PAGE(T, TABLE, V, "<", "DESC"), RUNS_PAGE(T, TABLE, V, ">", "ASC")},                               \
     {SELECT_ROWS FILTERS T WINDOW_RANGE OLDER("+" V), SELECT_ROWS FILTERS T WINDOW_RANGE NEWER("+" V)}}
#define RUNS_PAGE_SQL(T)                                                                                      \
    {[TG_ORDER_TIME] = TIME_SQL(T), [TG_ORDER_COST] = RUNS_SQL(T, "sort_cost", "r.cost_nanos"),                \
     [TG_ORDER_TOKENS] = RUNS_SQL(T, "sort_tokens", TOKENS_V),                                                \
     [TG_ORDER_LATENCY] = RUNS_SQL(T, "sort_latency", LATENCY_V)}

/* [enum tg_search_mode][order][plan][direction] */
static const char *const page_sql[3][TG_ORDER_COUNT][2][2] = {
    [TG_SEARCH_NONE] = RUNS_PAGE_SQL(TEXT_NONE),
    [TG_SEARCH_LISTED] = {[TG_ORDER_TIME] = LISTED_SQL("r.ts_ms"), [TG_ORDER_COST] = LISTED_SQL("r.cost_nanos"),
                          [TG_ORDER_TOKENS] = LISTED_SQL(TOKENS_V), [TG_ORDER_LATENCY] = LISTED_SQL(LATENCY_V)},
    [TG_SEARCH_CHECKED] = RUNS_PAGE_SQL(TEXT_CHECKED),
};

static void bind_filter(sqlite3_stmt *st, const struct tg_request_filter *f)
{
    if (!f)
        return;
    if (*f->developer)
        sqlite3_bind_text(st, 6, f->developer, -1, SQLITE_TRANSIENT);
    if (*f->key)
        sqlite3_bind_text(st, 7, f->key, -1, SQLITE_TRANSIENT);
    if (*f->model)
        sqlite3_bind_text(st, 8, f->model, -1, SQLITE_TRANSIENT);
    if (f->status >= 0)
        sqlite3_bind_int(st, 9, f->status);
    if (f->cost_above >= 0)
        sqlite3_bind_int64(st, 10, f->cost_above);
    if (f->cost_below >= 0)
        sqlite3_bind_int64(st, 11, f->cost_below);
    if (*f->thread)
        sqlite3_bind_text(st, 12, f->thread, -1, SQLITE_TRANSIENT);
}

static bool searching(const struct tg_request_filter *f)
{
    return f && *f->text && !f->text_ignored;
}

static int64_t single_int(struct tg_store *store, const char *sql, int64_t a, int64_t b)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

void tg_request_list_plan(struct tg_request_list *list)
{
    const struct tg_request_filter *f = list->filter;
    /* a thread narrows the rows before any order could */
    if (f && *f->thread) {
        list->by_window = true;
        return;
    }
    int64_t until_day = list->until_ms == INT64_MAX ? INT64_MAX : list->until_ms / 86400000 + 1;
    int64_t n = single_int(list->store,
                           "SELECT coalesce(sum(requests), 0) FROM rollup_daily WHERE day >= ?1 AND day < ?2",
                           list->since_ms / 86400000, until_day);
    list->by_window = n >= 0 && n <= SORT_IN_MEMORY_MAX;
}

int64_t tg_request_list_first_found(const struct tg_request_list *list)
{
    struct tg_search_use use;
    char err[200];
    if (!searching(list->filter) || tg_search_use(list->store, list->filter->text, &use, err, sizeof err) != 0)
        return 0;
    return use.first;
}

int tg_request_list_page(const struct tg_request_list *list, bool newer, int64_t value, int64_t row_id,
                         struct tg_request_row *rows, int limit, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    struct tg_search_use use = {.mode = TG_SEARCH_NONE};
    /* found again when the index moved on since (the indexer runs beside) */
    if (searching(list->filter) && tg_search_use(list->store, list->filter->text, &use, err, errlen) != 0)
        return -1;
    if (searching(list->filter) && use.mode == TG_SEARCH_NONE)
        return 0;
    const char *sql = page_sql[use.mode][list->order][list->by_window][newer];
    if (sqlite3_prepare_v2(tg_store_sqlite(list->store), sql, -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(list->store, "listing requests", err, errlen);
    bind_filter(st, list->filter);
    sqlite3_bind_int64(st, 1, list->since_ms);
    sqlite3_bind_int64(st, 2, list->until_ms);
    sqlite3_bind_int64(st, 3, value);
    sqlite3_bind_int64(st, 4, row_id);
    sqlite3_bind_int(st, 5, limit);
    int n = 0, rc = SQLITE_DONE;
    while (n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct tg_request_row *r = &rows[n++];
        r->row_id = sqlite3_column_int64(st, 0);
        r->ts_ms = sqlite3_column_int64(st, 1);
        tg_sanitize((const char *)sqlite3_column_text(st, 2), r->log_id, sizeof r->log_id);
        tg_sanitize((const char *)sqlite3_column_text(st, 3), r->developer, sizeof r->developer);
        tg_sanitize((const char *)sqlite3_column_text(st, 4), r->key, sizeof r->key);
        tg_sanitize((const char *)sqlite3_column_text(st, 5), r->model, sizeof r->model);
        r->prompt_tokens = sqlite3_column_int64(st, 6);
        r->completion_tokens = sqlite3_column_int64(st, 7);
        r->cost = sqlite3_column_int64(st, 8);
        r->cost_kind = sqlite3_column_int(st, 9);
        r->latency_ms = sqlite3_column_int64(st, 10);
        r->status_code = sqlite3_column_int(st, 11);
        r->is_error = sqlite3_column_int(st, 12);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return tg_store_fail(list->store, "listing requests", err, errlen);
    return n;
}

/* Whether the list with this filter and window has a row at all. */
static bool any(const struct tg_request_list *list, const struct tg_request_filter *f, int64_t since, int64_t until)
{
    struct tg_request_list probe = *list;
    struct tg_request_row row;
    char err[200];
    probe.filter = f;
    probe.since_ms = since;
    probe.until_ms = until;
    probe.order = TG_ORDER_TIME;
    return tg_request_list_page(&probe, false, INT64_MAX, INT64_MAX, &row, 1, err, sizeof err) == 1;
}

static bool name_known(struct tg_store *store, const char *sql, const char *name)
{
    sqlite3_stmt *st;
    bool known = true; /* when in doubt, blame nothing */
    if (sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL) != SQLITE_OK)
        return true;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    known = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return known;
}

/* A name no request has at all: said before anything else. */
static bool unknown_name(const struct tg_request_list *list, char *buf, size_t len)
{
    static const struct {
        const char *what, *sql;
        size_t offset;
    } names[] = {
        {"developer", "SELECT 1 FROM developers WHERE ident = ?1", offsetof(struct tg_request_filter, developer)},
        {"key", "SELECT 1 FROM keys WHERE name = ?1 OR key_id = ?1 OR ident = ?1",
         offsetof(struct tg_request_filter, key)},
        {"model", "SELECT 1 FROM models WHERE instr(lower(name), lower(?1)) > 0",
         offsetof(struct tg_request_filter, model)},
        {"thread", "SELECT 1 FROM requests WHERE thread_id IN (?1, tg_id_pack(?1))",
         offsetof(struct tg_request_filter, thread)},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *value = (const char *)list->filter + names[i].offset;
        if (!*value || name_known(list->store, names[i].sql, value))
            continue;
        char shown[128];
        tg_sanitize(value, shown, sizeof shown);
        snprintf(buf, len, "no %s matches '%s'", names[i].what, shown);
        return true;
    }
    return false;
}

/* The filter without one of its parts. */
enum part { PART_COST_ABOVE, PART_COST_BELOW, PART_STATUS, PART_TEXT, PART_DEVELOPER, PART_KEY, PART_MODEL,
            PART_THREAD, NPARTS };

static bool drop_part(const struct tg_request_filter *f, enum part p, struct tg_request_filter *out)
{
    *out = *f;
    switch (p) {
    case PART_COST_ABOVE: out->cost_above = -1; return f->cost_above >= 0;
    case PART_COST_BELOW: out->cost_below = -1; return f->cost_below >= 0;
    case PART_STATUS: out->status = -1; return f->status >= 0;
    case PART_TEXT: out->text[0] = '\0'; return *f->text && !f->text_ignored;
    case PART_DEVELOPER: out->developer[0] = '\0'; return *f->developer;
    case PART_KEY: out->key[0] = '\0'; return *f->key;
    case PART_MODEL: out->model[0] = '\0'; return *f->model;
    case PART_THREAD: out->thread[0] = '\0'; return *f->thread;
    case NPARTS: break;
    }
    return false;
}

/* The words of one part, as the filter line writes them. */
static void describe_part(const struct tg_request_filter *f, enum part p, char *buf, size_t len)
{
    static struct tg_request_filter only;
    tg_filter_clear(&only);
    switch (p) {
    case PART_COST_ABOVE: only.cost_above = f->cost_above; break;
    case PART_COST_BELOW: only.cost_below = f->cost_below; break;
    case PART_STATUS: only.status = f->status; break;
    case PART_TEXT: memcpy(only.text, f->text, sizeof only.text); break;
    case PART_DEVELOPER: memcpy(only.developer, f->developer, sizeof only.developer); break;
    case PART_KEY: memcpy(only.key, f->key, sizeof only.key); break;
    case PART_MODEL: memcpy(only.model, f->model, sizeof only.model); break;
    case PART_THREAD: memcpy(only.thread, f->thread, sizeof only.thread); break;
    case NPARTS: break;
    }
    char raw[TG_FILTER_NAME_MAX + 64];
    tg_filter_describe(&only, raw, sizeof raw);
    tg_sanitize(raw, buf, len);
}

void tg_request_list_why_empty(const struct tg_request_list *list, char *buf, size_t len)
{
    static struct tg_request_filter without; /* large: kept off the stack */
    const struct tg_request_filter *f = list->filter;
    bool filtered = f && (*f->developer || *f->key || *f->model || *f->thread || f->status >= 0 ||
                          f->cost_above >= 0 || f->cost_below >= 0 || (*f->text && !f->text_ignored));
    if (!filtered) {
        snprintf(buf, len, "no requests in this window (w changes it)");
        return;
    }
    if (unknown_name(list, buf, len))
        return;
    for (int p = 0; p < NPARTS; p++) {
        if (!drop_part(f, (enum part)p, &without) || !any(list, &without, list->since_ms, list->until_ms))
            continue;
        char words[200];
        describe_part(f, (enum part)p, words, sizeof words);
        static struct tg_request_filter rest;
        bool more = false;
        for (int q = 0; q < NPARTS; q++)
            more |= q != p && drop_part(f, (enum part)q, &rest);
        snprintf(buf, len, more ? "no request in this window matches %s with the rest of the filter"
                                : "no request in this window matches %s", words);
        return;
    }
    if (any(list, f, 0, INT64_MAX)) {
        snprintf(buf, len, "nothing in this window matches the filter; earlier or later requests do (w changes it)");
        return;
    }
    snprintf(buf, len, "no request matches the filter together, in this window or any other");
}
