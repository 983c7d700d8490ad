#include "store/bodyread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "log/bodyids.h"
#include "store/compactid.h"

/* A pack decompressed once per read: a log's chunks come in runs from a
 * handful of packs, each read and decompressed once. */
struct open_pack {
    int64_t first, count;
    size_t have; /* bytes of raw decompressed: up to the last chunk the read needs */
    size_t *offsets; /* count + 1 */
    char *raw;
    int64_t *owner_ids; /* runs of chunks, by the request that brought them */
    size_t *owner_counts;
    long owners;
};

struct chunk_reader {
    struct tg_store *store;
    const int64_t *ids; /* the chunks the read wants */
    long nids;
    sqlite3_stmt *find;
    struct open_pack *packs;
    size_t npacks, cap, last;
};

static void pack_free(struct open_pack *p)
{
    free(p->offsets);
    free(p->raw);
    free(p->owner_ids);
    free(p->owner_counts);
}

static void reader_free(struct chunk_reader *r)
{
    for (size_t i = 0; i < r->npacks; i++)
        pack_free(&r->packs[i]);
    free(r->packs);
    sqlite3_finalize(r->find);
}

static bool holds(const struct open_pack *p, int64_t id)
{
    return id >= p->first && id - p->first < p->count;
}

/* The request that brought chunk k of the pack (0 when the owners are short). */
static int64_t owner_of(const struct open_pack *p, size_t k)
{
    for (long i = 0; i < p->owners; i++) {
        if (k < p->owner_counts[i])
            return p->owner_ids[i];
        k -= p->owner_counts[i];
    }
    return 0;
}

size_t *store_pack_offsets(const void *lens, size_t lens_len, int64_t count, size_t raw_len)
{
    /* Each length takes a byte of lens at least. Not raw_len: a prune's
     * repack leaves the chunks it drops in the pack with no bytes, so a pack
     * of 600 chunks may keep 2 bytes (its bodies read as damaged then). */
    if (count <= 0 || (size_t)count > lens_len)
        return NULL;
    size_t *offsets = malloc(((size_t)count + 1) * sizeof *offsets);
    struct tg_body_pack_split split;
    if (!offsets || tg_body_pack_lens_decode(lens, lens_len, offsets + 1, (size_t)count, &split) != 0) {
        free(offsets);
        return NULL;
    }
    offsets[0] = 0;
    for (int64_t i = 1; i <= count; i++)
        offsets[i] += offsets[i - 1]; /* lengths to offsets */
    if (offsets[count] != raw_len) {
        free(offsets);
        return NULL;
    }
    return offsets;
}

/* Fills p's offsets and owners from a pack's stored fields (raw already
 * set). 0, or -1 when they do not fit its bytes. */
static int pack_index(struct open_pack *p, size_t raw_len, const void *lens, size_t lens_len, const void *owners,
                      size_t owners_len)
{
    p->offsets = store_pack_offsets(lens, lens_len, p->count, raw_len);
    if (!p->offsets)
        return -1;
    p->owners = tg_body_owners_decode(owners, owners_len, &p->owner_ids, &p->owner_counts);
    return p->owners < 0 ? -1 : 0;
}

/* The pack being filled in this batch, when it holds chunk id: 1, 0 when it
 * does not, -1 when out of memory. */
static int pending_pack(struct chunk_reader *r, int64_t id, struct open_pack *p)
{
    struct store_pending_copy c;
    int found = store_bodies_pending(r->store, id, &c);
    if (found <= 0)
        return found;
    *p = (struct open_pack){.first = c.first, .count = c.count, .raw = c.raw, .have = c.raw_len};
    int rc = pack_index(p, c.raw_len, c.lens, c.lens_len, c.owners, c.owners_len);
    free(c.lens);
    free(c.owners);
    return rc == 0 ? 1 : -1;
}

/* How many bytes of the pack the read needs: up to the end of the last of
 * its chunks the read wants (the rest of the pack is not decompressed). */
static size_t bytes_needed(const struct chunk_reader *r, const struct open_pack *p)
{
    int64_t last = -1;
    for (long i = 0; i < r->nids; i++) {
        if (holds(p, r->ids[i]) && r->ids[i] - p->first > last)
            last = r->ids[i] - p->first;
    }
    return last < 0 ? 0 : p->offsets[last + 1];
}

