#include "store/packs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/body.h"
#include "store/bodyread.h"
#include "store/packer.h"
#include "store/sqlbind.h"

/* The pack being filled: the chunks new to the db that the requests stored
 * since the last pack was written brought, raw, side by side. Once it holds
 * PACK_TARGET bytes it is compressed (two zstd frames) on the packer's thread
 * (packer.h) while a new one fills, and its row written when that is done;
 * a pack still open at a commit is compressed here as a stream, flushed, and
 * goes on in that stream (a collector commits every few requests, and its
 * packs still fill up); once full it is compressed again whole on the
 * packer's thread and replaces that row (a frame flushed at every commit of
 * one small log was 30% bigger). */
struct pack_builder {
    int64_t first, count; /* its chunks' ids: first .. first + count - 1 */
    int64_t dict_id;      /* the codec's when the pack began */
    size_t fed, fed_len;  /* chunks (and their bytes) fed to the streams here */
    unsigned char *z;     /* its frame of messages so far */
    size_t z_len, z_cap;
    unsigned char *hz;    /* its frame of heads so far */
    size_t hz_len, hz_cap;
    unsigned char *heads; /* bitmap: which chunks are heads */
    size_t heads_cap;
    struct store_pack_job job; /* its compression on the packer's thread; job.blob: hz then z, as stored */
    struct pack_builder *next; /* in the packs being compressed, or the spare ones */
    char *raw;
    size_t len, cap;
    size_t *lens, lens_cap;
    int64_t *owner_ids; /* runs of chunks brought by one request */
    size_t *owner_counts, owners, owners_cap;
    bool dirty; /* chunks added since its row was last written */
    size_t traffic; /* raw bytes of the requests stored while it filled */
    bool strong;    /* compressed harder: the last pack's traffic was mostly known */
};

static int write_pending(struct tg_store *store, enum tg_body_stream_step step, char *err, size_t errlen);

/* Bigger packs compress better (agent corpus: 2.02% of raw at 256 KB, 1.97%
 * at 512 KB, 1.92% at 1 MB) but a read decompresses more of them (rebuild
 * CPU p99 2.6, 3.6 and 6.1 ms): see docs/storage.md. */
#define PACK_TARGET (256 << 10)

/* The heads' stream is compressed at level 9 whatever the traffic: on the
 * small-log corpus it takes 2% off the packs for 0.1 s of CPU in 1.9 s
 * (the heads are 40% of its new bytes, but compress 4x faster than text at
 * one level); the messages' level 9 would take 5% more for 0.9 s, kept out
 * (docs/storage.md). */
#define HEAD_LEVEL 9

static void pending_clear(struct pack_builder *pb)
{
    pb->first = pb->count = 0;
    pb->len = pb->owners = pb->z_len = pb->hz_len = pb->fed = pb->fed_len = 0;
    pb->dirty = false;
}

static void builder_free(struct pack_builder *pb)
{
    if (!pb)
        return;
    free(pb->raw);
    free(pb->z);
    free(pb->hz);
    free(pb->heads);
    free(pb->job.blob);
    free(pb->lens);
    free(pb->owner_ids);
    free(pb->owner_counts);
    free(pb);
}

/* Waits for the packs being compressed and drops them (a rollback). */
static void drop_packing(struct store_bodies *b)
{
    while (b->packing) {
        struct pack_builder *pb = b->packing;
        store_packer_finished(b->packer, &pb->job, true);
        b->packing = pb->next;
        pending_clear(pb);
        pb->next = b->spare;
        b->spare = pb;
    }
}

/* Grows *buf (of *cap elements of size elem) to hold need. */
static bool grow(void *buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t cap2 = *cap ? *cap * 2 : 256;
    while (cap2 < need)
        cap2 *= 2;
    void *grown = realloc(*(void **)buf, cap2 * elem);
    if (!grown)
        return false;
    *(void **)buf = grown;
    *cap = cap2;
    return true;
}

/* Appends chunk bytes brought by request_id to the pack being filled, and
 * feeds them to its frame. */
