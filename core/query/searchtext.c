#include "query/searchtext.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/strbuf.h"
#include "log/logmodel.h"

#define MAX_LOG_TEXT (64 << 10) /* per request of an older layout: enough to find it, bounded */

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
    strbuf_putc(&sb, '\0'); /* never NULL for a log without words */
    sb.len--;
    if (sb.len > MAX_LOG_TEXT) { /* cut at a character boundary */
        size_t n = MAX_LOG_TEXT;
        while (n > 0 && ((unsigned char)sb.data[n] & 0xC0) == 0x80)
            n--;
        sb.len = n;
        sb.data[n] = '\0';
    }
    return strbuf_detach(&sb);
}

char *tg_search_log_text(struct tg_store *store, int64_t request_id)
{
    char *raw, err[128];
    size_t len;
    if (tg_store_body_of(store, request_id, false, &raw, &len, err, sizeof err) != 0)
        return NULL;
    char *text = text_of(raw, len);
    free(raw);
    return text;
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

/* One pass of unescaping, appended to out; bounds[0..nb) are offsets in in
 * (ascending), out_bounds[] gets where each falls in out (an escape across
 * one counts before it). */
static void unescape_mapped(const char *in, size_t n, const size_t *bounds, int nb, struct strbuf *out,
                            size_t *out_bounds)
{
    int b = 0;
    for (size_t i = 0; i < n; i++) {
        while (b < nb && bounds[b] <= i)
            out_bounds[b++] = out->len;
        char c = in[i], u[4];
        size_t took, k;
        if (c != '\\' || i + 1 == n) {
            strbuf_putc(out, c);
            continue;
        }
        if ((took = unicode_escape(in + i, n - i, u, &k)) > 0) {
            strbuf_append(out, u, k);
            i += took - 1;
        } else {
            char e = in[++i];
            strbuf_putc(out, e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? ' ' : e);
        }
    }
    while (b < nb)
        out_bounds[b++] = out->len;
}

static void unescape(const char *in, size_t n, struct strbuf *out)
{
    unescape_mapped(in, n, NULL, 0, out, NULL);
}

/* The text of JSON that need not be whole (a run of chunks): its bytes with
 * string escapes decoded, twice for text inside a JSON string inside JSON
 * (the `input` form), so that what a person typed is found as they typed it.
 * Keys and punctuation stay: a chunk cannot tell keys from text. The pieces
 * are decoded together: an edge may fall inside an escape (CJK written as
 * \uXXXX). ends[] (raw offsets in, text offsets out). */
static void decode_pieces(const char *raw, size_t len, size_t *ends, int pieces, struct strbuf *out)
{
    struct strbuf once = STRBUF_INIT;
    size_t once_ends[TG_SEARCH_RUN_MAX + 2];
    unescape_mapped(raw, len, ends, pieces, &once, once_ends);
    unescape_mapped(once.data ? once.data : "", once.len, once_ends, pieces, out, ends);
    if (once.failed)
        out->failed = true;
    strbuf_free(&once);
}

void tg_search_run_needle(const char *text, size_t len, struct strbuf *out)
{
    unescape(text, len, out);
}

/* The last (tail) or first `want` bytes of b, not cutting a UTF-8 character. */
static void edge_of(const char *b, size_t len, bool tail, size_t want, const char **out, size_t *out_len)
{
    if (len <= want) {
        *out = b;
        *out_len = len;
        return;
    }
    size_t from = tail ? len - want : 0, to = tail ? len : want;
    while (tail && from < len && ((unsigned char)b[from] & 0xC0) == 0x80)
        from++;
    while (!tail && to > 0 && ((unsigned char)b[to] & 0xC0) == 0x80)
        to--;
    *out = b + from;
    *out_len = to - from;
}

static int add_piece(struct tg_chunk_reader *reader, int64_t id, int edge, struct tg_search_run_text *t,
                     struct strbuf *sb)
{
    const char *bytes;
    size_t len;
    int rc = tg_chunk_reader_get(reader, id, &bytes, &len);
    if (rc != 0)
        return rc;
    if (edge)
        edge_of(bytes, len, edge < 0, TG_SEARCH_OVERLAP, &bytes, &len);
    strbuf_append(sb, bytes, len); /* raw: decoded together (decode_pieces) */
    t->ids[t->pieces] = id;
    t->ends[t->pieces++] = sb->len;
    return 0;
}

int tg_search_run_text(struct tg_chunk_reader *reader, int64_t prev, int64_t first, int64_t count, int64_t next,
                       struct tg_search_run_text *out)
{
    memset(out, 0, sizeof *out);
    out->whole = true;
    if (count <= 0 || count > TG_SEARCH_RUN_MAX)
        return -1;
    struct strbuf sb = STRBUF_INIT;
    int rc = 0;
    if (prev > 0 && (rc = add_piece(reader, prev, -1, out, &sb)) != 0)
        out->whole = false; /* a neighbour swept: indexed with it, checked without */
    rc = 0;
    for (int64_t i = 0; i < count && rc == 0; i++)
        rc = add_piece(reader, first + i, 0, out, &sb);
    if (rc == 0 && next > 0 && add_piece(reader, next, 1, out, &sb) != 0)
        out->whole = false;
    struct strbuf text = STRBUF_INIT;
    if (rc == 0)
        decode_pieces(sb.data ? sb.data : "", sb.len, out->ends, out->pieces, &text);
    strbuf_free(&sb);
    if (rc == 0 && text.failed)
        rc = -1;
    if (rc != 0) {
        strbuf_free(&text);
        return rc;
    }
    strbuf_putc(&text, '\0');
    out->len = text.len - 1;
    out->text = strbuf_detach(&text);
    return out->text ? 0 : -1;
}

static bool folds_to_space(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '"' || c == '{' || c == '}' || c == '[' ||
           c == ']' || c == ':' || c == ',';
}

static bool blob_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
           c == '=' || c == '-' || c == '_';
}