/* Reads and decompresses the pack of chunk `id` into a new entry. */
static struct open_pack *open_pack(struct chunk_reader *r, int64_t id)
{
    if (r->npacks == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        struct open_pack *grown = realloc(r->packs, cap * sizeof *grown);
        if (!grown)
            return NULL;
        r->packs = grown;
        r->cap = cap;
    }
    struct open_pack p = {0};
    int pending = pending_pack(r, id, &p);
    if (pending == 0) {
        sqlite3_stmt *st = r->find;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) != SQLITE_ROW)
            return NULL;
        p.first = sqlite3_column_int64(st, 0);
        p.count = sqlite3_column_int64(st, 1);
        size_t raw_len = (size_t)sqlite3_column_int64(st, 4);
        if (!holds(&p, id) ||
            pack_index(&p, raw_len, sqlite3_column_blob(st, 5), (size_t)sqlite3_column_bytes(st, 5),
                       sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2)) != 0)
            pending = -1;
        else if (p.have = bytes_needed(r, &p),
                 store_bodies_decode_pack(r->store, sqlite3_column_blob(st, 6), (size_t)sqlite3_column_bytes(st, 6),
                                          sqlite3_column_blob(st, 5), (size_t)sqlite3_column_bytes(st, 5), p.count,
                                          raw_len, p.have, sqlite3_column_int64(st, 3), &p.raw) != 0)
            pending = -1;
    }
    if (pending < 0 || !holds(&p, id)) {
        pack_free(&p);
        return NULL;
    }
    r->packs[r->npacks] = p;
    return &r->packs[r->npacks++];
}

static struct open_pack *pack_of(struct chunk_reader *r, int64_t id)
{
    if (r->npacks && holds(&r->packs[r->last], id))
        return &r->packs[r->last];
    for (size_t i = 0; i < r->npacks; i++) {
        if (holds(&r->packs[i], id)) {
            r->last = i;
            return &r->packs[i];
        }
    }
    struct open_pack *p = open_pack(r, id);
    if (p)
        r->last = (size_t)(p - r->packs);
    return p;
}

/* The chunks of refs, in order, appended to out; with only_of, only those
 * that request stored first. */
static int assemble_chunks(struct tg_store *store, const void *refs, size_t refs_len, size_t raw_len,
                           int64_t only_of, struct strbuf *out)
{
    int64_t *ids;
    long count = tg_body_chunk_refs_decode(refs, refs_len, TG_CHUNK_COUNT_BOUND(raw_len), &ids);
    if (count < 0)
        return -1;
    struct chunk_reader r = {.store = store, .ids = ids, .nids = count};
    int rc = sqlite3_prepare_v2(store->db,
                                "SELECT id, chunks, owners, dict_id, raw_len, lens, zstd FROM chunk_packs"
                                " WHERE id <= ?1 ORDER BY id DESC LIMIT 1",
                                -1, &r.find, NULL) == SQLITE_OK
                 ? 0
                 : -1;
    for (long i = 0; i < count && rc == 0; i++) {
        struct open_pack *p = pack_of(&r, ids[i]);
        if (!p) {
            rc = -1;
            break;
        }
        size_t k = (size_t)(ids[i] - p->first);
        if (only_of && owner_of(p, k) != only_of)
            continue;
        if (p->offsets[k + 1] > p->have) {
            rc = -1;
            break;
        }
        strbuf_append(out, p->raw + p->offsets[k], p->offsets[k + 1] - p->offsets[k]);
    }
    reader_free(&r);
    free(ids);
    if (rc == 0 && !only_of && out->len != raw_len)
        rc = -1;
    return rc == 0 && !out->failed ? 0 : -1;
}

/* The older layout: the message bytes of one reference, appended to out;
 * "{}" instead when only_new_in is set and an earlier request stored it. */
static int append_message(struct tg_store *store, sqlite3_stmt *st, int64_t id, int64_t only_new_in,
                          struct strbuf *out)
{
    sqlite3_bind_int64(st, 1, id);
    int ok = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        size_t raw_len = (size_t)sqlite3_column_int64(st, 0);
        int64_t dict_id = sqlite3_column_int64(st, 1);
        char *text = NULL;
        if (only_new_in && sqlite3_column_int64(st, 3) != only_new_in) {
            strbuf_puts(out, "{}");
            ok = 0;
        } else if (store_bodies_decode(store, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
                                       raw_len, dict_id, &text) == 0) {
            strbuf_append(out, text, raw_len);
            free(text);
            ok = 0;
        }
    }
    sqlite3_reset(st);
    return ok;
}

