#include "query/search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log/logmodel.h"
#include "base/strbuf.h"

#define MAX_TEXT (64 << 10) /* per request: enough to find it, bounded */
/* The chunks a request stored first: each text is indexed once, so all of it
 * (the first request of a client brings its whole prompt, tools included). */
#define MAX_FRAGMENT_TEXT (4 << 20)

static int64_t position(struct tg_store *store)
{
    char buf[32];
    return tg_store_sync_position(store, "search index", buf, sizeof buf) == 1 ? strtoll(buf, NULL, 10) : 0;
}

/* The words of a message: its content, text parts, and tool-call arguments. */
static void add_message_text(struct strbuf *sb, const cJSON *msg)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    if (cJSON_IsString(content)) {
        strbuf_puts(sb, content->valuestring);
        strbuf_putc(sb, '\n');
    }
    const cJSON *part, *parts = cJSON_IsArray(content) ? content : NULL;
    cJSON_ArrayForEach(part, parts) {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (cJSON_IsString(text)) {
            strbuf_puts(sb, text->valuestring);
            strbuf_putc(sb, '\n');
        }
    }
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
    if (calls && !cJSON_IsNull(calls)) {
        char *printed = cJSON_PrintUnformatted(calls);
        if (printed)
            strbuf_puts(sb, printed);
        free(printed);
        strbuf_putc(sb, '\n');
    }
}

static char *text_of(const char *raw, size_t len)
{
    cJSON *obj = cJSON_ParseWithLength(raw, len);
    if (!obj)
        return NULL;
    cJSON *prompt, *completion;
    tg_log_messages(obj, &prompt, &completion);
    struct strbuf sb = STRBUF_INIT;
    const cJSON *msg;
    cJSON_ArrayForEach(msg, prompt) add_message_text(&sb, msg);
    cJSON_ArrayForEach(msg, completion) add_message_text(&sb, msg);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(obj, "error_message");
    if (cJSON_IsString(error))
        strbuf_puts(&sb, error->valuestring);
    cJSON_Delete(prompt);
    cJSON_Delete(completion);
    cJSON_Delete(obj);
    if (sb.len > MAX_TEXT) { /* cut at a character boundary */
        size_t n = MAX_TEXT;
        while (n > 0 && ((unsigned char)sb.data[n] & 0xC0) == 0x80)
            n--;
        sb.len = n;
        sb.data[n] = '\0';
    }
    return strbuf_detach(&sb);
}

static unsigned hex_value(char c)
{
    return c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
         : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
}

/* The code point of the 4 hex digits at s, or -1. */
static long hex4(const char *s)
{
    long cp = 0;
    for (int i = 0; i < 4; i++) {
        unsigned h = hex_value(s[i]);
        if (h > 15)
            return -1;
        cp = cp << 4 | (long)h;
    }
    return cp;
}

/* A \uXXXX escape (or a surrogate pair of two) at s, n bytes available, as
 * UTF-8 into out; returns the bytes of s it took, 0 when it is not one (a
 * lone surrogate stays as it is written). */
static size_t unicode_escape(const char *s, size_t n, char *out, size_t *out_len)
{
    long cp = n >= 6 && s[0] == '\\' && s[1] == 'u' ? hex4(s + 2) : -1;
    size_t took = 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        long low = n >= 12 && s[6] == '\\' && s[7] == 'u' ? hex4(s + 8) : -1;
        if (low < 0xDC00 || low > 0xDFFF)
            return 0;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        took = 12;
    } else if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) {
        return 0;
    }
    if (cp < 0x80) {
        out[0] = (char)cp;
        *out_len = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        *out_len = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        *out_len = 3;
    } else {
        out[0] = (char)(0xF0 | cp >> 18);
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        *out_len = 4;
    }
    return took;
}

/* The text of a piece of JSON that need not be whole (the chunks a request
 * stored first, side by side): its bytes with string escapes decoded, twice
 * for text inside a JSON string inside JSON (the `input` form), so that
 * what a person typed is found as they typed it. Keys and punctuation stay:
 * they cost the index little, and a fragment cannot tell keys from text. */
static char *text_of_fragment(const char *raw, size_t len)
{
    struct strbuf sb = STRBUF_INIT;
    for (int pass = 0; pass < 2; pass++) {
        const char *in = pass ? sb.data : raw;
        size_t n = pass ? sb.len : len;
        struct strbuf out = STRBUF_INIT;
        for (size_t i = 0; i < n && out.len < MAX_FRAGMENT_TEXT; i++) {
            char c = in[i], u[4];
            size_t took, k;
            if (c != '\\' || i + 1 == n) {
                strbuf_putc(&out, c);
                continue;
            }
            if ((took = unicode_escape(in + i, n - i, u, &k)) > 0) {
                strbuf_append(&out, u, k);
                i += took - 1;
            } else {
                char e = in[++i];
                strbuf_putc(&out, e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? ' ' : e);
            }
        }
        strbuf_free(&sb);
        sb = out;
        if (!sb.data)
            return NULL;
    }
    size_t cut = sb.len;
    if (cut >= MAX_FRAGMENT_TEXT) { /* cut at a character boundary */
        cut = MAX_FRAGMENT_TEXT - 4;
        while (cut > 0 && ((unsigned char)sb.data[cut] & 0xC0) == 0x80)
            cut--;
    }
    sb.len = cut;
    sb.data[cut] = '\0';
    return strbuf_detach(&sb);
}

/* What the index holds for a request: the text it was the first to store
 * (in chunks: the bytes of its new chunks; in the older layouts: the words
 * of its new messages, its response and error). NULL when it has no body. */