/* Whether the run of blob characters [from, to) looks like base64 (an
 * encrypted reasoning block, an image, a token): long, and mixing upper
 * case, lower case and digits as words, paths and hex digests do not. */
static bool is_blob(const char *text, size_t from, size_t to)
{
    if (to - from < TG_SEARCH_BLOB_MIN)
        return false;
    size_t upper = 0, lower = 0, digits = 0;
    for (size_t i = from; i < to; i++) {
        char c = text[i];
        upper += c >= 'A' && c <= 'Z';
        lower += c >= 'a' && c <= 'z';
        digits += c >= '0' && c <= '9';
    }
    return upper >= 8 && lower >= 8 && digits >= 4;
}

void tg_search_index_form(const char *text, size_t len, struct strbuf *out)
{
    strbuf_reserve(out, len);
    bool spaced = false; /* the last character put was a folded space */
    for (size_t i = 0; i < len;) {
        if (blob_char(text[i])) {
            size_t end = i;
            while (end < len && blob_char(text[end]))
                end++;
            if (is_blob(text, i, end)) {
                if (!spaced)
                    strbuf_putc(out, ' ');
                spaced = true;
                i = end;
                continue;
            }
            strbuf_append(out, text + i, end - i);
            i = end;
            spaced = false;
        } else if (folds_to_space(text[i])) {
            if (!spaced)
                strbuf_putc(out, ' ');
            spaced = true;
            i++;
        } else {
            strbuf_putc(out, text[i++]);
            spaced = false;
        }
    }
}

void tg_search_fold(const char *s, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++)
        out[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
}

long tg_search_find_in(const char *hay, size_t hay_len, size_t from, const char *needle, size_t needle_len)
{
    if (needle_len == 0 || hay_len < needle_len)
        return -1;
    for (size_t i = from; i + needle_len <= hay_len; i++) {
        const char *p = memchr(hay + i, needle[0], hay_len - needle_len + 1 - i);
        if (!p)
            return -1;
        i = (size_t)(p - hay);
        if (memcmp(p, needle, needle_len) == 0)
            return (long)i;
    }
    return -1;
}

size_t tg_search_put_varint(unsigned char *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (unsigned char)v;
    return n;
}

bool tg_search_get_varint(const unsigned char *in, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64 && *pos < len; shift += 7) {
        unsigned char b = in[(*pos)++];
        x |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}
