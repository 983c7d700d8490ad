#include "query/browse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log/logmodel.h"
#include "query/search.h"
#include "base/sanitize.h"
#include "base/strbuf.h"
#include "base/timeutil.h"

#define ROW_COLUMNS                                                                                        \
    "SELECT r.id, r.ts_ms, r.log_id, coalesce(d.ident, '-'), coalesce(k.name, k.key_id, '-'),"               \
    " coalesce(m.name, '-'), r.prompt_tokens, r.completion_tokens, r.cost_nanos, r.cost_kind,"                \
    " coalesce(r.latency_ms, -1), r.status_code, r.is_error"                                                  \
    " FROM requests r LEFT JOIN developers d ON d.id = r.developer_id"                                        \
    " LEFT JOIN keys k ON k.id = r.key_id LEFT JOIN models m ON m.id = r.model_id"                            \
    " WHERE r.ts_ms >= ?1 AND r.ts_ms < ?2"                                                                   \
    " AND (?6 IS NULL OR r.developer_id = (SELECT id FROM developers WHERE ident = ?6))"                      \
    " AND (?7 IS NULL OR r.key_id IN (SELECT id FROM keys WHERE name = ?7 OR key_id = ?7 OR ident = ?7))"      \
    " AND (?8 IS NULL OR instr(lower(m.name), lower(?8)) > 0)" /* not LIKE: % and _ are plain text here */    \
    " AND (?9 IS NULL OR (?9 = 0 AND r.is_error) OR (?9 = 1 AND NOT r.is_error) OR r.status_code = ?9)"        \
    " AND (?10 IS NULL OR r.cost_nanos > ?10) AND (?11 IS NULL OR r.cost_nanos < ?11)"                          \
    " AND (?12 IS NULL OR r.thread_id = ?12)"                                                                \
    " AND (?13 IS NULL OR r.id IN (SELECT rowid FROM request_text WHERE request_text MATCH ?13)) AND "

static const char older_sql[] =
    ROW_COLUMNS "(r.ts_ms < ?3 OR (r.ts_ms = ?3 AND r.id < ?4)) ORDER BY r.ts_ms DESC, r.id DESC LIMIT ?5";
static const char newer_sql[] =
    ROW_COLUMNS "(r.ts_ms > ?3 OR (r.ts_ms = ?3 AND r.id > ?4)) ORDER BY r.ts_ms ASC, r.id ASC LIMIT ?5";

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
    char query[600];
    if (*f->text && tg_search_query(f->text, query, sizeof query) == 0)
        sqlite3_bind_text(st, 13, query, -1, SQLITE_TRANSIENT);
}

static int fetch(struct tg_store *store, const char *sql, int64_t since_ms, int64_t until_ms,
                 const struct tg_request_filter *filter, int64_t anchor_ts, int64_t anchor_id,
                 struct tg_request_row *rows, int limit, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "listing requests", err, errlen);
    bind_filter(st, filter);
    sqlite3_bind_int64(st, 1, since_ms);
    sqlite3_bind_int64(st, 2, until_ms);
    sqlite3_bind_int64(st, 3, anchor_ts);
    sqlite3_bind_int64(st, 4, anchor_id);
    sqlite3_bind_int(st, 5, limit);
    int n = 0, rc;
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
    if (n < limit)
        rc = sqlite3_errcode(tg_store_sqlite(store));
    sqlite3_finalize(st);
    if (n < limit && rc != SQLITE_DONE && rc != SQLITE_ROW && rc != SQLITE_OK)
        return tg_store_fail(store, "listing requests", err, errlen);
    return n;
}

int tg_browse_requests(struct tg_store *store, int64_t since_ms, int64_t until_ms,
                       const struct tg_request_filter *filter, int64_t before_ts, int64_t before_id,
                       struct tg_request_row *rows, int limit, char *err, size_t errlen)
{
    return fetch(store, older_sql, since_ms, until_ms, filter, before_ts, before_id, rows, limit, err, errlen);
}

int tg_browse_requests_newer(struct tg_store *store, int64_t since_ms, int64_t until_ms,
                             const struct tg_request_filter *filter, int64_t after_ts, int64_t after_id,
                             struct tg_request_row *rows, int limit, char *err, size_t errlen)
{
    return fetch(store, newer_sql, since_ms, until_ms, filter, after_ts, after_id, rows, limit, err, errlen);
}