static char *searchable_text(struct tg_store *store, int64_t request_id)
{
    char *raw, err[128];
    size_t len;
    if (tg_store_body_of(store, request_id, true, &raw, &len, err, sizeof err) != 0)
        return NULL;
    char *text = tg_store_body_layout(store, request_id) == TG_BODY_CHUNKS ? text_of_fragment(raw, len)
                                                                            : text_of(raw, len);
    free(raw);
    return text;
}

int tg_search_index_more(struct tg_store *store, int limit, char *err, size_t errlen)
{
    sqlite3 *db = tg_store_sqlite(store);
    if (tg_store_begin(store, err, errlen) != 0)
        return -1;
    int64_t from = position(store), last = from;
    sqlite3_stmt *rows = NULL, *put = NULL;
    int n = 0, rc = 0;
    if (sqlite3_prepare_v2(db, "SELECT r.id FROM requests r WHERE r.id > ?1 ORDER BY r.id LIMIT ?2", -1, &rows,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO request_text(rowid, text) VALUES(?1, ?2)", -1, &put, NULL) != SQLITE_OK) {
        rc = tg_store_fail(store, "indexing for search", err, errlen);
        goto done;
    }
    sqlite3_bind_int64(rows, 1, from);
    sqlite3_bind_int(rows, 2, limit);
    while (sqlite3_step(rows) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(rows, 0);
        last = id;
        n++;
        char *text = searchable_text(store, id);
        if (!text)
            continue; /* a pruned body has nothing to find */
        sqlite3_bind_int64(put, 1, id);
        sqlite3_bind_text(put, 2, text, -1, SQLITE_TRANSIENT);
        int step = sqlite3_step(put);
        sqlite3_reset(put);
        free(text);
        if (step != SQLITE_DONE) {
            rc = tg_store_fail(store, "indexing for search", err, errlen);
            goto done;
        }
    }
    if (n > 0) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)last);
        rc = tg_store_set_sync_position(store, "search index", buf, err, errlen);
    }
done:
    sqlite3_finalize(rows);
    sqlite3_finalize(put);
    if (rc != 0) {
        tg_store_rollback(store);
        return -1;
    }
    if (tg_store_commit(store, err, errlen) != 0)
        return -1;
    return n;
}

/* Sends one request's text to the index: 'delete' takes it out again. */
static int index_command(struct tg_store *store, int64_t request_id, bool remove, char *err, size_t errlen)
{
    if (request_id > position(store))
        return 0; /* never indexed: the indexer will get to it */
    char *text = searchable_text(store, request_id);
    if (!text)
        return 0; /* nothing was indexed for it */
    sqlite3_stmt *st;
    int rc = -1;
    const char *sql = remove ? "INSERT INTO request_text(request_text, rowid, text) VALUES('delete', ?1, ?2)"
                             : "INSERT INTO request_text(rowid, text) VALUES(?1, ?2)";
    if (sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, request_id);
        sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
    }
    free(text);
    return rc == 0 ? 0 : tg_store_fail(store, "updating the search index", err, errlen);
}

int tg_search_forget(struct tg_store *store, int64_t request_id, char *err, size_t errlen)
{
    return index_command(store, request_id, true, err, errlen);
}

int tg_search_add(struct tg_store *store, int64_t request_id, char *err, size_t errlen)
{
    return index_command(store, request_id, false, err, errlen);
}

/* One step of at most `pages` pages of merging, in its own transaction, so a
 * collector writing beside it waits for a step, never for the whole merge.
 * Sets *more when there was work (FTS5 counts two changes or more then). */
static int compact_step(struct tg_store *store, int pages, bool *more, char *err, size_t errlen)
{
    sqlite3 *db = tg_store_sqlite(store);
    sqlite3_stmt *st;
    if (tg_store_begin(store, err, errlen) != 0)
        return -1;
    int before = sqlite3_total_changes(db);
    int rc = sqlite3_prepare_v2(db, "INSERT INTO request_text(request_text, rank) VALUES('merge', ?1)", -1, &st,
                                NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int(st, 1, -pages); /* negative: every level, as 'optimize' does */
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_finalize(st);
    }
    if (rc != SQLITE_OK) {
        tg_store_fail(store, "compacting the search index", err, errlen);
        tg_store_rollback(store);
        return -1;
    }
    *more = sqlite3_total_changes(db) - before >= 2;
    return tg_store_commit(store, err, errlen);
}

int tg_search_compact(struct tg_store *store, char *err, size_t errlen)
{
    bool more = true;
    while (more) {
        if (compact_step(store, 2000, &more, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* Row ids, not counts: both are O(1) with the rowid b-tree, and ids are dense
 * enough for a progress figure (a count(*) every second cost the screens 60 ms
 * of CPU a second on 1M requests). */
void tg_search_progress(struct tg_store *store, int64_t *indexed, int64_t *total)
{
    *indexed = position(store);
    *total = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), "SELECT max(id) FROM requests", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            *total = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    if (*indexed > *total)
        *indexed = *total;
}

int tg_search_query(const char *text, char *out, size_t len)
{
    size_t chars = 0; /* the trigram tokenizer counts characters, not bytes */
    for (const char *p = text; *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    if (chars < 3)
        return -1;
    size_t o = 0;
    if (o + 1 < len)
        out[o++] = '"';
    for (const char *p = text; *p && o + 3 < len; p++) {
        if (*p == '"')
            out[o++] = '"'; /* FTS5 escapes a quote by doubling it */
        out[o++] = *p;
    }
    out[o++] = '"';
    out[o] = '\0';
    return 0;
}
