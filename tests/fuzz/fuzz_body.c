/* libFuzzer target: any bytes as a stored log. Cutting it into chunks,
 * compressing the new ones as the store does (one frame fed a chunk at a
 * time, flushed half way as at a commit: what is flushed must decode before
 * the frame ends), and putting the pack (decompressed) and the chunks it left
 * out back in order must give the same bytes, with cuts inside the chunker's bounds (checked
 * here: abort() on a difference is a finding); and any bytes as a body's
 * chunk or message references must decode or be refused, never read past
 * them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log/body.h"
#include "log/bodyids.h"
#include "log/chunker.h"

/* The ids left out of a body (log/bodyids.h) come back byte for byte: the
 * log id is the first UUID-shaped text of the input, the thread id a fixed
 * one the input may hold; and any bytes decode only to offsets that restore
 * or fail cleanly. */
static void check_ids_round_trip(const char *raw, size_t size)
{
    static const char thread[] = "77d3731c-6d6a-4c99-a4e3-93008dec47f0";
    char log_id[TG_BODY_UUID_LEN + 1] = "";
    for (size_t i = 0; i + TG_BODY_UUID_LEN <= size && !log_id[0]; i++) {
        if (tg_body_uuid_canonical(raw + i, TG_BODY_UUID_LEN))
            memcpy(log_id, raw + i, TG_BODY_UUID_LEN);
    }
    struct tg_body_ids found, back;
    tg_body_ids_find(raw, size, log_id[0] ? log_id : NULL, thread, &found);
    char *text = malloc(size + 1);
    tg_body_ids_remove(raw, size, &found, text);
    unsigned char enc[TG_BODY_IDS_BOUND];
    size_t n = tg_body_ids_encode(&found, enc);
    const char *texts[TG_BODY_IDS_MAX] = {log_id, thread};
    char *out;
    size_t out_len;
    if (tg_body_ids_decode(enc, n, &back) != 0 || back.count != found.count ||
        tg_body_ids_restore(text, size - found.count * TG_BODY_UUID_LEN, &back, texts, &out, &out_len) != 0 ||
        out_len != size || (size && memcmp(out, raw, size) != 0))
        abort();
    free(out);
    if (tg_body_ids_decode((const unsigned char *)raw, size, &back) == 0 &&
        tg_body_ids_restore(text, size - found.count * TG_BODY_UUID_LEN, &back, texts, &out, &out_len) == 0)
        free(out);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tg_body_codec *codec;
static struct tg_body_decoder *decoder;

/* The chunks in_pack through a stream, flushed after half of them (that
 * much must decode then), ended after all; returns the pack decompressed. */
static char *stream_pack(const char *raw, const struct tg_body_prepared *p)
{
    unsigned char *z = NULL;
    size_t z_len = 0, z_cap = 0, fed = 0, k = 0;
    char err[128], *pack = NULL;
    tg_body_stream_begin(codec);
    for (size_t i = 0; i < p->count; i++) {
        const struct tg_body_chunk *c = &p->chunks[i];
        if (!c->in_pack)
            continue;
        if (tg_body_stream_feed(codec, raw + c->off, c->len, TG_BODY_CONTINUE, &z, &z_len, &z_cap, err, sizeof err))
            abort();
        fed += c->len;
        if (++k == (p->pack_count + 1) / 2) {
            char *half;
            if (tg_body_stream_feed(codec, NULL, 0, TG_BODY_FLUSH, &z, &z_len, &z_cap, err, sizeof err) != 0 ||
                tg_body_decode_prefix(decoder, z, z_len, fed, fed, 0, &half) != 0)
                abort();
            free(half);
        }
    }
    if (tg_body_stream_feed(codec, NULL, 0, TG_BODY_END, &z, &z_len, &z_cap, err, sizeof err) != 0 ||
        tg_body_decode_prefix(decoder, z, z_len, p->pack_len, p->pack_len, 0, &pack) != 0)
        abort();
    free(z);
    return pack;
}

/* Each chunk from the pack when it is in it, else from the chunk of the same
 * digest packed before it in this log. */
static void check_round_trip(const char *raw, size_t size, const struct tg_body_prepared *p)
{
    char *pack = stream_pack(raw, p);
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
    check_ids_round_trip(raw, size);
    size_t at[64];
    int64_t ids[64], *chunk_ids;
    tg_body_refs_decode(data, size, at, ids, 64);
    int64_t *owner_ids;
    size_t *owner_counts;
    long runs = tg_body_owners_decode(data, size, &owner_ids, &owner_counts);
    if (runs >= 0) { /* owners too decode back to what encodes to the same bytes */
        unsigned char *again = malloc(TG_BODY_OWNERS_BOUND((size_t)runs) + 1);
        size_t len = tg_body_owners_encode(owner_ids, owner_counts, (size_t)runs, again);
        int64_t *ids2;
        size_t *counts2;
        if (tg_body_owners_decode(again, len, &ids2, &counts2) != runs ||
            (runs && (memcmp(ids2, owner_ids, (size_t)runs * sizeof *ids2) != 0 ||
                      memcmp(counts2, owner_counts, (size_t)runs * sizeof *counts2) != 0)))
            abort();
        free(ids2);
        free(counts2);
        free(again);
        free(owner_ids);
        free(owner_counts);
    }
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
