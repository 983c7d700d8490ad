#include "query/browse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "base/jsonsplit.h"
#include "base/sanitize.h"
#include "base/timeutil.h"
#include "log/body.h"
#include "log/logmodel.h"
#include "log/pricing.h"
#include "query/document.h"
#include "query/requestdoc.h"
#include "query/search.h"

static char *log_id_of(struct tg_store *store, int64_t row_id)
{
    sqlite3_stmt *st;
    char *id = NULL;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), "SELECT tg_id_text(log_id) FROM requests WHERE id = ?1", -1, &st,
                           NULL) != SQLITE_OK)
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
    if (sqlite3_prepare_v2(tg_store_sqlite(store), "SELECT tg_id_text(thread_id) FROM requests WHERE id = ?1", -1, &st,
                           NULL) != SQLITE_OK)
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


/* ---- one request as a document ---- */

#define PREVIOUS_WITHIN_MS (3 * TG_HOUR_MS) /* how far back the previous turn is looked for */

struct request_facts_row {
    int64_t ts_ms, developer_id;
    char thread[TG_FILTER_NAME_MAX], model[TG_FILTER_NAME_MAX];
    struct tg_request_facts facts;
};

static int read_row(struct tg_store *store, int64_t row_id, struct request_facts_row *r, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store),
                           "SELECT r.ts_ms, coalesce(r.developer_id, -1), tg_id_text(r.thread_id),"
                           " m.name,"
                           " r.prompt_tokens, r.completion_tokens, r.cache_read_tokens, r.cache_creation_tokens, r.cost_nanos,"
                           " r.cost_kind FROM requests r LEFT JOIN models m ON m.id = r.model_id WHERE r.id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading a request", err, errlen);
    sqlite3_bind_int64(st, 1, row_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        snprintf(err, errlen, "no such request");
        return -1;
    }
    memset(r, 0, sizeof *r);
    r->ts_ms = sqlite3_column_int64(st, 0);
    r->developer_id = sqlite3_column_int64(st, 1);
    if (sqlite3_column_text(st, 2))
        snprintf(r->thread, sizeof r->thread, "%s", (const char *)sqlite3_column_text(st, 2));
    if (sqlite3_column_text(st, 3))
        snprintf(r->model, sizeof r->model, "%s", (const char *)sqlite3_column_text(st, 3));
    r->facts.tokens = (struct tg_token_counts){sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5),
                                               sqlite3_column_int64(st, 6), sqlite3_column_int64(st, 7)};
    r->facts.cost = sqlite3_column_int64(st, 8);
    r->facts.cost_kind = sqlite3_column_int(st, 9);
    sqlite3_finalize(st);
    return 0;
}

/* The request just before this one in its thread (else from its developer),
 * a few hours back at most; 0 when there is none. */
static int64_t previous_request(struct tg_store *store, int64_t row_id, const struct request_facts_row *r)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store),
                           "SELECT id FROM requests WHERE ts_ms >= ?1 AND ts_ms <= ?2 AND (ts_ms < ?2 OR id < ?3)"
                           " AND id <> ?3 AND CASE WHEN ?4 IS NULL THEN developer_id = ?5"
                           "  ELSE thread_id IN (?4, tg_id_pack(?4)) END"
                           " ORDER BY ts_ms DESC, id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_int64(st, 1, r->ts_ms - PREVIOUS_WITHIN_MS);
    sqlite3_bind_int64(st, 2, r->ts_ms);
    sqlite3_bind_int64(st, 3, row_id);
    if (r->thread[0])
        sqlite3_bind_text(st, 4, r->thread, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, r->developer_id);
    int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return id;
}

struct sharing {
    unsigned char (*previous)[TG_DIGEST_LEN];
    long nprevious;
    bool *same;
    size_t nsame, cap;
};

static int each_prompt_message(void *ctx, const char *text, size_t len, long index)
{
    struct sharing *s = ctx;
    if (index < 0 || (size_t)index >= s->cap)
        return 1;
    s->nsame = (size_t)index + 1;
    s->same[index] = false;
    if (len < TG_BODY_MIN_PIECE || text[0] != '{') /* kept in the skeleton: not shared by digest */
        return 0;
    unsigned char digest[TG_DIGEST_LEN];
    unsigned int n = 0;
    EVP_Digest(text, len, digest, &n, EVP_sha256(), NULL);
    for (long i = 0; i < s->nprevious && !s->same[index]; i++)
        s->same[index] = memcmp(s->previous[i], digest, TG_DIGEST_LEN) == 0;
    return 0;
}

