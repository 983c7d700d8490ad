/* libFuzzer target: any bytes as a stored log. Cutting it into chunks and
 * putting the pack (decompressed) and the chunks it left out back in order
 * must give the same bytes, with cuts inside the chunker's bounds (checked
 * here: abort() on a difference is a finding); and any bytes as a body's
 * chunk or message references must decode or be refused, never read past
 * them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log/body.h"
#include "log/chunker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tg_body_codec *codec;
static struct tg_body_decoder *decoder;

/* Each chunk from the pack when it is in it, else from the chunk of the same
 * digest packed before it in this log. */
static void check_round_trip(const char *raw, size_t size, const struct tg_body_prepared *p)
{
    char *pack = NULL;
    if (p->pack_count && tg_body_decode(decoder, p->pack_z, p->pack_z_len, p->pack_len, 0, &pack) != 0)
        abort();
    char *rebuilt = malloc(size + 1);
    const char **where = malloc((p->count + 1) * sizeof *where);
    size_t n = 0, in_pack = 0;
    for (size_t i = 0; i < p->count; i++) {
        const struct tg_body_chunk *c = &p->chunks[i];
        if (c->off != n || c->len == 0 || c->len > TG_CHUNK_MAX || (c->len < TG_CHUNK_ANCHOR_MIN && i + 1 < p->count))
            abort();
        where[i] = NULL;
        if (c->in_pack) {
            where[i] = pack + in_pack;
            in_pack += c->len;
        }
        for (size_t j = 0; !where[i] && j < i; j++) {
            if (p->chunks[j].in_pack && memcmp(p->chunks[j].digest, c->digest, TG_DIGEST_LEN) == 0)
                where[i] = where[j];
        }
        if (!where[i] || in_pack > p->pack_len)
            abort();
        memcpy(rebuilt + n, where[i], c->len);
        n += c->len;
    }
    if (n != size || in_pack != p->pack_len || (size && memcmp(rebuilt, raw, size) != 0))
        abort();
    free(where);
    free(rebuilt);
    free(pack);
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
    if (tg_body_prepare(codec, NULL, false, raw, size, &p, err, sizeof err) == 0) {
        check_round_trip(raw, size, p);
        free(p);
    }
    size_t at[64];
    int64_t ids[64], *chunk_ids;
    tg_body_refs_decode(data, size, at, ids, 64);
    long n = tg_body_chunk_refs_decode(data, size, 4096, &chunk_ids);
    if (n >= 0) { /* what decodes encodes back to bytes that decode the same */
        unsigned char *again = malloc(TG_BODY_CHUNK_REFS_BOUND((size_t)n) + 1);
        int64_t *back;
        size_t len = tg_body_chunk_refs_encode(chunk_ids, (size_t)n, again);
        if (tg_body_chunk_refs_decode(again, len, 4096, &back) != n ||
            (n && memcmp(back, chunk_ids, (size_t)n * sizeof *back) != 0))
            abort();
        free(back);
        free(again);
        free(chunk_ids);
    }
    return 0;
}