int store_packs_add(struct tg_store *store, int64_t request_id, int64_t id, const char *bytes, size_t len,
                       bool head, char *err, size_t errlen)
{
    struct pack_builder *pb = store->bodies.pending;
    if (pb->count == 0)
        pb->dict_id = tg_body_codec_dict_id(store->bodies.codec);
    size_t n = (size_t)pb->count;
    if (!grow(&pb->raw, &pb->cap, pb->len + len, 1) || !grow(&pb->lens, &pb->lens_cap, n + 1, sizeof *pb->lens) ||
        !grow(&pb->heads, &pb->heads_cap, n / 8 + 1, 1))
        goto out_of_memory;
    if (n % 8 == 0)
        pb->heads[n / 8] = 0;
    if (head)
        pb->heads[n / 8] |= (unsigned char)(1u << (n % 8));
    if (pb->owners == 0 || pb->owner_ids[pb->owners - 1] != request_id) {
        size_t cap = pb->owners_cap;
        if (!grow(&pb->owner_ids, &cap, pb->owners + 1, sizeof *pb->owner_ids) ||
            !grow(&pb->owner_counts, &pb->owners_cap, pb->owners + 1, sizeof *pb->owner_counts))
            goto out_of_memory;
        pb->owner_ids[pb->owners] = request_id;
        pb->owner_counts[pb->owners++] = 0;
    }
    if (pb->count == 0)
        pb->first = id;
    memcpy(pb->raw + pb->len, bytes, len);
    pb->len += len;
    pb->lens[pb->count++] = len;
    pb->owner_counts[pb->owners - 1]++;
    pb->dirty = true;
    return 0;
out_of_memory:
    snprintf(err, errlen, "out of memory storing a body");
    return -1;
}

/* The pack's lengths and owners as stored (varints; see body.h), malloc'd;
 * trailer: with the heads' frame length hz_len and bitmap. */
static int pending_blobs(const struct pack_builder *pb, bool trailer, size_t hz_len, unsigned char **lens,
                         size_t *lens_len, unsigned char **owners, size_t *owners_len)
{
    *lens = malloc((size_t)pb->count * 10 + TG_BODY_PACK_TRAILER_BOUND((size_t)pb->count) + 1);
    *owners = malloc(TG_BODY_OWNERS_BOUND(pb->owners) + 1);
    if (!*lens || !*owners) {
        free(*lens);
        free(*owners);
        return -1;
    }
    *lens_len = tg_body_varints_encode(pb->lens, (size_t)pb->count, *lens);
    if (trailer)
        *lens_len += tg_body_pack_trailer_encode(hz_len, pb->heads, (size_t)pb->count, *lens + *lens_len);
    *owners_len = tg_body_owners_encode(pb->owner_ids, pb->owner_counts, pb->owners, *owners);
    return 0;
}

/* Writes pb's row (replacing the one an earlier commit wrote) with its
 * frames: blob, the heads' hz_len bytes then the messages'. */
static int write_row(struct tg_store *store, const struct pack_builder *pb, const unsigned char *blob,
                     size_t blob_len, size_t hz_len, char *err, size_t errlen)
{
    unsigned char *lens, *owners;
    size_t lens_len, owners_len;
    if (pending_blobs(pb, true, hz_len, &lens, &lens_len, &owners, &owners_len) != 0) {
        snprintf(err, errlen, "out of memory storing chunks");
        return -1;
    }
    sqlite3_stmt *st = store->stmt[ST_INSERT_PACK];
    sqlite3_bind_int64(st, 1, pb->first);
    sqlite3_bind_int64(st, 2, pb->count);
    sqlite3_bind_int64(st, 3, pb->owner_ids[0]);
    tg_sql_bind_id(st, 4, pb->dict_id);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)pb->len);
    sqlite3_bind_blob(st, 6, lens, (int)lens_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 7, owners, (int)owners_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 8, blob, (int)blob_len, SQLITE_STATIC);
    int step_rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    free(lens);
    free(owners);
    return step_rc == SQLITE_DONE ? 0 : tg_store_fail(store, "storing chunks", err, errlen);
}

/* Feeds the chunks not fed yet to the two streams compressed here. */
static int feed_streams(struct tg_store *store, struct pack_builder *pb, char *err, size_t errlen)
{
    struct store_bodies *b = &store->bodies;
    if (pb->fed == 0) {
        /* first: a pack a commit flushed and another writer's chunks ended
         * left its frame open, and zstd takes no new level mid-frame */
        tg_body_stream_begin(b->codec);
        tg_body_stream_begin(b->head_codec);
        if (tg_body_codec_set_strong(b->codec, pb->strong) != 0) {
            snprintf(err, errlen, "out of memory storing a body");
            return -1;
        }
    }
    for (; pb->fed < (size_t)pb->count; pb->fed++) {
        size_t i = pb->fed, len = pb->lens[i];
        bool head = pb->heads[i / 8] & (1u << (i % 8));
        if (tg_body_stream_feed(head ? b->head_codec : b->codec, pb->raw + pb->fed_len, len, TG_BODY_CONTINUE,
                                head ? &pb->hz : &pb->z, head ? &pb->hz_len : &pb->z_len,
                                head ? &pb->hz_cap : &pb->z_cap, err, errlen) != 0)
            return -1;
        pb->fed_len += len;
    }
    return 0;
}

