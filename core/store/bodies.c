#include "store/bodies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/timeutil.h"
#include "store/sqlbind.h"
#include "store/bodyread.h"
#include "store/bodyrow.h"

/* chunks known by digest without asking the db (per generation; see msgcache.h) */
#define TG_STORE_CHUNK_WINDOW 131072
/* A writer that starts fills its window from the newest packs, digesting
 * their chunks again (digests are not stored): at most this many bytes. */
#define WINDOW_LOAD_BYTES (64 << 20)

/* The pack being filled: the chunks new to the db that the requests stored
 * since the last pack was written brought, raw, side by side. Written (one
 * zstd frame) once it holds PACK_TARGET bytes, and at every commit. */
struct pack_builder {
    int64_t first, count; /* its chunks' ids: first .. first + count - 1 */
    int64_t dict_id;      /* the codec's when the pack began */
    unsigned char *z;     /* its frame of messages so far */
    size_t z_len, z_cap;
    struct tg_body_codec *head_codec; /* the second stream: heads (see body.h) */
    unsigned char *hz;                /* its frame of heads so far */
    size_t hz_len, hz_cap;
    unsigned char *heads; /* bitmap: which chunks are heads */
    size_t heads_cap;
    unsigned char *blob; /* hz then z, as stored */
    size_t blob_cap;
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

struct dict {
    size_t len;
    unsigned char bytes[];
};

int store_bodies_init(struct tg_store *store)
{
    struct store_bodies *b = &store->bodies;
    b->codec = tg_body_codec_new();
    b->dicts = hashmap_new();
    b->chunks = tg_msgcache_new(TG_STORE_CHUNK_WINDOW);
    b->decoder = tg_body_decoder_new();
    b->pending = calloc(1, sizeof *b->pending);
    if (b->pending)
        b->pending->head_codec = tg_body_codec_new_at(HEAD_LEVEL, HEAD_LEVEL);
    return b->codec && b->dicts && b->chunks && b->decoder && b->pending && b->pending->head_codec ? 0 : -1;
}

void store_bodies_free(struct tg_store *store)
{
    struct store_bodies *b = &store->bodies;
    tg_body_codec_free(b->codec);
    hashmap_free(b->dicts, free);
    tg_msgcache_free(b->chunks);
    tg_body_decoder_free(b->decoder);
    tg_body_trainer_stop(&b->trainer);
    free(b->row.refs);
    if (b->pending) {
        free(b->pending->raw);
        free(b->pending->z);
        tg_body_codec_free(b->pending->head_codec);
        free(b->pending->hz);
        free(b->pending->heads);
        free(b->pending->blob);
        free(b->pending->lens);
        free(b->pending->owner_ids);
        free(b->pending->owner_counts);
        free(b->pending);
    }
}

int store_prepare_bodies(struct tg_store *store, char *err, size_t errlen)
{
    return store_prepare(store, ST_INSERT_PACK,
                         "INSERT OR REPLACE INTO chunk_packs(id, chunks, request_id, dict_id, raw_len, lens, owners, zstd)"
                         " VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
                         err, errlen);
}

/* A dictionary by id, read once and kept. NULL when missing. */
static const struct dict *load_dict(struct tg_store *store, int64_t id)
{
    struct dict *d = hashmap_get(store->bodies.dicts, &id, sizeof id);
    if (d)
        return d;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "SELECT dict FROM body_dicts WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        size_t len = (size_t)sqlite3_column_bytes(st, 0);
        d = malloc(sizeof *d + len);
        if (d) {
            d->len = len;
            memcpy(d->bytes, sqlite3_column_blob(st, 0), len);
            if (hashmap_put(store->bodies.dicts, &id, sizeof id, d) != 0) {
                free(d);
                d = NULL;
            }
        }
    }
    sqlite3_finalize(st);
    return d;
}

/* Both streams of a pack compress against the dictionary. */
static int set_dict(struct tg_store *store, const void *dict, size_t len, int64_t id)
{
    if (tg_body_codec_set_dict(store->bodies.codec, dict, len, id) != 0)
        return -1;
    return tg_body_codec_set_dict(store->bodies.pending->head_codec, dict, len, id);
}

