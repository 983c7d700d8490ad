#include "log/bodyids.h"

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "log/body.h"
#include "log/logmodel.h"

bool tg_body_uuid_canonical(const char *s, size_t len)
{
    if (!s || len != TG_BODY_UUID_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

/* The first occurrence of the 36 characters of id in raw, or SIZE_MAX. */
static size_t first_at(const char *raw, size_t len, const char *id)
{
    const char *p = memmem(raw, len, id, TG_BODY_UUID_LEN);
    return p ? (size_t)(p - raw) : SIZE_MAX;
}

static void add(struct tg_body_ids *out, size_t at, unsigned char kind)
{
    size_t i = out->count++;
    if (i == 1 && at < out->at[0]) { /* keep them ascending */
        out->at[1] = out->at[0];
        out->kind[1] = out->kind[0];
        i = 0;
    }
    out->at[i] = at;
    out->kind[i] = kind;
}

void tg_body_ids_find(const char *raw, size_t len, const char *log_id, const char *thread_id, struct tg_body_ids *out)
{
    out->count = 0;
    if (len > TG_BODY_IDS_MAX_LOG)
        return;
    bool log_ok = log_id && tg_body_uuid_canonical(log_id, strlen(log_id));
    size_t log_at = log_ok ? first_at(raw, len, log_id) : SIZE_MAX;
    if (log_at != SIZE_MAX)
        add(out, log_at, TG_BODY_ID_LOG);
    if (!thread_id || !tg_body_uuid_canonical(thread_id, strlen(thread_id)) ||
        (log_ok && strcmp(log_id, thread_id) == 0))
        return;
    size_t at = first_at(raw, len, thread_id);
    if (at == SIZE_MAX)
        return;
    if (log_at != SIZE_MAX && at < log_at + TG_BODY_UUID_LEN && log_at < at + TG_BODY_UUID_LEN)
        return; /* overlapping */
    add(out, at, TG_BODY_ID_THREAD);
}

void tg_body_ids_remove(const char *raw, size_t len, const struct tg_body_ids *ids, char *out)
{
    size_t from = 0, n = 0;
    for (size_t i = 0; i < ids->count; i++) {
        memcpy(out + n, raw + from, ids->at[i] - from);
        n += ids->at[i] - from;
        from = ids->at[i] + TG_BODY_UUID_LEN;
    }
    memcpy(out + n, raw + from, len - from);
}

size_t tg_body_ids_encode(const struct tg_body_ids *ids, unsigned char *out)
{
    size_t n = 0, prev = 0;
    for (size_t i = 0; i < ids->count; i++) {
        uint64_t v = ((uint64_t)(ids->at[i] - prev) << 1) | ids->kind[i];
        while (v >= 0x80) {
            out[n++] = (unsigned char)(v | 0x80);
            v >>= 7;
        }
        out[n++] = (unsigned char)v;
        prev = ids->at[i] + TG_BODY_UUID_LEN;
    }
    return n;
}

int tg_body_ids_decode(const unsigned char *in, size_t len, struct tg_body_ids *out)
{
    out->count = 0;
    size_t pos = 0, prev = 0;
    while (pos < len) {
        if (out->count == TG_BODY_IDS_MAX)
            return -1;
        uint64_t v = 0;
        unsigned shift = 0;
        for (;;) {
            if (pos >= len || shift > 56)
                return -1;
            unsigned char b = in[pos++];
            v |= (uint64_t)(b & 0x7f) << shift;
            shift += 7;
            if (!(b & 0x80))
                break;
        }
        if ((v >> 1) > SIZE_MAX / 4) /* two of them, and the ids, never overflow */
            return -1;
        out->at[out->count] = prev + (size_t)(v >> 1);
        out->kind[out->count] = (unsigned char)(v & 1);
        prev = out->at[out->count] + TG_BODY_UUID_LEN;
        out->count++;
    }
    return 0;
}

int tg_body_ids_restore(const char *text, size_t text_len, const struct tg_body_ids *ids,
                        const char *const ids_text[TG_BODY_IDS_MAX], char **out, size_t *out_len)
{
    *out = NULL;
    size_t total = text_len + ids->count * TG_BODY_UUID_LEN;
    char *buf = malloc(total + 1);
    if (!buf)
        return -1;
    size_t from = 0, n = 0; /* from: in text; n: in the log */
    for (size_t i = 0; i < ids->count; i++) {
        const char *id = ids_text[ids->kind[i]];
        if (!id || ids->at[i] < n || ids->at[i] - n > text_len - from) {
            free(buf);
            return -1;
        }
        size_t gap = ids->at[i] - n;
        memcpy(buf + n, text + from, gap);
        from += gap;
        n += gap;
        memcpy(buf + n, id, TG_BODY_UUID_LEN);
        n += TG_BODY_UUID_LEN;
    }
    memcpy(buf + n, text + from, text_len - from);
    buf[total] = '\0';
    *out = buf;
    *out_len = total;
    return 0;
}

int tg_body_prepare_log(struct tg_body_codec *codec, struct tg_msgcache *known, bool mark_known,
                        const struct tg_log *log, struct tg_body_prepared **out, char *err, size_t errlen)
{
    struct tg_body_ids ids;
    tg_body_ids_find(log->raw, log->raw_len, log->log_id, log->thread_id, &ids);
    if (ids.count == 0)
        return tg_body_prepare(codec, known, mark_known, log->raw, log->raw_len, out, err, errlen);
    size_t text_len = log->raw_len - ids.count * TG_BODY_UUID_LEN;
    char *text = malloc(text_len + 1);
    if (!text) {
        snprintf(err, errlen, "out of memory preparing a body");
        return -1;
    }
    tg_body_ids_remove(log->raw, log->raw_len, &ids, text);
    struct tg_body_prepared *p;
    if (tg_body_prepare(codec, known, mark_known, text, text_len, &p, err, errlen) != 0) {
        free(text);
        return -1;
    }
    /* the text joins the block, so free() still releases it whole */
    size_t head = sizeof *p + p->count * sizeof p->chunks[0];
    struct tg_body_prepared *grown = realloc(p, head + text_len + 1);
    if (!grown) {
        free(p);
        free(text);
        snprintf(err, errlen, "out of memory preparing a body");
        return -1;
    }
    char *copy = (char *)grown + head;
    memcpy(copy, text, text_len);
    copy[text_len] = '\0';
    free(text);
    grown->text = copy;
    grown->ids = ids;
    *out = grown;
    return 0;
}
