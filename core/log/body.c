#include "log/body.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <zdict.h>
#include <zstd.h>

#include "base/jsonsplit.h"

/* Bodies are written far more often than read: favour speed over ratio. */
#define BODY_ZSTD_LEVEL 1

struct tg_body_codec {
    ZSTD_CCtx *cctx;
    ZSTD_CDict *cdict;
    int64_t dict_id;
};

struct tg_body_codec *tg_body_codec_new(void)
{
    struct tg_body_codec *codec = calloc(1, sizeof *codec);
    if (!codec)
        return NULL;
    codec->cctx = ZSTD_createCCtx();
    if (!codec->cctx) {
        free(codec);
        return NULL;
    }
    ZSTD_CCtx_setParameter(codec->cctx, ZSTD_c_compressionLevel, BODY_ZSTD_LEVEL);
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
    ZSTD_freeCDict(codec->cdict);
    ZSTD_freeCCtx(codec->cctx);
    free(codec);
}

int tg_body_codec_set_dict(struct tg_body_codec *codec, const void *dict, size_t len, int64_t dict_id)
{
    ZSTD_CDict *cdict = ZSTD_createCDict(dict, len, BODY_ZSTD_LEVEL);
    if (!cdict)
        return -1;
    if (ZSTD_isError(ZSTD_CCtx_refCDict(codec->cctx, cdict))) {
        ZSTD_freeCDict(cdict);
        return -1;
    }
    ZSTD_freeCDict(codec->cdict);
    codec->cdict = cdict;
    codec->dict_id = dict_id;
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


static void digest_of(const char *text, size_t len, unsigned char *out)
{
    unsigned int n = 0;
    EVP_Digest(text, len, out, &n, EVP_sha256(), NULL);
}

/* Which pieces this preparer compresses: those it has not sent before. */
static size_t mark_new_pieces(struct tg_msgcache *sent, struct tg_body_piece *pieces, size_t count, bool *is_new)
{
    size_t bytes = 0;
    for (size_t i = 0; i < count; i++) {
        is_new[i] = !sent || tg_msgcache_get(sent, pieces[i].digest) == 0;
        for (size_t j = 0; is_new[i] && j < i; j++) /* the same message twice in one log */
            is_new[i] = memcmp(pieces[j].digest, pieces[i].digest, TG_DIGEST_LEN) != 0;
        if (is_new[i])
            bytes += ZSTD_compressBound(pieces[i].len);
    }
    return bytes;
}

/* Copies raw without the pieces into skel; sets each piece's `at`. */
static size_t cut_skeleton(const char *raw, size_t len, struct tg_body_piece *pieces, size_t count, char *skel)
{
    size_t from = 0, n = 0;
    for (size_t i = 0; i < count; i++) {
        memcpy(skel + n, raw + from, pieces[i].raw_off - from);
        n += pieces[i].raw_off - from;
        pieces[i].at = n;
        from = pieces[i].raw_off + pieces[i].len;
    }
    memcpy(skel + n, raw + from, len - from);
    return n + len - from;
}

int tg_body_prepare(struct tg_body_codec *codec, struct tg_msgcache *sent, const char *raw, size_t len,
                    struct tg_body_prepared **out, char *err, size_t errlen)
{
    *out = NULL;
    size_t offsets[TG_BODY_MAX_PIECES], lengths[TG_BODY_MAX_PIECES];
    size_t count = tg_body_find_pieces(raw, len, offsets, lengths, TG_BODY_MAX_PIECES);
    struct tg_body_piece pieces[TG_BODY_MAX_PIECES];
    bool is_new[TG_BODY_MAX_PIECES];
    size_t skeleton_len = len;
    for (size_t i = 0; i < count; i++) {
        pieces[i] = (struct tg_body_piece){.raw_off = offsets[i], .len = lengths[i]};
        digest_of(raw + offsets[i], lengths[i], pieces[i].digest);
        skeleton_len -= lengths[i];
    }
    size_t piece_bytes = mark_new_pieces(sent, pieces, count, is_new);
    size_t head = sizeof(struct tg_body_prepared) + count * sizeof(struct tg_body_piece);
    size_t skel_bound = ZSTD_compressBound(skeleton_len);
    struct tg_body_prepared *p = malloc(head + skel_bound + piece_bytes);
    char *skel = malloc(skeleton_len + 1);
    if (!p || !skel) {
        free(p);
        free(skel);
        snprintf(err, errlen, "out of memory compressing a body");
        return -1;
    }
    unsigned char *space = (unsigned char *)p + head;
    cut_skeleton(raw, len, pieces, count, skel);
    size_t n = compress_into(codec, space, skel_bound, skel, skeleton_len);
    free(skel);
    if (ZSTD_isError(n))
        goto failed;
    *p = (struct tg_body_prepared){.raw_len = len, .dict_id = codec->dict_id, .skeleton_z = space,
                                   .skeleton_z_len = n, .skeleton_len = skeleton_len, .count = count};
    space += n;
    for (size_t i = 0; i < count; i++) {
        p->pieces[i] = pieces[i];
        if (!is_new[i])
            continue;
        n = compress_into(codec, space, ZSTD_compressBound(pieces[i].len), raw + pieces[i].raw_off, pieces[i].len);
        if (ZSTD_isError(n))
            goto failed;
        p->pieces[i].z = space;
        p->pieces[i].z_len = n;
        space += n;
        if (sent)
            tg_msgcache_put(sent, pieces[i].digest, 1);
    }
    *out = p;
    return 0;
failed:
    free(p);
    snprintf(err, errlen, "compressing a body: %s", ZSTD_getErrorName(n));
    return -1;
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