static int each_member(void *ctx, const char *key, size_t key_len, const char *value, size_t value_len)
{
    size_t at;
    if (key_len == strlen("prompt_messages") && memcmp(key, "prompt_messages", key_len) == 0)
        tg_json_split_array(value, value_len, each_prompt_message, ctx, &at);
    return 0;
}

/* Which prompt messages the previous request sent byte for byte: the store
 * keeps each shared message once under its digest, so this compares digests
 * and decompresses nothing of the previous request. */
static void mark_shared(struct tg_store *store, int64_t row_id, const struct request_facts_row *r, const char *raw,
                        size_t len, struct sharing *s)
{
    int64_t previous = previous_request(store, row_id, r);
    if (!previous)
        return;
    s->previous = malloc(TG_BODY_MAX_PIECES * sizeof *s->previous);
    s->same = calloc(TG_BODY_MAX_PIECES, sizeof *s->same);
    if (!s->previous || !s->same)
        return;
    s->cap = TG_BODY_MAX_PIECES;
    s->nprevious = tg_store_message_digests(store, previous, s->previous, TG_BODY_MAX_PIECES);
    size_t at;
    if (s->nprevious > 0)
        tg_json_split_object(raw, len, each_member, s, &at);
}

/* A request whose body `tollgate prune` dropped: what its row still knows. */
static struct tg_doc *pruned_document(struct tg_store *store, int64_t row_id, struct tg_request_facts *facts)
{
    cJSON *log = cJSON_CreateObject();
    sqlite3_stmt *st;
    if (log &&
        sqlite3_prepare_v2(tg_store_sqlite(store),
                           "SELECT tg_id_text(r.log_id), r.ts_ms, d.ident, coalesce(k.name, k.key_id), m.name,"
                           " r.status_code,"
                           " tg_id_text(r.thread_id) FROM requests r LEFT JOIN developers d ON d.id = r.developer_id"
                           " LEFT JOIN keys k ON k.id = r.key_id LEFT JOIN models m ON m.id = r.model_id"
                           " WHERE r.id = ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        static const char *const names[] = {"unique_id", "timestamp", "customer_identifier", "organization_key_name",
                                            "model", "status_code", "thread_identifier"};
        sqlite3_bind_int64(st, 1, row_id);
        bool found = sqlite3_step(st) == SQLITE_ROW;
        for (int i = 0; found && i < 7; i++) {
            char when[40];
            if (sqlite3_column_type(st, i) == SQLITE_NULL)
                continue;
            if (i == 1)
                tg_time_format_iso(sqlite3_column_int64(st, i), when, sizeof when);
            cJSON_AddStringToObject(log, names[i], i == 1 ? when : (const char *)sqlite3_column_text(st, i));
        }
        sqlite3_finalize(st);
    }
    size_t focus;
    facts->pruned = true;
    struct tg_doc *doc = log ? tg_request_document(log, facts, &focus) : NULL;
    cJSON_Delete(log);
    return doc;
}

int tg_browse_document(struct tg_store *store, int64_t row_id, const struct tg_pricing *pricing, struct tg_doc **out,
                       size_t *focus, char *err, size_t errlen)
{
    *out = NULL;
    *focus = 0;
    struct request_facts_row r;
    if (read_row(store, row_id, &r, err, errlen) != 0)
        return -1;
    r.facts.table = pricing && r.model[0] ? tg_pricing_lookup(pricing, r.model) : NULL;
    r.facts.table_model = r.model;
    char *raw = NULL;
    size_t len;
    int rc = tg_store_raw_request(store, row_id, &raw, &len, err, errlen);
    if (rc == 2) {
        *out = pruned_document(store, row_id, &r.facts);
        return *out ? 0 : -1;
    }
    if (rc != 0) {
        if (rc == 1)
            snprintf(err, errlen, "no such request");
        return -1;
    }
    struct sharing shared = {0};
    mark_shared(store, row_id, &r, raw, len, &shared);
    r.facts.same = shared.same;
    r.facts.nsame = shared.nsame;
    cJSON *log = cJSON_ParseWithLength(raw, len);
    free(raw);
    if (log)
        *out = tg_request_document(log, &r.facts, focus);
    cJSON_Delete(log);
    free(shared.previous);
    free(shared.same);
    if (!*out) {
        snprintf(err, errlen, log ? "out of memory" : "the stored log does not parse");
        return -1;
    }
    return 0;
}
