#include "log/body.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <zdict.h>
#include <zstd.h>

#include "base/jsonsplit.h"
#include "base/sha256.h"
#include "log/chunker.h"

/* Two efforts. Fast (level 3) for most frames; strong (level 6, zstd's
 * lazy matcher) for packs of traffic that is mostly known already, such as
 * coding agents' (~5% of their bytes are new chunks): it takes 3.3% off the
 * agent corpus's db for no measurable import time, where on small logs
 * (60% new bytes) it would cost a quarter more CPU for 1.7% (docs/storage.md). */
#define LEVEL_FAST 3
#define LEVEL_STRONG 6

struct tg_body_codec {
    ZSTD_CCtx *cctx;
    ZSTD_CDict *cdict[2]; /* the dictionary at each effort: a CDict fixes the level */
    int level[2];         /* fast, strong */
    int64_t dict_id;
    bool strong;
};

static int level_of(const struct tg_body_codec *codec, bool strong)
{
    return codec->level[strong];
}

struct tg_body_codec *tg_body_codec_new(void)
{
    return tg_body_codec_new_at(LEVEL_FAST, LEVEL_STRONG);
}

struct tg_body_codec *tg_body_codec_new_at(int fast, int strong)
{
    struct tg_body_codec *codec = calloc(1, sizeof *codec);
    if (!codec)
        return NULL;
    codec->cctx = ZSTD_createCCtx();
    if (!codec->cctx) {
        free(codec);
        return NULL;
    }
    codec->level[0] = fast;
    codec->level[1] = strong;
    ZSTD_CCtx_setParameter(codec->cctx, ZSTD_c_compressionLevel, fast);
    /* Sizes and dictionaries are in the db already: frames need not repeat
     * them, which counts when a message is a frame of a hundred bytes. */
    ZSTD_CCtx_setParameter(codec->cctx, ZSTD_c_contentSizeFlag, 0);
    ZSTD_CCtx_setParameter(codec->cctx, ZSTD_c_dictIDFlag, 0);
    return codec;
}

void tg_body_codec_free(struct tg_body_codec *codec)
{
    if (!codec)
        return;
    ZSTD_freeCDict(codec->cdict[0]);
    ZSTD_freeCDict(codec->cdict[1]);
    ZSTD_freeCCtx(codec->cctx);
    free(codec);
}

int tg_body_codec_set_dict(struct tg_body_codec *codec, const void *dict, size_t len, int64_t dict_id)
{
    ZSTD_CDict *fast = ZSTD_createCDict(dict, len, codec->level[0]),
               *strong = ZSTD_createCDict(dict, len, codec->level[1]);
    if (!fast || !strong || ZSTD_isError(ZSTD_CCtx_refCDict(codec->cctx, codec->strong ? strong : fast))) {
        ZSTD_freeCDict(fast);
        ZSTD_freeCDict(strong);
        return -1;
    }
    ZSTD_freeCDict(codec->cdict[0]);
    ZSTD_freeCDict(codec->cdict[1]);
    codec->cdict[0] = fast;
    codec->cdict[1] = strong;
    codec->dict_id = dict_id;
    return 0;
}

int tg_body_codec_set_strong(struct tg_body_codec *codec, bool strong)
{
    if (strong == codec->strong)
        return 0;
    ZSTD_CDict *cdict = codec->cdict[strong];
    size_t rc = cdict ? ZSTD_CCtx_refCDict(codec->cctx, cdict)
                      : ZSTD_CCtx_setParameter(codec->cctx, ZSTD_c_compressionLevel, level_of(codec, strong));
    if (ZSTD_isError(rc))
        return -1;
    codec->strong = strong;
    return 0;
}

int64_t tg_body_codec_dict_id(const struct tg_body_codec *codec)
{
    return codec->dict_id;
}

/* The dictionary is referenced by the context (see tg_body_codec_set_dict),
 * so one call serves both, with the context's lean frame parameters. */
static size_t compress_into(struct tg_body_codec *codec, unsigned char *dst, size_t cap, const char *src, size_t len)
{
    return ZSTD_compress2(codec->cctx, dst, cap, src, len);
}