/* The older layout: puts the messages back into the skeleton. */
static int reassemble(struct tg_store *store, const char *skeleton, size_t skeleton_len, const void *refs,
                      size_t refs_len, int64_t only_new_in, struct strbuf *out)
{
    size_t at[TG_BODY_MAX_PIECES];
    int64_t ids[TG_BODY_MAX_PIECES];
    long count = tg_body_refs_decode(refs, refs_len, at, ids, TG_BODY_MAX_PIECES);
    if (count < 0)
        return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "SELECT raw_len, dict_id, zstd, first_request_id FROM messages WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    size_t from = 0;
    int rc = 0;
    for (long i = 0; i < count && rc == 0; i++) {
        if (at[i] > skeleton_len || at[i] < from) {
            rc = -1;
            break;
        }
        strbuf_append(out, skeleton + from, at[i] - from);
        from = at[i];
        rc = append_message(store, st, ids[i], only_new_in, out);
    }
    sqlite3_finalize(st);
    if (rc == 0)
        strbuf_append(out, skeleton + from, skeleton_len - from);
    return rc == 0 && !out->failed ? 0 : -1;
}

/* A body row (BODY_COLUMNS from `col`) back into the log's exact bytes. With
 * only_new_in (a request id), only what that request stored first: for
 * chunks, the bytes of the chunks it packed, side by side (a fragment of
 * JSON); for messages, the skeleton with the others as "{}". */
static int body_from_row(struct tg_store *store, sqlite3_stmt *st, int col, int64_t only_new_in, char **raw,
                         size_t *len)
{
    size_t stored_len = (size_t)sqlite3_column_int64(st, col + 1);
    struct strbuf out = STRBUF_INIT;
    int rc;
    if (sqlite3_column_type(st, col + 4) != SQLITE_NULL) {
        rc = assemble_chunks(store, sqlite3_column_blob(st, col + 4), (size_t)sqlite3_column_bytes(st, col + 4),
                             stored_len, only_new_in, &out);
    } else {
        char *text = NULL;
        if (store_bodies_decode(store, sqlite3_column_blob(st, col), (size_t)sqlite3_column_bytes(st, col),
                                stored_len, sqlite3_column_int64(st, col + 2), &text) != 0)
            return -1;
        if (sqlite3_column_type(st, col + 3) == SQLITE_NULL) { /* stored whole */
            *raw = text;
            *len = stored_len;
            return 0;
        }
        rc = reassemble(store, text, stored_len, sqlite3_column_blob(st, col + 3),
                        (size_t)sqlite3_column_bytes(st, col + 3), only_new_in, &out);
        free(text);
    }
    if (rc != 0) {
        strbuf_free(&out);
        return -1;
    }
    *len = out.len;
    *raw = out.len ? strbuf_detach(&out) : calloc(1, 1);
    strbuf_free(&out);
    return *raw ? 0 : -1;
}

/* The text of a stored id (a column of requests) into out, 36 characters:
 * false when it is not a packed UUID (a body never leaves such an id out). */
static bool id_text(sqlite3_stmt *st, int col, char out[STORE_UUID_TEXT + 1])
{
    if (sqlite3_column_type(st, col) != SQLITE_BLOB || sqlite3_column_bytes(st, col) != STORE_UUID_BYTES)
        return false;
    store_uuid_unpack(sqlite3_column_blob(st, col), out);
    return true;
}

/* A body kept in its request row (schema 14; store/bodies.h): 0 and the log,
 * 1 when the row holds none, 2 when there is no such request, -1 when it is
 * damaged or unreadable. With only_new, what the request stored first, as
 * body_from_row; its ids are not put back into that fragment. */
