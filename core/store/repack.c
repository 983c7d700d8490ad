#include "store/repack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/body.h"
#include "store/bodyread.h"

/* The pack's chunks kept, side by side, and their lengths (0 for the ones
 * dropped). Returns the bytes dropped. */
static size_t keep_chunks(const char *raw, size_t *lens, int64_t first, int64_t count,
                          bool (*keep)(void *ctx, int64_t chunk_id), void *ctx, char *out, int64_t *dropped)
{
    size_t at = 0, n = 0, gone = 0;
    for (int64_t i = 0; i < count; i++) {
        if (lens[i] && !keep(ctx, first + i)) {
            gone += lens[i];
            (*dropped)++;
            at += lens[i];
            lens[i] = 0;
            continue;
        }
        memcpy(out + n, raw + at, lens[i]);
        n += lens[i];
        at += lens[i];
    }
    return gone;
}

static int repack(struct tg_store *store, int64_t pack_id, const char *raw, size_t raw_len, size_t *lens,
                  int64_t count, bool (*keep)(void *ctx, int64_t chunk_id), void *ctx, int64_t *dropped, char *err,
                  size_t errlen)
{
    char *kept = malloc(raw_len + 1);
    unsigned char *lens_blob = malloc((size_t)count * 10 + 1);
    struct tg_body_codec *codec = tg_body_codec_new(); /* not the store's: it may be mid-pack */
    void *z = NULL;
    size_t z_len = 0;
    int rc = -1;
    if (!kept || !lens_blob || !codec) {
        snprintf(err, errlen, "out of memory repacking chunks");
        goto done;
    }
    int64_t gone = 0;
    size_t gone_bytes = keep_chunks(raw, lens, pack_id, count, keep, ctx, kept, &gone);
    /* a few bytes freed are not worth a rewrite of the pack */
    if (gone == 0 || gone_bytes * 4 < raw_len) {
        rc = 0;
        goto done;
    }
    size_t lens_len = tg_body_varints_encode(lens, (size_t)count, lens_blob);
    if (tg_body_compress(codec, kept, raw_len - gone_bytes, &z, &z_len, err, errlen) != 0)
        goto done;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "UPDATE chunk_packs SET dict_id = NULL, raw_len = ?2, lens = ?3, zstd = ?4"
                           " WHERE id = ?1", -1, &st, NULL) != SQLITE_OK) {
        rc = tg_store_fail(store, "repacking chunks", err, errlen);
        goto done;
    }
    sqlite3_bind_int64(st, 1, pack_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)(raw_len - gone_bytes));
    sqlite3_bind_blob(st, 3, lens_blob, (int)lens_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, z, (int)z_len, SQLITE_STATIC);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    rc = step == SQLITE_DONE ? 0 : tg_store_fail(store, "repacking chunks", err, errlen);
    if (rc == 0)
        *dropped += gone;
done:
    free(kept);
    free(lens_blob);
    free(z);
    tg_body_codec_free(codec);
    return rc;
}

int tg_store_drop_chunks(struct tg_store *store, int64_t pack_id, bool (*keep)(void *ctx, int64_t chunk_id), void *ctx,
                         int64_t *dropped, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "SELECT chunks, dict_id, raw_len, lens, zstd FROM chunk_packs WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading chunks", err, errlen);
    sqlite3_bind_int64(st, 1, pack_id);
    int rc = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        int64_t count = sqlite3_column_int64(st, 0);
        size_t raw_len = (size_t)sqlite3_column_int64(st, 2);
        size_t *lens = count > 0 && (size_t)count <= (size_t)sqlite3_column_bytes(st, 3) /* see store_pack_offsets */
                           ? malloc((size_t)count * sizeof *lens)
                           : NULL;
        char *raw = NULL;
        struct tg_body_pack_split split; /* a pack in two streams is rewritten as one */
        if (!lens ||
            tg_body_pack_lens_decode(sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3), lens,
                                     (size_t)count, &split) != 0 ||
            store_bodies_decode_pack(store, sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4),
                                     sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3), count, raw_len,
                                     raw_len, sqlite3_column_int64(st, 1), &raw) != 0) {
            snprintf(err, errlen, "chunk pack %lld is damaged: kept whole", (long long)pack_id);
            rc = -1;
        } else {
            rc = repack(store, pack_id, raw, raw_len, lens, count, keep, ctx, dropped, err, errlen);
        }
        free(lens);
        free(raw);
    }
    sqlite3_finalize(st);
    return rc;
}