int tg_body_compress(struct tg_body_codec *codec, const char *raw, size_t len, void **out,
                     size_t *out_len, char *err, size_t errlen)
{
    size_t bound = ZSTD_compressBound(len);
    void *buf = malloc(bound);
    if (!buf) {
        snprintf(err, errlen, "out of memory compressing a body");
        return -1;
    }
    size_t n = compress_into(codec, buf, bound, raw, len);
    if (ZSTD_isError(n)) {
        free(buf);
        snprintf(err, errlen, "compressing a body: %s", ZSTD_getErrorName(n));
        return -1;
    }
    *out = buf;
    *out_len = n;
    return 0;
}

void tg_body_stream_begin(struct tg_body_codec *codec)
{
    ZSTD_CCtx_reset(codec->cctx, ZSTD_reset_session_only); /* keeps the level and dictionary */
}

int tg_body_stream_feed(struct tg_body_codec *codec, const void *src, size_t len, enum tg_body_stream_step step,
                        unsigned char **z, size_t *z_len, size_t *z_cap, char *err, size_t errlen)
{
    ZSTD_EndDirective how = step == TG_BODY_END ? ZSTD_e_end : step == TG_BODY_FLUSH ? ZSTD_e_flush : ZSTD_e_continue;
    ZSTD_inBuffer in = {src, len, 0};
    for (;;) {
        size_t want = *z_len + ZSTD_compressBound(in.size - in.pos) + ZSTD_CStreamOutSize();
        if (want > *z_cap) {
            size_t cap = *z_cap ? *z_cap : 65536;
            while (cap < want)
                cap *= 2;
            unsigned char *grown = realloc(*z, cap);
            if (!grown) {
                snprintf(err, errlen, "out of memory compressing chunks");
                return -1;
            }
            *z = grown;
            *z_cap = cap;
        }
        ZSTD_outBuffer out = {*z, *z_cap, *z_len};
        size_t left = ZSTD_compressStream2(codec->cctx, &out, &in, how);
        *z_len = out.pos;
        if (ZSTD_isError(left)) {
            snprintf(err, errlen, "compressing chunks: %s", ZSTD_getErrorName(left));
            return -1;
        }
        if (in.pos == in.size && (how == ZSTD_e_continue || left == 0))
            return 0;
    }
}

int tg_body_train(const char *samples, const size_t *sizes, unsigned count, size_t max_len, void **dict,
                  size_t *dict_len)
{
    void *buf = malloc(max_len);
    if (!buf)
        return -1;
    size_t n = ZDICT_trainFromBuffer(buf, max_len, samples, sizes, count);
    if (ZDICT_isError(n)) {
        free(buf);
        return -1;
    }
    *dict = buf;
    *dict_len = n;
    return 0;
}

void tg_body_trainer_keep(struct tg_body_trainer *t, const char *raw, size_t len)
{
    if (t->done || t->count == TG_BODY_TRAIN_SAMPLES || t->len >= TG_BODY_TRAIN_MAX_BYTES)
        return; /* enough: the owner trains when it next looks */
    if (t->len + len > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : (1 << 20);
        while (cap < t->len + len)
            cap *= 2;
        char *b = realloc(t->bytes, cap);
        if (!b) {
            tg_body_trainer_stop(t);
            return;
        }
        t->bytes = b;
        t->cap = cap;
    }
    memcpy(t->bytes + t->len, raw, len);
    t->len += len;
    t->sizes[t->count++] = len;
}

bool tg_body_trainer_ready(const struct tg_body_trainer *t)
{
    return !t->done && (t->count >= TG_BODY_TRAIN_SAMPLES || t->len >= TG_BODY_TRAIN_MAX_BYTES);
}

int tg_body_trainer_train(struct tg_body_trainer *t, void **dict, size_t *len)
{
    int rc = tg_body_train(t->bytes, t->sizes, t->count, TG_BODY_DICT_MAX_BYTES, dict, len);
    tg_body_trainer_stop(t); /* one try */
    return rc;
}

void tg_body_trainer_stop(struct tg_body_trainer *t)
{
    free(t->bytes);
    t->bytes = NULL;
    t->len = t->cap = 0;
    t->done = true;
}