/* Writes the packs the packer is done with, oldest first; wait: all of them,
 * waiting for those still being compressed. At most MAX_PACKING in flight. */
#define MAX_PACKING 4
static int write_packed(struct tg_store *store, bool wait, char *err, size_t errlen)
{
    struct store_bodies *b = &store->bodies;
    while (b->packing) {
        struct pack_builder *pb = b->packing;
        if (!store_packer_finished(b->packer, &pb->job, wait || b->n_packing > MAX_PACKING))
            return 0;
        if (pb->job.rc != 0) {
            snprintf(err, errlen, "%s", pb->job.err);
            return -1;
        }
        if (write_row(store, pb, pb->job.blob, pb->job.blob_len, pb->job.hz_len, err, errlen) != 0)
            return -1;
        b->packing = pb->next;
        b->n_packing--;
        pending_clear(pb);
        pb->next = b->spare;
        b->spare = pb;
    }
    return 0;
}

/* A full pack that no commit flushed goes to the packer; a new one begins.
 * 1: handed over, 0: compress it here after all, -1: out of memory. */
static int hand_over(struct tg_store *store)
{
    struct store_bodies *b = &store->bodies;
    struct pack_builder *pb = b->pending, *next = b->spare;
    if (!next && !(next = calloc(1, sizeof *next)))
        return -1;
    pb->job.raw = pb->raw;
    pb->job.len = pb->len;
    pb->job.lens = pb->lens;
    pb->job.heads = pb->heads;
    pb->job.count = (size_t)pb->count;
    pb->job.strong = pb->strong;
    if (store_packer_submit(b->packer, &pb->job) != 0) {
        if (next != b->spare)
            free(next);
        return 0;
    }
    if (next == b->spare)
        b->spare = next->next;
    next->next = NULL;
    /* the next pack compresses harder when under an eighth of the bytes
     * stored while this one filled were new */
    next->strong = pb->len < pb->traffic / 8;
    next->traffic = 0;
    pb->next = NULL;
    struct pack_builder **tail = &b->packing;
    while (*tail)
        tail = &(*tail)->next;
    *tail = pb;
    b->n_packing++;
    b->pending = next;
    return 1;
}

/* The pack being filled, if any: ended when it is full (handed to the
 * packer, or compressed here when a commit flushed part of it already), or
 * flushed at a commit so that its frames so far decode, its row written. */
static int write_pending(struct tg_store *store, enum tg_body_stream_step step, char *err, size_t errlen)
{
    struct store_bodies *b = &store->bodies;
    struct pack_builder *pb = b->pending;
    if (pb->count == 0 || (step == TG_BODY_FLUSH && !pb->dirty)) /* a batch without logs (prune's) leaves it be */
        return 0;
    /* a full pack goes to the packer even when earlier commits flushed part
     * of it here: compressed whole, it replaces their row, and the writer is
     * spared the rest of its bytes */
    if (step == TG_BODY_END) {
        int handed = hand_over(store);
        if (handed != 0) {
            if (handed > 0)
                return write_packed(store, false, err, errlen);
            snprintf(err, errlen, "out of memory storing chunks");
            return -1;
        }
    }
    if (feed_streams(store, pb, err, errlen) != 0 ||
        tg_body_stream_feed(b->codec, NULL, 0, step, &pb->z, &pb->z_len, &pb->z_cap, err, errlen) != 0 ||
        tg_body_stream_feed(b->head_codec, NULL, 0, step, &pb->hz, &pb->hz_len, &pb->hz_cap, err, errlen) != 0)
        return -1;
    if (!grow(&pb->job.blob, &pb->job.blob_cap, pb->hz_len + pb->z_len + 1, 1)) {
        snprintf(err, errlen, "out of memory storing chunks");
        return -1;
    }
    memcpy(pb->job.blob, pb->hz, pb->hz_len);
    memcpy(pb->job.blob + pb->hz_len, pb->z, pb->z_len);
    if (write_row(store, pb, pb->job.blob, pb->hz_len + pb->z_len, pb->hz_len, err, errlen) != 0)
        return -1;
    pb->dirty = false;
    if (step == TG_BODY_END) {
        pb->strong = pb->len < pb->traffic / 8; /* see hand_over */
        pending_clear(pb);
        pb->traffic = 0;
    }
    return 0;
}

/* pb's copy when it holds chunk id: 1, 0 when it does not, -1 out of memory.
 * The packer may be reading pb's bytes meanwhile: they are only read. */