static char *log_id_of(struct tg_store *store, int64_t row_id)
{
    sqlite3_stmt *st;
    char *id = NULL;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), "SELECT log_id FROM requests WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return NULL;
    sqlite3_bind_int64(st, 1, row_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        id = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return id;
}

int tg_browse_raw(struct tg_store *store, int64_t row_id, char **raw, size_t *len, char **log_id, char *err,
                  size_t errlen)
{
    *log_id = log_id_of(store, row_id);
    if (!*log_id) {
        snprintf(err, errlen, "no such request");
        return -1;
    }
    int rc = tg_store_raw_request(store, row_id, raw, len, err, errlen);
    if (rc == 1)
        snprintf(err, errlen, "no such request");
    return rc == 0 ? 0 : -1; /* 2: err says the body was pruned */
}

void tg_browse_thread(struct tg_store *store, int64_t row_id, char *buf, size_t len)
{
    sqlite3_stmt *st;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(tg_store_sqlite(store), "SELECT thread_id FROM requests WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, row_id);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

static int64_t single_int(struct tg_store *store, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

int64_t tg_browse_data_version(struct tg_store *store)
{
    return single_int(store, "PRAGMA data_version");
}

int64_t tg_browse_newest_ms(struct tg_store *store)
{
    return single_int(store, "SELECT max(ts_ms) FROM requests");
}

static void add_line(struct tg_detail *d, const char *text)
{
    char **lines = realloc(d->lines, (d->count + 1) * sizeof *lines);
    if (!lines)
        return;
    d->lines = lines;
    d->lines[d->count] = tg_sanitize_dup(text);
    if (d->lines[d->count])
        d->count++;
}

/* Multi-line text: one detail line per line, each sanitised on its own. */
static void add_text(struct tg_detail *d, const char *prefix, const char *text)
{
    const char *p = text;
    while (*p || p == text) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = malloc(strlen(prefix) + n + 1);
        if (!line)
            return;
        sprintf(line, "%s%.*s", prefix, (int)n, p);
        add_line(d, line);
        free(line);
        if (!nl)
            break;
        p = nl + 1;
    }
}

static void add_field(struct tg_detail *d, const char *label, const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!item || cJSON_IsNull(item))
        return;
    char *value = cJSON_IsString(item) ? strdup(item->valuestring) : cJSON_PrintUnformatted(item);
    if (!value)
        return;
    char line[256];
    snprintf(line, sizeof line, "%-14s ", label);
    add_text(d, line, value);
    free(value);
}

static void add_message(struct tg_detail *d, const cJSON *msg)
{
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(msg, "role");
    char head[96];
    snprintf(head, sizeof head, "── %s ──", cJSON_IsString(role) ? role->valuestring : "message");
    add_line(d, head);
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    if (cJSON_IsString(content)) {
        add_text(d, "  ", content->valuestring);
    } else if (content && !cJSON_IsNull(content)) {
        char *pretty = cJSON_Print(content);
        if (pretty)
            add_text(d, "  ", pretty);
        free(pretty);
    }
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
    if (calls && !cJSON_IsNull(calls)) {
        add_line(d, "  tool calls:");
        char *pretty = cJSON_Print(calls);
        if (pretty)
            add_text(d, "    ", pretty);
        free(pretty);
    }
}

static void add_cost(struct tg_detail *out, tg_nanos cost, int kind)
{
    char money[48], line[128];
    tg_nanos_format_plain(cost, money, sizeof money);
    snprintf(line, sizeof line, "%-14s $%s%s", "cost", money,
             kind == 1   ? " (estimated by tollgate)"
             : kind == 2 ? " (unpriced: model not in the table)"
             : kind == 3 ? " (failed request, no cost given: not charged)"
                         : "");
    add_line(out, line);
}

/* A request whose body `tollgate prune` dropped: what its row still knows. */
static int pruned_detail(struct tg_store *store, int64_t row_id, tg_nanos cost, int kind, struct tg_detail *out,
                         char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store),
                           "SELECT r.log_id, r.ts_ms, d.ident, coalesce(k.name, k.key_id), m.name, r.prompt_tokens,"
                           " r.completion_tokens, r.status_code, r.thread_id FROM requests r"
                           " LEFT JOIN developers d ON d.id = r.developer_id LEFT JOIN keys k ON k.id = r.key_id"
                           " LEFT JOIN models m ON m.id = r.model_id WHERE r.id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading a request", err, errlen);
    sqlite3_bind_int64(st, 1, row_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        static const char *const labels[] = {"id", NULL, "developer", "key", "model", "prompt tok",
                                             "completion tok", "status", "thread"};
        char line[512], when[40];
        for (int i = 0; i < 9; i++) {
            if (sqlite3_column_type(st, i) == SQLITE_NULL)
                continue;
            if (i == 1) {
                tg_time_format_iso(sqlite3_column_int64(st, i), when, sizeof when);
                snprintf(line, sizeof line, "%-14s %s", "time", when);
            } else {
                snprintf(line, sizeof line, "%-14s %s", labels[i], (const char *)sqlite3_column_text(st, i));
            }
            add_line(out, line);
        }
    }
    sqlite3_finalize(st);
    add_cost(out, cost, kind);
    add_line(out, "");
    add_line(out, "body pruned: `tollgate prune` dropped this request's prompt and response;");
    add_line(out, "its row, cost and tokens are kept.");
    return 0;
}