struct piece_scan {
    const char *raw;
    size_t *offsets, *lengths;
    size_t count, max;
};

static void add_piece(struct piece_scan *s, const char *text, size_t len)
{
    if (len < TG_BODY_MIN_PIECE || s->count == s->max)
        return;
    s->offsets[s->count] = (size_t)(text - s->raw);
    s->lengths[s->count] = len;
    s->count++;
}

static int each_message(void *ctx, const char *text, size_t len, long index)
{
    (void)index;
    if (text[0] == '{') /* a message object; anything else stays in the skeleton */
        add_piece(ctx, text, len);
    return 0;
}

static bool key_is(const char *key, size_t len, const char *name)
{
    return strlen(name) == len && memcmp(key, name, len) == 0;
}

static int each_member(void *ctx, const char *key, size_t key_len, const char *value, size_t value_len)
{
    size_t at;
    if (key_is(key, key_len, "prompt_messages") || key_is(key, key_len, "completion_messages"))
        tg_json_split_array(value, value_len, each_message, ctx, &at);
    else if (key_is(key, key_len, "completion_message") && value[0] == '{')
        add_piece(ctx, value, value_len);
    return 0;
}

size_t tg_body_find_pieces(const char *raw, size_t len, size_t *offsets, size_t *lengths, size_t max)
{
    struct piece_scan s = {.raw = raw, .offsets = offsets, .lengths = lengths, .max = max};
    size_t at;
    if (tg_json_split_object(raw, len, each_member, &s, &at) != 0)
        return 0; /* not an object we can cut: kept whole */
    return s.count;
}

void tg_body_digest(const char *text, size_t len, unsigned char *out)
{
    tg_sha256(text, len, out);
}

/* Whether chunk i is the first of its digest in this log. A log repeats few
 * chunks, and only long runs of equal bytes cut the same way: comparing with
 * the chunks of the same length before it is enough, and cheap. */
static bool first_of_its_digest(const struct tg_body_chunk *chunks, size_t i)
{
    for (size_t j = 0; j < i; j++) {
        if (chunks[j].len == chunks[i].len && memcmp(chunks[j].digest, chunks[i].digest, TG_DIGEST_LEN) == 0)
            return false;
    }
    return true;
}

/* Cuts and digests; marks which chunks go into the pack. Returns the pack's
 * raw length. */
static size_t cut_and_mark(struct tg_msgcache *known, const char *raw, const size_t *ends, size_t count,
                           struct tg_body_chunk *chunks, size_t *pack_count)
{
    size_t from = 0, pack_len = 0;
    *pack_count = 0;
    for (size_t i = 0; i < count; i++) {
        struct tg_body_chunk *c = &chunks[i];
        c->off = from;
        c->len = ends[i] - from;
        from = ends[i];
        tg_body_digest(raw + c->off, c->len, c->digest);
        c->in_pack = (!known || tg_msgcache_get(known, c->digest) == 0) && first_of_its_digest(chunks, i);
        if (c->in_pack) {
            pack_len += c->len;
            (*pack_count)++;
        }
    }
    return pack_len;
}

int tg_body_prepare(struct tg_body_codec *codec, struct tg_msgcache *known, bool mark_known, const char *raw,
                    size_t len, struct tg_body_prepared **out, char *err, size_t errlen)
{
    *out = NULL;
    size_t bound = TG_CHUNK_COUNT_BOUND(len);
    size_t *ends = malloc(bound * sizeof *ends);
    struct tg_body_prepared *p = malloc(sizeof *p + bound * sizeof p->chunks[0]);
    if (!ends || !p) {
        free(ends);
        free(p);
        snprintf(err, errlen, "out of memory preparing a body");
        return -1;
    }
    size_t count = tg_chunk_cuts(raw, len, ends, bound), pack_count;
    p->pack_len = cut_and_mark(known, raw, ends, count, p->chunks, &pack_count);
    free(ends);
    p->raw_len = len;
    p->text = NULL;
    p->ids.count = 0;
    p->dict_id = codec ? codec->dict_id : 0;
    p->pack_count = pack_count;
    p->count = count;
    for (size_t i = 0; known && mark_known && i < count; i++) {
        if (p->chunks[i].in_pack)
            tg_msgcache_put(known, p->chunks[i].digest, 1);
    }
    *out = p;
    return 0;
}