static int64_t newest_dict_id(struct tg_store *store)
{
    sqlite3_stmt *st;
    int64_t id = 0;
    if (sqlite3_prepare_v2(store->db, "SELECT max(id) FROM body_dicts", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

int store_bodies_use_newest_dict(struct tg_store *store, char *err, size_t errlen)
{
    int64_t id = newest_dict_id(store);
    if (id < 0)
        return tg_store_fail(store, "reading body dictionaries", err, errlen);
    if (id == 0)
        return 0;
    const struct dict *d = load_dict(store, id);
    if (!d || set_dict(store, d->bytes, d->len, id) != 0) {
        snprintf(err, errlen, "body dictionary %lld is damaged", (long long)id);
        return -1;
    }
    return 0;
}

int tg_store_body_dict(struct tg_store *store, const void **dict, size_t *len, int64_t *id)
{
    *id = tg_body_codec_dict_id(store->bodies.codec);
    if (*id == 0)
        return 0;
    const struct dict *d = load_dict(store, *id);
    if (!d)
        return -1;
    *dict = d->bytes;
    *len = d->len;
    return 1;
}

int tg_store_save_body_dict(struct tg_store *store, const void *dict, size_t len, int64_t *id, char *err,
                            size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "INSERT INTO body_dicts(dict, created_ms) VALUES(?1, ?2)", -1, &st,
                           NULL) != SQLITE_OK)
        return tg_store_fail(store, "saving a body dictionary", err, errlen);
    sqlite3_bind_blob(st, 1, dict, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, tg_now_ms());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "saving a body dictionary", err, errlen);
    *id = sqlite3_last_insert_rowid(store->db);
    /* a frame is compressed with one dictionary: the pack open ends here */
    if (write_pending(store, TG_BODY_END, err, errlen) != 0)
        return -1;
    if (set_dict(store, dict, len, *id) != 0) {
        snprintf(err, errlen, "out of memory loading a body dictionary");
        return -1;
    }
    return 0;
}

/* Digests the chunks of one stored pack into the window. Returns the bytes
 * digested; 0 when the pack is damaged (its chunks are then not offered for
 * sharing: a later request stores them again). */
static size_t window_add_pack(struct tg_store *store, sqlite3_stmt *st, size_t room)
{
    int64_t first = sqlite3_column_int64(st, 0), count = sqlite3_column_int64(st, 1);
    size_t raw_len = (size_t)sqlite3_column_int64(st, 3);
    if (count <= 0 || (size_t)count > (size_t)sqlite3_column_bytes(st, 4)) /* see store_pack_offsets */
        return 0;
    size_t *lens = malloc((size_t)count * sizeof *lens);
    char *raw = NULL;
    size_t done = 0;
    struct tg_body_pack_split split;
    if (lens &&
        tg_body_pack_lens_decode(sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4), lens,
                                 (size_t)count, &split) == 0 &&
        store_bodies_decode_pack(store, sqlite3_column_blob(st, 5), (size_t)sqlite3_column_bytes(st, 5),
                                 sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4), count, raw_len,
                                 raw_len, sqlite3_column_int64(st, 2), &raw) == 0) {
        size_t at = 0;
        int64_t n = count < (int64_t)room ? count : (int64_t)room;
        for (int64_t i = 0; i < n && at + lens[i] <= raw_len; i++) {
            if (lens[i] == 0)
                continue; /* dropped by a prune */
            unsigned char digest[TG_DIGEST_LEN];
            tg_body_digest(raw + at, lens[i], digest);
            tg_msgcache_put(store->bodies.chunks, digest, first + i);
            at += lens[i];
        }
        done = at ? at : 1;
    }
    free(lens);
    free(raw);
    return done;
}

/* The window of known chunks starts as the newest ones stored, so a thread
 * that goes on after a restart still finds its earlier chunks. */