int tg_browse_detail(struct tg_store *store, int64_t row_id, struct tg_detail *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), "SELECT log_id, cost_nanos, cost_kind FROM requests WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading a request", err, errlen);
    sqlite3_bind_int64(st, 1, row_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        snprintf(err, errlen, "no such request");
        return -1;
    }
    char *log_id = strdup((const char *)sqlite3_column_text(st, 0));
    tg_nanos cost = sqlite3_column_int64(st, 1);
    int kind = sqlite3_column_int(st, 2);
    sqlite3_finalize(st);
    char *raw = NULL;
    size_t len;
    int rc = log_id ? tg_store_raw_request(store, row_id, &raw, &len, err, errlen) : -1;
    free(log_id);
    if (rc == 2)
        return pruned_detail(store, row_id, cost, kind, out, err, errlen);
    if (rc != 0) {
        if (rc == 1)
            snprintf(err, errlen, "no such request");
        return -1;
    }
    cJSON *obj = cJSON_ParseWithLength(raw, len);
    free(raw);
    if (!obj) {
        snprintf(err, errlen, "the stored log does not parse");
        return -1;
    }
    static const char *const fields[][2] = {
        {"id", "unique_id"}, {"time", "timestamp"}, {"started", "start_time"}, {"developer", "customer_identifier"},
        {"name", "customer_name"}, {"key", "organization_key_name"}, {"key id", "organization_key_id"},
        {"model", "model"}, {"provider", "provider_id"}, {"prompt tok", "prompt_tokens"},
        {"completion tok", "completion_tokens"}, {"cache read", "prompt_cache_hit_tokens"},
        {"cache write", "prompt_cache_creation_tokens"}, {"usage", "usage"}, {"latency s", "latency"},
        {"ttft s", "ttft"}, {"status", "status_code"}, {"error", "error_message"}, {"thread", "thread_identifier"},
        {"trace", "trace_unique_id"}, {"metadata", "metadata"},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        add_field(out, fields[i][0], obj, fields[i][1]);
    add_cost(out, cost, kind);
    cJSON *prompt, *completion;
    tg_log_messages(obj, &prompt, &completion);
    add_line(out, "");
    add_line(out, "PROMPT");
    const cJSON *msg;
    cJSON_ArrayForEach(msg, prompt) add_message(out, msg);
    add_line(out, "");
    add_line(out, "RESPONSE");
    cJSON_ArrayForEach(msg, completion) add_message(out, msg);
    cJSON_Delete(prompt);
    cJSON_Delete(completion);
    cJSON_Delete(obj);
    return 0;
}

void tg_detail_free(struct tg_detail *d)
{
    for (size_t i = 0; i < d->count; i++)
        free(d->lines[i]);
    free(d->lines);
    memset(d, 0, sizeof *d);
}
