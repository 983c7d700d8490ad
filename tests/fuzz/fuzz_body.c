/* libFuzzer target: any bytes as a stored log. Cutting it into skeleton and
 * messages and putting them back must give the same bytes (checked here:
 * abort() on a difference is a finding), and any bytes as a body's message
 * references must decode or be refused, never read past them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tg_body_codec *codec;
static struct tg_body_decoder *decoder;

/* The skeleton decompressed, with every piece put back from the raw log. */
static void check_round_trip(const char *raw, size_t size, const struct tg_body_prepared *p)
{
    char *skeleton;
    if (tg_body_decode(decoder, p->skeleton_z, p->skeleton_z_len, p->skeleton_len, 0, &skeleton) != 0)
        abort();
    char *rebuilt = malloc(size + 1);
    size_t n = 0, from = 0;
    for (size_t i = 0; i < p->count; i++) {
        const struct tg_body_piece *piece = &p->pieces[i];
        if (piece->at < from || piece->at > p->skeleton_len)
            abort();
        memcpy(rebuilt + n, skeleton + from, piece->at - from);
        n += piece->at - from;
        memcpy(rebuilt + n, raw + piece->raw_off, piece->len);
        n += piece->len;
        from = piece->at;
    }
    memcpy(rebuilt + n, skeleton + from, p->skeleton_len - from);
    n += p->skeleton_len - from;
    if (n != size || memcmp(rebuilt, raw, size) != 0)
        abort();
    free(rebuilt);
    free(skeleton);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!codec) {
        codec = tg_body_codec_new();
        decoder = tg_body_decoder_new();
    }
    const char *raw = (const char *)data;
    struct tg_body_prepared *p;
    char err[128];
    if (tg_body_prepare(codec, NULL, raw, size, &p, err, sizeof err) == 0) {
        check_round_trip(raw, size, p);
        free(p);
    }
    size_t at[64];
    int64_t ids[64];
    tg_body_refs_decode(data, size, at, ids, 64);
    return 0;
}