static int load_recent_chunks(struct tg_store *store, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "SELECT id, chunks, dict_id, raw_len, lens, zstd FROM chunk_packs ORDER BY id DESC",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading recent chunks", err, errlen);
    struct tg_msgcache *window = store->bodies.chunks;
    tg_msgcache_clear(window);
    int rc;
    size_t bytes = 0;
    /* one generation's worth: all of it in the current one, in any order */
    while (tg_msgcache_count(window) < TG_STORE_CHUNK_WINDOW && bytes < WINDOW_LOAD_BYTES &&
           (rc = sqlite3_step(st)) == SQLITE_ROW)
        bytes += window_add_pack(store, st, TG_STORE_CHUNK_WINDOW - tg_msgcache_count(window));
    rc = sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return tg_store_fail(store, "reading recent chunks", err, errlen);
    return 0;
}

/* Chunk ids are handed out by the writer in the open batch, after the newest
 * pack's: read under the write lock, so two writers never hand out one id. */
static int read_next_chunk_id(struct tg_store *store, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "SELECT id + chunks FROM chunk_packs ORDER BY id DESC LIMIT 1", -1, &st,
                           NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading chunk ids", err, errlen);
    int rc = sqlite3_step(st);
    store->bodies.next_chunk_id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 1;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return tg_store_fail(store, "reading chunk ids", err, errlen);
    return 0;
}

static void pending_clear(struct pack_builder *pb)
{
    pb->first = pb->count = 0;
    pb->len = pb->owners = pb->z_len = pb->hz_len = 0;
    pb->dirty = false;
}

int store_bodies_ready(struct tg_store *store, const char *prune_mark, char *err, size_t errlen)
{
    /* Another process may have pruned chunks this one still remembers: the
     * mark changes then, and is read under the write lock, so no prune can
     * slip in between this check and the commit. */
    struct store_bodies *b = &store->bodies;
    int pruned = strcmp(prune_mark, b->prune_mark) != 0;
    if (pruned)
        b->chunks_loaded = false;
    if (!b->chunks_loaded) {
        if (load_recent_chunks(store, err, errlen) != 0)
            return -1;
        snprintf(b->prune_mark, sizeof b->prune_mark, "%s", prune_mark);
        b->chunks_loaded = true;
    }
    if (read_next_chunk_id(store, err, errlen) != 0)
        return -1;
    /* The pack left open at the last commit goes on only if no other writer
     * stored chunks since (its ids would follow theirs) nor pruned: else it
     * stays as stored, its frame flushed, and a new one begins. */
    struct pack_builder *pb = b->pending;
    if (pb->count && (pruned || pb->first + pb->count != b->next_chunk_id))
        pending_clear(pb);
    return pruned;
}