static size_t put_varint(unsigned char *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (unsigned char)v;
    return n;
}

static bool get_varint(const unsigned char *in, size_t len, size_t *pos, uint64_t *v)
{
    *v = 0;
    for (unsigned shift = 0; shift < 64 && *pos < len; shift += 7) {
        unsigned char b = in[(*pos)++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

size_t tg_body_refs_encode(const size_t *at, const int64_t *ids, size_t count, unsigned char *out)
{
    size_t n = 0, prev = 0;
    for (size_t i = 0; i < count; i++) {
        n += put_varint(out + n, at[i] - prev);
        n += put_varint(out + n, (uint64_t)ids[i]);
        prev = at[i];
    }
    return n;
}

long tg_body_refs_decode(const unsigned char *in, size_t len, size_t *at, int64_t *ids, size_t max)
{
    size_t pos = 0, count = 0, prev = 0;
    while (pos < len) {
        uint64_t delta, id;
        if (count == max || !get_varint(in, len, &pos, &delta) || !get_varint(in, len, &pos, &id) ||
            delta > SIZE_MAX - prev || id == 0 || id > INT64_MAX)
            return -1;
        prev += (size_t)delta;
        at[count] = prev;
        ids[count] = (int64_t)id;
        count++;
    }
    return (long)count;
}

struct known_dict {
    int64_t id;
    ZSTD_DDict *ddict;
};

struct tg_body_decoder {
    ZSTD_DCtx *dctx;
    struct known_dict *dicts;
    size_t count;
};

struct tg_body_decoder *tg_body_decoder_new(void)
{
    struct tg_body_decoder *d = calloc(1, sizeof *d);
    if (d && !(d->dctx = ZSTD_createDCtx())) {
        free(d);
        return NULL;
    }
    return d;
}

void tg_body_decoder_free(struct tg_body_decoder *decoder)
{
    if (!decoder)
        return;
    for (size_t i = 0; i < decoder->count; i++)
        ZSTD_freeDDict(decoder->dicts[i].ddict);
    free(decoder->dicts);
    ZSTD_freeDCtx(decoder->dctx);
    free(decoder);
}

static ZSTD_DDict *find_ddict(const struct tg_body_decoder *decoder, int64_t id)
{
    for (size_t i = 0; i < decoder->count; i++) {
        if (decoder->dicts[i].id == id)
            return decoder->dicts[i].ddict;
    }
    return NULL;
}

bool tg_body_decoder_knows(const struct tg_body_decoder *decoder, int64_t id)
{
    return find_ddict(decoder, id) != NULL;
}

int tg_body_decoder_add_dict(struct tg_body_decoder *decoder, int64_t id, const void *dict, size_t len)
{
    if (find_ddict(decoder, id))
        return 0;
    struct known_dict *grown = realloc(decoder->dicts, (decoder->count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    decoder->dicts = grown;
    ZSTD_DDict *ddict = ZSTD_createDDict(dict, len);
    if (!ddict)
        return -1;
    decoder->dicts[decoder->count++] = (struct known_dict){.id = id, .ddict = ddict};
    return 0;
}

int tg_body_decode(struct tg_body_decoder *decoder, const void *z, size_t z_len, size_t raw_len, int64_t dict_id,
                   char **out)
{
    ZSTD_DDict *ddict = dict_id ? find_ddict(decoder, dict_id) : NULL;
    if (dict_id && !ddict)
        return -1;
    char *buf = malloc(raw_len + 1);
    if (!buf)
        return -1;
    size_t n = ddict ? ZSTD_decompress_usingDDict(decoder->dctx, buf, raw_len, z, z_len, ddict)
                     : ZSTD_decompressDCtx(decoder->dctx, buf, raw_len, z, z_len);
    if (ZSTD_isError(n) || n != raw_len) {
        free(buf);
        return -1;
    }
    buf[raw_len] = '\0';
    *out = buf;
    return 0;
}

int tg_body_decode_prefix(struct tg_body_decoder *decoder, const void *z, size_t z_len, size_t raw_len, size_t need,
                          int64_t dict_id, char **out)
{
    ZSTD_DDict *ddict = dict_id ? find_ddict(decoder, dict_id) : NULL;
    if ((dict_id && !ddict) || need > raw_len)
        return -1;
    char *buf = malloc(need + 1);
    if (!buf)
        return -1;
    ZSTD_DCtx *d = decoder->dctx;
    ZSTD_DCtx_reset(d, ZSTD_reset_session_and_parameters);
    bool ok = !ddict || !ZSTD_isError(ZSTD_DCtx_refDDict(d, ddict));
    ZSTD_inBuffer in = {z, z_len, 0};
    ZSTD_outBuffer o = {buf, need, 0};
    while (ok && o.pos < need) {
        size_t in_was = in.pos, out_was = o.pos;
        size_t r = ZSTD_decompressStream(d, &o, &in);
        ok = !ZSTD_isError(r) && (r != 0 || o.pos == need) && (in.pos > in_was || o.pos > out_was);
    }
    /* the one-shot calls would use a dictionary left referenced */
    ZSTD_DCtx_reset(d, ZSTD_reset_session_and_parameters);
    if (!ok) {
        free(buf);
        return -1;
    }
    buf[need] = '\0';
    *out = buf;
    return 0;
}

size_t tg_body_varints_encode(const size_t *v, size_t count, unsigned char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        n += put_varint(out + n, v[i]);
    return n;
}

int tg_body_varints_decode(const unsigned char *in, size_t len, size_t *v, size_t count)
{
    size_t pos = 0;
    for (size_t i = 0; i < count; i++) {
        uint64_t x;
        if (!get_varint(in, len, &pos, &x) || x > SIZE_MAX)
            return -1;
        v[i] = (size_t)x;
    }
    return pos == len ? 0 : -1;
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

size_t tg_body_chunk_refs_encode(const int64_t *ids, size_t count, unsigned char *out)
{
    size_t n = 0, i = 0;
    int64_t prev_end = 0; /* the id after the last run */
    while (i < count) {
        size_t run = 1;
        while (i + run < count && ids[i + run] == ids[i] + (int64_t)run)
            run++;
        n += put_varint(out + n, zigzag(ids[i] - prev_end));
        n += put_varint(out + n, run);
        prev_end = ids[i] + (int64_t)run;
        i += run;
    }
    return n;
}

long tg_body_chunk_refs_decode(const unsigned char *in, size_t len, size_t max, int64_t **ids)
{
    size_t pos = 0, count = 0, cap = 0;
    int64_t *out = NULL, prev_end = 0;
    while (pos < len) {
        uint64_t delta, run;
        if (!get_varint(in, len, &pos, &delta) || !get_varint(in, len, &pos, &run) || run == 0 ||
            run > max - count)
            goto damaged;
        int64_t first;
        if (__builtin_add_overflow(prev_end, unzigzag(delta), &first) || first <= 0 ||
            first > INT64_MAX - (int64_t)run)
            goto damaged;
        if (count + run > cap) {
            size_t grown_cap = cap ? cap * 2 : 64;
            while (grown_cap < count + run)
                grown_cap *= 2;
            int64_t *grown = realloc(out, grown_cap * sizeof *grown);
            if (!grown)
                goto damaged;
            out = grown;
            cap = grown_cap;
        }
        for (uint64_t k = 0; k < run; k++)
            out[count++] = first + (int64_t)k;
        prev_end = first + (int64_t)run;
    }
    *ids = out;
    return (long)count;
damaged:
    free(out);
    *ids = NULL;
    return -1;
}

size_t tg_body_owners_encode(const int64_t *request_ids, const size_t *counts, size_t runs, unsigned char *out)
{
    size_t n = 0;
    int64_t prev = 0;
    for (size_t i = 0; i < runs; i++) {
        /* wrapping arithmetic: any ids encode and decode back */
        n += put_varint(out + n, zigzag((int64_t)((uint64_t)request_ids[i] - (uint64_t)prev)));
        n += put_varint(out + n, counts[i]);
        prev = request_ids[i];
    }
    return n;
}

long tg_body_owners_decode(const unsigned char *in, size_t len, int64_t **request_ids, size_t **counts)
{
    size_t pos = 0, runs = 0, cap = len / 2 + 1; /* two bytes at least a run */
    int64_t *ids = malloc(cap * sizeof *ids), prev = 0;
    size_t *cs = malloc(cap * sizeof *cs);
    while (ids && cs && pos < len) {
        uint64_t delta, count;
        if (!get_varint(in, len, &pos, &delta) || !get_varint(in, len, &pos, &count) || count == 0 ||
            count > SIZE_MAX)
            break;
        prev = (int64_t)((uint64_t)prev + (uint64_t)unzigzag(delta));
        ids[runs] = prev;
        cs[runs++] = (size_t)count;
    }
    if (!ids || !cs || pos < len) {
        free(ids);
        free(cs);
        *request_ids = NULL;
        *counts = NULL;
        return -1;
    }
    *request_ids = ids;
    *counts = cs;
    return (long)runs;
}

int tg_body_pack_lens_decode(const unsigned char *in, size_t len, size_t *v, size_t count,
                             struct tg_body_pack_split *split)
{
    *split = (struct tg_body_pack_split){0};
    size_t pos = 0;
    for (size_t i = 0; i < count; i++) {
        uint64_t x;
        if (!get_varint(in, len, &pos, &x) || x > SIZE_MAX)
            return -1;
        v[i] = (size_t)x;
    }
    if (pos == len)
        return 0;
    uint64_t head_z;
    if (!get_varint(in, len, &pos, &head_z) || head_z > SIZE_MAX || len - pos != (count + 7) / 8)
        return -1;
    *split = (struct tg_body_pack_split){.two = true, .head_z = (size_t)head_z, .heads = in + pos};
    return 0;
}

size_t tg_body_pack_trailer_encode(size_t head_z, const unsigned char *heads, size_t count, unsigned char *out)
{
    size_t n = put_varint(out, head_z), bytes = (count + 7) / 8;
    memcpy(out + n, heads, bytes);
    return n + bytes;
}

static bool is_head(const struct tg_body_pack_split *split, size_t i)
{
    return split->heads[i / 8] & (1u << (i % 8));
}

int tg_body_decode_split(struct tg_body_decoder *decoder, const void *z, size_t z_len, const size_t *lens,
                         size_t count, const struct tg_body_pack_split *split, size_t raw_len, size_t need,
                         int64_t dict_id, char **out)
{
    size_t total[2] = {0, 0}, want[2] = {0, 0}, at = 0, upto = 0;
    for (size_t i = 0; i < count; i++) {
        int h = is_head(split, i);
        if (total[h] + lens[i] < total[h])
            return -1;
        total[h] += lens[i];
        at += lens[i];
        if (at <= need) {
            want[h] = total[h];
            upto = i + 1;
        }
    }
    if (at != raw_len || split->head_z > z_len || want[0] + want[1] != need)
        return -1;
    const unsigned char *zb = z;
    char *part[2] = {NULL, NULL};
    char *buf = malloc(need + 1);
    int rc = buf ? 0 : -1;
    if (rc == 0 && want[1])
        rc = tg_body_decode_prefix(decoder, zb, split->head_z, total[1], want[1], dict_id, &part[1]);
    if (rc == 0 && want[0])
        rc = tg_body_decode_prefix(decoder, zb + split->head_z, z_len - split->head_z, total[0], want[0], dict_id,
                                   &part[0]);
    if (rc == 0) {
        size_t from[2] = {0, 0}, n = 0;
        for (size_t i = 0; i < upto; i++) {
            int h = is_head(split, i);
            memcpy(buf + n, part[h] + from[h], lens[i]);
            from[h] += lens[i];
            n += lens[i];
        }
        buf[need] = '\0';
        *out = buf;
    } else {
        free(buf);
    }
    free(part[0]);
    free(part[1]);
    return rc;
}
