#include "store/bodies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/timeutil.h"
#include "store/sqlbind.h"
#include "store/bodyread.h"
#include "store/bodyrow.h"
#include "store/packs.h"

/* chunks known by digest without asking the db (per generation; see msgcache.h) */
#define TG_STORE_CHUNK_WINDOW 131072
/* A writer that starts fills its window from the newest packs, digesting
 * their chunks again (digests are not stored): at most this many bytes. */
#define WINDOW_LOAD_BYTES (64 << 20)

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
    return b->codec && b->dicts && b->chunks && b->decoder && store_packs_init(store) == 0 ? 0 : -1;
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
    store_packs_free(store);
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
    /* the frame a flushed pack left open (packs.c) takes no dictionary */
    tg_body_stream_begin(store->bodies.codec);
    if (tg_body_codec_set_dict(store->bodies.codec, dict, len, id) != 0)
        return -1;
    return store_packs_set_dict(store, dict, len, id);
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
    if (store_packs_end(store, err, errlen) != 0)
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
    store_packs_go_on(store, pruned);
    return pruned;
}

void store_bodies_forget(struct tg_store *store)
{
    tg_msgcache_clear(store->bodies.chunks); /* chunks of the batch are gone too */
    store->bodies.chunks_loaded = false;
    store_packs_forget(store);
}


/* The id of chunk i that is not in the pack: the window's (known[i]), or
 * that of the same bytes packed earlier in this log (ids set for those).
 * 0: unknown. */
static int64_t id_of_unpacked(const struct tg_body_prepared *p, const int64_t *known, const bool *packed,
                              const int64_t *ids, size_t i)
{
    int64_t id = known[i];
    for (size_t j = 0; !id && j < i; j++) {
        if (packed[j] && memcmp(p->chunks[j].digest, p->chunks[i].digest, TG_DIGEST_LEN) == 0)
            id = ids[j];
    }
    return id;
}

/* A body's ids as the store hands them out, in one allocation: the window's
 * id of each chunk (looked up once: the window is megabytes, every lookup a
 * cache miss), the ids given, which chunks go to the pack. */
struct body_ids {
    int64_t *known, *ids;
    bool *packed;
};

static int body_ids_new(struct body_ids *b, size_t count)
{
    size_t n = count ? count : 1;
    char *block = malloc(2 * n * sizeof(int64_t) + n + 1);
    if (!block)
        return -1;
    b->known = (int64_t *)block;
    b->ids = b->known + n;
    b->packed = (bool *)(b->ids + n);
    return 0;
}

/* The request row's refs buffer holds at least need bytes. */
static bool row_refs_hold(struct store_body_row *row, size_t need)
{
    if (need <= row->refs_cap)
        return true;
    unsigned char *grown = realloc(row->refs, need);
    if (!grown)
        return false;
    row->refs = grown;
    row->refs_cap = need;
    return true;
}

/* Looks every chunk up in the window; false when one is neither known nor
 * in the pack, nor the same bytes as a chunk before it that is: a preparer
 * may have left out a chunk it sent before that the window has forgotten
 * since (or that was another writer's), and then the store packs again. */
static bool look_up(struct tg_store *store, const struct tg_body_prepared *p, int64_t *known)
{
    bool complete = true;
    for (size_t i = 0; i < p->count; i++) {
        known[i] = tg_msgcache_get(store->bodies.chunks, p->chunks[i].digest);
        if (known[i] || p->chunks[i].in_pack || !complete)
            continue;
        bool packed_before = false;
        for (size_t j = 0; j < i && !packed_before; j++)
            packed_before = p->chunks[j].in_pack &&
                            memcmp(p->chunks[j].digest, p->chunks[i].digest, TG_DIGEST_LEN) == 0;
        complete = packed_before;
    }
    return complete;
}