void store_bodies_forget(struct tg_store *store)
{
    tg_msgcache_clear(store->bodies.chunks); /* chunks of the batch are gone too */
    store->bodies.chunks_loaded = false;
    pending_clear(store->bodies.pending);
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
static int pending_add(struct tg_store *store, int64_t request_id, int64_t id, const char *bytes, size_t len,
                       bool head, char *err, size_t errlen)
{
    struct pack_builder *pb = store->bodies.pending;
    if (pb->count == 0) {
        if (tg_body_codec_set_strong(store->bodies.codec, pb->strong) != 0)
            goto out_of_memory;
        tg_body_stream_begin(store->bodies.codec);
        tg_body_stream_begin(pb->head_codec);
        pb->dict_id = tg_body_codec_dict_id(store->bodies.codec);
    }
    int stream_rc = head ? tg_body_stream_feed(pb->head_codec, bytes, len, TG_BODY_CONTINUE, &pb->hz, &pb->hz_len,
                                               &pb->hz_cap, err, errlen)
                         : tg_body_stream_feed(store->bodies.codec, bytes, len, TG_BODY_CONTINUE, &pb->z, &pb->z_len,
                                               &pb->z_cap, err, errlen);
    if (stream_rc != 0)
        return -1;
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

/* The pack's lengths and owners as stored (varints; see body.h), malloc'd. */
static int pending_blobs(const struct pack_builder *pb, bool trailer, unsigned char **lens, size_t *lens_len,
                         unsigned char **owners, size_t *owners_len)
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
        *lens_len += tg_body_pack_trailer_encode(pb->hz_len, pb->heads, (size_t)pb->count, *lens + *lens_len);
    *owners_len = tg_body_owners_encode(pb->owner_ids, pb->owner_counts, pb->owners, *owners);
    return 0;
}

/* Writes the pack being filled, if any, as its row (replacing the one an
 * earlier commit wrote): ended when it is full (then a new one begins),
 * flushed at a commit so that the frame so far decodes, and kept open: a
 * collector commits every few requests, and its packs still fill up. */
static int write_pending(struct tg_store *store, enum tg_body_stream_step step, char *err, size_t errlen)
{
    struct pack_builder *pb = store->bodies.pending;
    if (pb->count == 0 || (step == TG_BODY_FLUSH && !pb->dirty)) /* a batch without logs (prune's) leaves it be */
        return 0;
    if (tg_body_stream_feed(store->bodies.codec, NULL, 0, step, &pb->z, &pb->z_len, &pb->z_cap, err, errlen) != 0 ||
        tg_body_stream_feed(pb->head_codec, NULL, 0, step, &pb->hz, &pb->hz_len, &pb->hz_cap, err, errlen) != 0)
        return -1;
    unsigned char *lens, *owners;
    size_t lens_len, owners_len;
    if (!grow(&pb->blob, &pb->blob_cap, pb->hz_len + pb->z_len + 1, 1) ||
        pending_blobs(pb, true, &lens, &lens_len, &owners, &owners_len) != 0) {
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
    memcpy(pb->blob, pb->hz, pb->hz_len);
    memcpy(pb->blob + pb->hz_len, pb->z, pb->z_len);
    sqlite3_bind_blob(st, 8, pb->blob, (int)(pb->hz_len + pb->z_len), SQLITE_STATIC);
    int step_rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    free(lens);
    free(owners);
    if (step_rc != SQLITE_DONE)
        return tg_store_fail(store, "storing chunks", err, errlen);
    pb->dirty = false;
    if (step == TG_BODY_END) {
        /* the next pack compresses harder when under an eighth of the bytes
         * stored while this one filled were new */
        pb->strong = pb->len < pb->traffic / 8;
        pending_clear(pb);
        pb->traffic = 0;
    }
    return 0;
}

int store_bodies_pending(struct tg_store *store, int64_t id, struct store_pending_copy *out)
{
    const struct pack_builder *pb = store->bodies.pending;
    if (pb->count == 0 || id < pb->first || id - pb->first >= pb->count)
        return 0;
    out->first = pb->first;
    out->count = pb->count;
    out->raw_len = pb->len;
    out->raw = malloc(pb->len + 1);
    if (!out->raw || pending_blobs(pb, false, &out->lens, &out->lens_len, &out->owners, &out->owners_len) != 0) {
        free(out->raw);
        return -1;
    }
    memcpy(out->raw, pb->raw, pb->len);
    return 1;
}

/* The id of chunk i that is not in the pack: the window's, or that of the
 * same bytes packed earlier in this log (ids set for those). 0: unknown. */
static int64_t id_of_unpacked(struct tg_store *store, const struct tg_body_prepared *p, const bool *packed,
                              const int64_t *ids, size_t i)
{
    int64_t id = tg_msgcache_get(store->bodies.chunks, p->chunks[i].digest);
    for (size_t j = 0; !id && j < i; j++) {
        if (packed[j] && memcmp(p->chunks[j].digest, p->chunks[i].digest, TG_DIGEST_LEN) == 0)
            id = ids[j];
    }
    return id;
}

/* Whether every chunk is in the pack or known: a preparer may have left out
 * a chunk it sent before that the window has forgotten since (or that was
 * another writer's), and then the store packs again. */
static bool complete(struct tg_store *store, const struct tg_body_prepared *p)
{
    for (size_t i = 0; i < p->count; i++) {
        if (p->chunks[i].in_pack || tg_msgcache_get(store->bodies.chunks, p->chunks[i].digest) != 0)
            continue;
        bool packed_before = false;
        for (size_t j = 0; j < i && !packed_before; j++)
            packed_before = p->chunks[j].in_pack &&
                            memcmp(p->chunks[j].digest, p->chunks[i].digest, TG_DIGEST_LEN) == 0;
        if (!packed_before)
            return false;
    }
    return true;
}

/* The pack's chunks get the ids from next_chunk_id on, in order; every other
 * chunk the id the window knows. The body's fields go to store->bodies.row,
 * for the request row (schema 14: a body is columns of requests). */
static int encode_prepared_body(struct tg_store *store, int64_t request_id, const struct tg_body_prepared *p,
                                const char *raw, char *err, size_t errlen)
{
    struct store_bodies *b = &store->bodies;
    struct store_body_row *row = &b->row;
    const char *text = p->text ? p->text : raw;
    int64_t *ids = malloc((p->count ? p->count : 1) * sizeof *ids);
    bool *packed = malloc(p->count + 1);
    int rc = -1;
    if (!ids || !packed || !grow(&row->refs, &row->refs_cap, TG_BODY_CHUNK_REFS_BOUND(p->count) + 1, 1)) {
        snprintf(err, errlen, "out of memory storing a body");
        goto done;
    }
    /* the pack's ids first, then the others: before the window takes in
     * the pack's chunks, which could push out the ones looked up */
    int64_t next = b->next_chunk_id;
    for (size_t i = 0; i < p->count; i++) {
        /* a chunk its preparer took for new may be stored already: another
         * parsing or collector thread brought it first */
        packed[i] = p->chunks[i].in_pack && tg_msgcache_get(b->chunks, p->chunks[i].digest) == 0;
        ids[i] = packed[i] ? next++ : 0;
    }
    for (size_t i = 0; i < p->count; i++) {
        if (!packed[i] && !(ids[i] = id_of_unpacked(store, p, packed, ids, i))) {
            snprintf(err, errlen, "a chunk of request %lld is neither stored nor packed", (long long)request_id);
            goto done;
        }
    }
    for (size_t i = 0; i < p->count; i++) {
        if (packed[i] &&
            pending_add(store, request_id, ids[i], text + p->chunks[i].off, p->chunks[i].len, p->chunks[i].off == 0,
                        err, errlen) != 0)
            goto done;
    }
    b->next_chunk_id = next;
    b->pending->traffic += p->raw_len;
    for (size_t i = 0; i < p->count; i++) {
        if (packed[i])
            tg_msgcache_put(b->chunks, p->chunks[i].digest, ids[i]);
    }
    row->refs_len = tg_body_chunk_refs_encode(ids, p->count, row->refs);
    row->ids_len = tg_body_ids_encode(&p->ids, row->ids);
    row->raw_len = p->raw_len + p->ids.count * TG_BODY_UUID_LEN;
    rc = 0;
done:
    free(ids);
    free(packed);
    return rc;
}

/* Prepares with the store's own window: chunks it has are not compressed. */
static int prepare_here(struct tg_store *store, const struct tg_log *log, const char *raw, size_t len,
                        struct tg_body_prepared **out, char *err, size_t errlen)
{
    if (log)
        return tg_body_prepare_log(store->bodies.codec, store->bodies.chunks, false, log, out, err, errlen);
    return tg_body_prepare(store->bodies.codec, store->bodies.chunks, false, raw, len, out, err, errlen);
}

/* Encodes the body (log's, or raw's when log is NULL) into store->bodies.row. */
static int encode_body(struct tg_store *store, int64_t request_id, const struct tg_log *log, const char *raw,
                       size_t len, char *err, size_t errlen)
{
    struct tg_body_prepared *own = NULL;
    const struct tg_body_prepared *p = log ? log->body : NULL;
    if (!p || !complete(store, p) || (p->ids.count && !store_body_ids_are_the_rows(p, log))) {
        if (prepare_here(store, log, raw, len, &own, err, errlen) != 0)
            return -1;
        if (own->ids.count && !store_body_ids_are_the_rows(own, log)) { /* keep the ids in, then */
            free(own);
            if (prepare_here(store, NULL, raw, len, &own, err, errlen) != 0)
                return -1;
        }
        p = own;
    }
    int rc = encode_prepared_body(store, request_id, p, raw, err, errlen);
    free(own);
    return rc;
}

/* Until the db has a body dictionary, the first logs stored are kept to train
 * one; commit trains it once there are enough (see store_bodies_before_commit). */
static void keep_sample(struct tg_store *store, const struct tg_log *log)
{
    struct store_bodies *b = &store->bodies;
    if (b->trainer.done || b->training_paused || tg_body_codec_dict_id(b->codec) != 0)
        return;
    tg_body_trainer_keep(&b->trainer, log->raw, log->raw_len);
}

int store_bodies_encode(struct tg_store *store, int64_t request_id, const struct tg_log *log, char *err,
                        size_t errlen)
{
    return encode_body(store, request_id, log, log->raw, log->raw_len, err, errlen);
}

int store_bodies_encode_raw(struct tg_store *store, int64_t request_id, const char *raw, size_t len, char *err,
                            size_t errlen)
{
    return encode_body(store, request_id, NULL, raw, len, err, errlen);
}

int store_bodies_added(struct tg_store *store, const struct tg_log *log, char *err, size_t errlen)
{
    if (log)
        keep_sample(store, log);
    if (store->bodies.pending->len >= PACK_TARGET)
        return write_pending(store, TG_BODY_END, err, errlen);
    return 0;
}

void tg_store_train_bodies(struct tg_store *store, bool on)
{
    store->bodies.training_paused = !on;
}

/* In the open transaction, before it commits. A failed training only means
 * bodies go on without a dictionary. */
int store_bodies_before_commit(struct tg_store *store, char *err, size_t errlen)
{
    struct store_bodies *b = &store->bodies;
    if (write_pending(store, TG_BODY_FLUSH, err, errlen) != 0)
        return -1;
    if (b->training_paused || tg_body_codec_dict_id(b->codec) != 0 || !tg_body_trainer_ready(&b->trainer))
        return 0;
    void *dict;
    size_t len;
    int64_t id;
    if (tg_body_trainer_train(&b->trainer, &dict, &len) != 0)
        return 0;
    int rc = tg_store_save_body_dict(store, dict, len, &id, err, errlen);
    free(dict);
    return rc;
}

static int know_dict(struct tg_store *store, int64_t dict_id)
{
    if (dict_id && !tg_body_decoder_knows(store->bodies.decoder, dict_id)) {
        const struct dict *d = load_dict(store, dict_id);
        if (!d || tg_body_decoder_add_dict(store->bodies.decoder, dict_id, d->bytes, d->len) != 0)
            return -1;
    }
    return 0;
}

/* One stored frame back to its bytes, with the dictionary digested once. */
int store_bodies_decode(struct tg_store *store, const void *z, size_t z_len, size_t raw_len, int64_t dict_id,
                        char **out)
{
    if (know_dict(store, dict_id) != 0)
        return -1;
    return tg_body_decode(store->bodies.decoder, z, z_len, raw_len, dict_id, out);
}

int store_bodies_decode_pack(struct tg_store *store, const void *z, size_t z_len, const void *lens_blob,
                             size_t lens_len, int64_t count, size_t raw_len, size_t need, int64_t dict_id, char **out)
{
    if (know_dict(store, dict_id) != 0 || count <= 0 || (size_t)count > lens_len) /* see store_pack_offsets */
        return -1;
    size_t *lens = malloc((size_t)count * sizeof *lens);
    struct tg_body_pack_split split;
    int rc = -1;
    if (lens && tg_body_pack_lens_decode(lens_blob, lens_len, lens, (size_t)count, &split) == 0)
        rc = split.two ? tg_body_decode_split(store->bodies.decoder, z, z_len, lens, (size_t)count, &split, raw_len,
                                              need, dict_id, out)
                       : tg_body_decode_prefix(store->bodies.decoder, z, z_len, raw_len, need, dict_id, out);
    free(lens);
    return rc;
}