static int body_in_row(struct tg_store *store, int64_t request_id, bool only_new, char **raw, size_t *len)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT body_len, chunk_refs, body_ids, log_id, thread_id FROM requests WHERE id = ?1", -1,
                           &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, request_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW || sqlite3_column_type(st, 1) == SQLITE_NULL) {
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 2 : -1;
    }
    size_t log_len = (size_t)sqlite3_column_int64(st, 0);
    struct tg_body_ids ids = {0};
    rc = tg_body_ids_decode(sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2), &ids);
    if (rc != 0 || log_len < ids.count * TG_BODY_UUID_LEN) {
        sqlite3_finalize(st);
        return -1;
    }
    struct strbuf out = STRBUF_INIT;
    rc = assemble_chunks(store, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
                         log_len - ids.count * TG_BODY_UUID_LEN, only_new ? request_id : 0, &out);
    if (rc == 0 && !only_new && ids.count) {
        char log_id[STORE_UUID_TEXT + 1], thread_id[STORE_UUID_TEXT + 1];
        const char *texts[TG_BODY_IDS_MAX] = {id_text(st, 3, log_id) ? log_id : NULL,
                                              id_text(st, 4, thread_id) ? thread_id : NULL};
        rc = tg_body_ids_restore(out.len ? out.data : "", out.len, &ids, texts, raw, len);
        strbuf_free(&out);
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    if (rc != 0) {
        strbuf_free(&out);
        return -1;
    }
    *len = out.len;
    *raw = out.len ? strbuf_detach(&out) : calloc(1, 1);
    strbuf_free(&out);
    return *raw ? 0 : -1;
}

/* A body of the tables before schema 14: 0, 1 when none, -1 when damaged. */
static int body_in_old_table(struct tg_store *store, int64_t request_id, bool only_new, char **raw, size_t *len)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "SELECT " BODY_COLUMNS " FROM request_bodies_v13 WHERE request_id = ?1", -1,
                           &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, request_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 1 : -1;
    }
    rc = body_from_row(store, st, 0, only_new ? request_id : 0, raw, len) != 0 ? -1 : 0;
    sqlite3_finalize(st);
    return rc;
}

/* 0 and the body, 1 no body, 2 no request, -1 damaged or unreadable */
static int read_body(struct tg_store *store, int64_t request_id, bool only_new, char **raw, size_t *len)
{
    *raw = NULL;
    *len = 0;
    int rc = body_in_row(store, request_id, only_new, raw, len);
    return rc == 1 ? body_in_old_table(store, request_id, only_new, raw, len) : rc;
}

int tg_store_raw_request(struct tg_store *store, int64_t request_id, char **raw, size_t *len, char *err,
                         size_t errlen)
{
    int rc = read_body(store, request_id, false, raw, len);
    if (rc == 2)
        return 1;
    if (rc == 1) {
        snprintf(err, errlen, "body pruned");
        return 2;
    }
    if (rc != 0) {
        snprintf(err, errlen, "the stored body of request %lld is damaged", (long long)request_id);
        return -1;
    }
    return 0;
}

int tg_store_body_of(struct tg_store *store, int64_t request_id, bool only_new, char **raw, size_t *len, char *err,
                     size_t errlen)
{
    int rc = read_body(store, request_id, only_new, raw, len);
    if (rc == 1 || rc == 2)
        return 1;
    if (rc != 0) {
        snprintf(err, errlen, "the stored body of request %lld is damaged", (long long)request_id);
        return -1;
    }
    return 0;
}

int tg_store_body_layout(struct tg_store *store, int64_t request_id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT msg_refs IS NOT NULL, chunk_refs IS NOT NULL FROM request_bodies"
                           " WHERE request_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, request_id);
    int layout = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        layout = sqlite3_column_int(st, 1) ? TG_BODY_CHUNKS : sqlite3_column_int(st, 0) ? TG_BODY_MESSAGES
                                                                                          : TG_BODY_WHOLE;
    sqlite3_finalize(st);
    return layout;
}

/* The digests of the messages of at least TG_BODY_MIN_PIECE bytes, from the
 * rebuilt log: a 120 KB log is rebuilt in well under a millisecond. */
long tg_store_message_digests(struct tg_store *store, int64_t request_id, unsigned char (*digests)[TG_DIGEST_LEN],
                              size_t max)
{
    char *raw, err[128];
    size_t len;
    int rc = tg_store_body_of(store, request_id, false, &raw, &len, err, sizeof err);
    if (rc != 0)
        return rc == 1 ? 0 : -1;
    size_t offsets[TG_BODY_MAX_PIECES], lengths[TG_BODY_MAX_PIECES];
    size_t n = tg_body_find_pieces(raw, len, offsets, lengths, max < TG_BODY_MAX_PIECES ? max : TG_BODY_MAX_PIECES);
    for (size_t i = 0; i < n; i++)
        tg_body_digest(raw + offsets[i], lengths[i], digests[i]);
    free(raw);
    return (long)n;
}
