#include "body.h"

#include <stdio.h>
#include <stdlib.h>

#include <zdict.h>
#include <zstd.h>

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
    ZSTD_freeCDict(codec->cdict);
    codec->cdict = cdict;
    codec->dict_id = dict_id;
    return 0;
}

int64_t tg_body_codec_dict_id(const struct tg_body_codec *codec)
{
    return codec->dict_id;
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
    size_t n = codec->cdict ? ZSTD_compress_usingCDict(codec->cctx, buf, bound, raw, len, codec->cdict)
                            : ZSTD_compress2(codec->cctx, buf, bound, raw, len);
    if (ZSTD_isError(n)) {
        free(buf);
        snprintf(err, errlen, "compressing a body: %s", ZSTD_getErrorName(n));
        return -1;
    }
    *out = buf;
    *out_len = n;
    return 0;
}

int tg_body_decompress(const void *z, size_t z_len, size_t raw_len, const void *dict, size_t dict_len,
                       char **out)
{
    char *buf = malloc(raw_len + 1);
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (!buf || !dctx) {
        free(buf);
        ZSTD_freeDCtx(dctx);
        return -1;
    }
    size_t n = dict ? ZSTD_decompress_usingDict(dctx, buf, raw_len, z, z_len, dict, dict_len)
                    : ZSTD_decompressDCtx(dctx, buf, raw_len, z, z_len);
    ZSTD_freeDCtx(dctx);
    if (ZSTD_isError(n) || n != raw_len) {
        free(buf);
        return -1;
    }
    buf[raw_len] = '\0';
    *out = buf;
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