static int copy_pack(const struct pack_builder *pb, int64_t id, struct store_pending_copy *out)
{
    if (pb->count == 0 || id < pb->first || id - pb->first >= pb->count)
        return 0;
    out->first = pb->first;
    out->count = pb->count;
    out->raw_len = pb->len;
    out->raw = malloc(pb->len + 1);
    if (!out->raw || pending_blobs(pb, false, 0, &out->lens, &out->lens_len, &out->owners, &out->owners_len) != 0) {
        free(out->raw);
        return -1;
    }
    memcpy(out->raw, pb->raw, pb->len);
    return 1;
}

int store_bodies_pending(struct tg_store *store, int64_t id, struct store_pending_copy *out)
{
    int found = copy_pack(store->bodies.pending, id, out);
    for (const struct pack_builder *pb = store->bodies.packing; !found && pb; pb = pb->next)
        found = copy_pack(pb, id, out);
    return found;
}

int store_packs_init(struct tg_store *store)
{
    struct store_bodies *b = &store->bodies;
    b->pending = calloc(1, sizeof *b->pending);
    b->head_codec = tg_body_codec_new_at(HEAD_LEVEL, HEAD_LEVEL);
    b->packer = store_packer_new(HEAD_LEVEL);
    return b->pending && b->head_codec && b->packer ? 0 : -1;
}

void store_packs_free(struct tg_store *store)
{
    struct store_bodies *b = &store->bodies;
    store_packer_free(b->packer); /* waits for the packs in flight */
    tg_body_codec_free(b->head_codec);
    builder_free(b->pending);
    for (struct pack_builder *lists[] = {b->packing, b->spare}, **l = lists; l < lists + 2; l++) {
        for (struct pack_builder *pb = *l, *next; pb; pb = next) {
            next = pb->next;
            builder_free(pb);
        }
    }
}

int store_packs_set_dict(struct tg_store *store, const void *dict, size_t len, int64_t id)
{
    if (store_packer_set_dict(store->bodies.packer, dict, len, id) != 0)
        return -1;
    tg_body_stream_begin(store->bodies.head_codec); /* a frame left open takes no dictionary */
    return tg_body_codec_set_dict(store->bodies.head_codec, dict, len, id);
}

int store_packs_stored(struct tg_store *store, size_t raw_len, char *err, size_t errlen)
{
    struct pack_builder *pb = store->bodies.pending;
    pb->traffic += raw_len;
    return pb->len >= PACK_TARGET ? write_pending(store, TG_BODY_END, err, errlen) : 0;
}

int store_packs_end(struct tg_store *store, char *err, size_t errlen)
{
    return write_pending(store, TG_BODY_END, err, errlen);
}

/* A collector's commit came every ~800 small logs with ~700 KB of new
 * chunks: the pack left open at each one was flushed here, and the next
 * commit's first pack went on in that stream and was compressed here too,
 * so a third of the writer's CPU was zstd while the packer idled. A pack
 * with this much in it is ended instead, its bytes compressed on the
 * packer's thread while the commit writes rollups and indexes; a smaller
 * one (a lone client's commit of a few logs) still goes on in its stream,
 * so packs keep filling up. */
#define HAND_OVER_AT_COMMIT (64 << 10)

int store_packs_commit_begin(struct tg_store *store, char *err, size_t errlen)
{
    struct pack_builder *pb = store->bodies.pending;
    if (pb->count == 0 || pb->fed != 0 || pb->len < HAND_OVER_AT_COMMIT)
        return 0;
    if (hand_over(store) < 0) {
        snprintf(err, errlen, "out of memory storing chunks");
        return -1;
    }
    return 0; /* not handed over: flushed here by store_packs_before_commit */
}

int store_packs_before_commit(struct tg_store *store, char *err, size_t errlen)
{
    if (write_pending(store, TG_BODY_FLUSH, err, errlen) != 0)
        return -1;
    return write_packed(store, true, err, errlen);
}

void store_packs_go_on(struct tg_store *store, bool pruned)
{
    /* The pack left open at the last commit goes on only if no other writer
     * stored chunks since (its ids would follow theirs) nor pruned: else it
     * stays as stored, its frame flushed, and a new one begins. */
    struct pack_builder *pb = store->bodies.pending;
    if (pb->count && (pruned || pb->first + pb->count != store->bodies.next_chunk_id))
        pending_clear(pb);
}

void store_packs_forget(struct tg_store *store)
{
    drop_packing(&store->bodies);
    pending_clear(store->bodies.pending);
}
