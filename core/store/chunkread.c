#include "store/chunkread.h"

#include <stdlib.h>
#include <string.h>

#include "store/bodyread.h"

#define CACHED_PACKS 8

struct cached_pack {
    int64_t first, count;
    size_t *offsets; /* count + 1 */
    char *raw;
    uint64_t used; /* for least recently used */
};

struct tg_chunk_reader {
    struct tg_store *store;
    sqlite3_stmt *find;
    struct cached_pack packs[CACHED_PACKS];
    uint64_t clock;
};

long tg_store_chunk_ids(struct tg_store *store, int64_t request_id, int64_t **ids)
{
    *ids = NULL;
    sqlite3_stmt *st;
    /* the request row's (schema 14), else the older table's */
    if (sqlite3_prepare_v2(store->db,
                           "SELECT chunk_refs, body_len FROM requests WHERE id = ?1 AND chunk_refs IS NOT NULL"
                           " UNION ALL SELECT chunk_refs, raw_len FROM request_bodies_v13 WHERE request_id = ?1"
                           " LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, request_id);
    long n = 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        n = tg_body_chunk_refs_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
                                      TG_CHUNK_COUNT_BOUND((size_t)sqlite3_column_int64(st, 1)), ids);
    else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        n = -1;
    sqlite3_finalize(st);
    return n;
}

unsigned char *tg_store_body_bitmap(struct tg_store *store, int64_t *max_id)
{
    sqlite3_stmt *st;
    *max_id = 0;
    if (sqlite3_prepare_v2(store->db, "SELECT coalesce(max(request_id), 0) FROM request_bodies", -1, &st, NULL) !=
        SQLITE_OK)
        return NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        *max_id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    unsigned char *bits = calloc((size_t)*max_id / 8 + 1, 1);
    if (!bits || sqlite3_prepare_v2(store->db, "SELECT request_id FROM request_bodies", -1, &st, NULL) != SQLITE_OK) {
        free(bits);
        return NULL;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (id >= 0 && id <= *max_id)
            bits[id / 8] |= (unsigned char)(1u << (id % 8));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(bits);
        return NULL;
    }
    return bits;
}

struct tg_chunk_reader *tg_chunk_reader_new(struct tg_store *store)
{
    struct tg_chunk_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->store = store;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT id, chunks, dict_id, raw_len, lens, zstd FROM chunk_packs"
                           " WHERE id <= ?1 ORDER BY id DESC LIMIT 1",
                           -1, &r->find, NULL) != SQLITE_OK) {
        free(r);
        return NULL;
    }
    return r;
}

static void drop(struct cached_pack *p)
{
    free(p->offsets);
    free(p->raw);
    memset(p, 0, sizeof *p);
}

void tg_chunk_reader_free(struct tg_chunk_reader *r)
{
    if (!r)
        return;
    for (int i = 0; i < CACHED_PACKS; i++)
        drop(&r->packs[i]);
    sqlite3_finalize(r->find);
    free(r);
}

/* The pack this connection is still filling (its batch not committed), when
 * it holds `id`: 1 and p filled, 0 when not there, -1 when damaged. */
static int load_pending(struct tg_chunk_reader *r, int64_t id, struct cached_pack *p)
{
    struct store_pending_copy c;
    int found = store_bodies_pending(r->store, id, &c);
    if (found <= 0)
        return found;
    size_t *offsets = store_pack_offsets(c.lens, c.lens_len, c.count, c.raw_len);
    free(c.lens);
    free(c.owners);
    if (!offsets) {
        free(c.raw);
        return -1;
    }
    drop(p);
    *p = (struct cached_pack){.first = c.first, .count = c.count, .offsets = offsets, .raw = c.raw};
    return 1;
}

/* Reads the pack holding `id` into slot p: 0, 1 when there is none, -1 damaged.
 * A pack may still be growing (its frame flushed at each commit, not ended):
 * it is read as far as it goes. */
static int load(struct tg_chunk_reader *r, int64_t id, struct cached_pack *p)
{
    int pending = load_pending(r, id, p);
    if (pending != 0)
        return pending < 0 ? -1 : 0;
    sqlite3_stmt *st = r->find;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 1 : -1;
    }
    int64_t first = sqlite3_column_int64(st, 0), count = sqlite3_column_int64(st, 1);
    size_t raw_len = (size_t)sqlite3_column_int64(st, 3);
    if (id - first >= count) {
        sqlite3_reset(st);
        return 1; /* between packs: this chunk's pack was swept */
    }
    size_t *offsets =
        store_pack_offsets(sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4), count, raw_len);
    char *raw = NULL;
    int bad = !offsets || store_bodies_decode_pack(r->store, sqlite3_column_blob(st, 5),
                                                   (size_t)sqlite3_column_bytes(st, 5), sqlite3_column_blob(st, 4),
                                                   (size_t)sqlite3_column_bytes(st, 4), count, raw_len, raw_len,
                                                   sqlite3_column_int64(st, 2), &raw) != 0;
    sqlite3_reset(st);
    if (bad) {
        free(offsets);
        free(raw);
        return -1;
    }
    drop(p);
    *p = (struct cached_pack){.first = first, .count = count, .offsets = offsets, .raw = raw};
    return 0;
}

int tg_chunk_reader_get(struct tg_chunk_reader *r, int64_t id, const char **bytes, size_t *len)
{
    struct cached_pack *p = NULL, *oldest = &r->packs[0];
    for (int i = 0; i < CACHED_PACKS && !p; i++) {
        struct cached_pack *c = &r->packs[i];
        if (c->raw && id >= c->first && id - c->first < c->count)
            p = c;
        else if (c->used < oldest->used)
            oldest = c;
    }
    if (!p) {
        int rc = load(r, id, oldest);
        if (rc != 0)
            return rc;
        p = oldest;
    }
    p->used = ++r->clock;
    size_t k = (size_t)(id - p->first);
    *bytes = p->raw + p->offsets[k];
    *len = p->offsets[k + 1] - p->offsets[k];
    return 0;
}