/* The pack's chunks get the ids from next_chunk_id on, in order; every other
 * chunk the id the window knows (known, from look_up). The body's fields go
 * to store->bodies.row, for the request row (schema 14: a body is columns of
 * requests). */
static int encode_prepared_body(struct tg_store *store, int64_t request_id, const struct tg_body_prepared *p,
                                const char *raw, struct body_ids *bi, char *err, size_t errlen)
{
    struct store_bodies *b = &store->bodies;
    struct store_body_row *row = &b->row;
    const char *text = p->text ? p->text : raw;
    int64_t *ids = bi->ids;
    bool *packed = bi->packed;
    if (!row_refs_hold(row, TG_BODY_CHUNK_REFS_BOUND(p->count) + 1)) {
        snprintf(err, errlen, "out of memory storing a body");
        return -1;
    }
    /* a chunk its preparer took for new may be stored already: another
     * parsing or collector thread brought it first */
    int64_t next = b->next_chunk_id;
    for (size_t i = 0; i < p->count; i++) {
        packed[i] = p->chunks[i].in_pack && bi->known[i] == 0;
        ids[i] = packed[i] ? next++ : 0;
    }
    for (size_t i = 0; i < p->count; i++) {
        if (!packed[i] && !(ids[i] = id_of_unpacked(p, bi->known, packed, ids, i))) {
            snprintf(err, errlen, "a chunk of request %lld is neither stored nor packed", (long long)request_id);
            return -1;
        }
    }
    for (size_t i = 0; i < p->count; i++) {
        if (packed[i] &&
            store_packs_add(store, request_id, ids[i], text + p->chunks[i].off, p->chunks[i].len, p->chunks[i].off == 0,
                        err, errlen) != 0)
            return -1;
    }
    b->next_chunk_id = next;
    for (size_t i = 0; i < p->count; i++) {
        if (packed[i])
            tg_msgcache_put(b->chunks, p->chunks[i].digest, ids[i]);
    }
    row->refs_len = tg_body_chunk_refs_encode(ids, p->count, row->refs);
    row->ids_len = tg_body_ids_encode(&p->ids, row->ids);
    row->raw_len = p->raw_len + p->ids.count * TG_BODY_UUID_LEN;
    return store_packs_stored(store, p->raw_len, err, errlen);
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
    struct body_ids bi = {0};
    if (p && p->ids.count && !store_body_ids_are_the_rows(p, log))
        p = NULL;
    if (p && (body_ids_new(&bi, p->count) != 0 || !look_up(store, p, bi.known))) {
        free(bi.known);
        bi.known = NULL;
        p = NULL;
    }
    if (!p) {
        if (prepare_here(store, log, raw, len, &own, err, errlen) != 0)
            return -1;
        if (own->ids.count && !store_body_ids_are_the_rows(own, log)) { /* keep the ids in, then */
            free(own);
            if (prepare_here(store, NULL, raw, len, &own, err, errlen) != 0)
                return -1;
        }
        p = own;
        if (body_ids_new(&bi, p->count) != 0) {
            free(own);
            snprintf(err, errlen, "out of memory storing a body");
            return -1;
        }
        look_up(store, p, bi.known);
    }
    int rc = encode_prepared_body(store, request_id, p, raw, &bi, err, errlen);
    free(bi.known); /* the whole block */
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
    (void)err;
    (void)errlen;
    if (log)
        keep_sample(store, log);
    return 0;
}

void tg_store_train_bodies(struct tg_store *store, bool on)
{
    store->bodies.training_paused = !on;
}

int store_bodies_commit_begin(struct tg_store *store, char *err, size_t errlen)
{
    return store_packs_commit_begin(store, err, errlen);
}

/* In the open transaction, before it commits. A failed training only means
 * bodies go on without a dictionary. */
int store_bodies_before_commit(struct tg_store *store, char *err, size_t errlen)
{
    struct store_bodies *b = &store->bodies;
    if (store_packs_before_commit(store, err, errlen) != 0)
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
