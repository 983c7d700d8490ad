#include "store/bodies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/timeutil.h"
#include "store/sqlbind.h"

/* messages known by digest without asking the db (per generation; see msgcache.h) */
#define TG_STORE_MESSAGE_WINDOW 131072

struct dict {
    size_t len;
    unsigned char bytes[];
};

int store_bodies_init(struct tg_store *store)
{
    struct store_bodies *b = &store->bodies;
    b->codec = tg_body_codec_new();
    b->dicts = hashmap_new();
    b->messages = tg_msgcache_new(TG_STORE_MESSAGE_WINDOW);
    b->decoder = tg_body_decoder_new();
    return b->codec && b->dicts && b->messages && b->decoder ? 0 : -1;
}

void store_bodies_free(struct tg_store *store)
{
    struct store_bodies *b = &store->bodies;
    tg_body_codec_free(b->codec);
    hashmap_free(b->dicts, free);
    tg_msgcache_free(b->messages);
    tg_body_decoder_free(b->decoder);
    tg_body_trainer_stop(&b->trainer);
}

int store_prepare_bodies(struct tg_store *store, char *err, size_t errlen)
{
    if (store_prepare(store, ST_INSERT_BODY,
                      "INSERT INTO request_bodies(request_id, raw_zstd, raw_len, dict_id, msg_refs)"
                      " VALUES(?1,?2,?3,?4,?5)",
                      err, errlen) != 0)
        return -1;
    return store_prepare(store, ST_INSERT_MESSAGE,
                         "INSERT INTO messages(digest, raw_len, dict_id, first_request_id, zstd)"
                         " VALUES(?1,?2,?3,?4,?5)",
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
    if (!d || tg_body_codec_set_dict(store->bodies.codec, d->bytes, d->len, id) != 0) {
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
    if (tg_body_codec_set_dict(store->bodies.codec, dict, len, *id) != 0) {
        snprintf(err, errlen, "out of memory loading a body dictionary");
        return -1;
    }
    return 0;
}

/* The window of known messages starts as the newest ones stored, so a thread
 * that goes on after a restart still finds its earlier messages. */
static int load_recent_messages(struct tg_store *store, const char *prune_mark, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "SELECT id, digest FROM messages ORDER BY id DESC LIMIT ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return tg_store_fail(store, "reading recent messages", err, errlen);
    sqlite3_bind_int(st, 1, TG_STORE_MESSAGE_WINDOW);
    int rc;
    tg_msgcache_clear(store->bodies.messages);
    /* one generation's worth: all of it in the current one, in any order */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 1) == TG_DIGEST_LEN)
            tg_msgcache_put(store->bodies.messages, sqlite3_column_blob(st, 1), sqlite3_column_int64(st, 0));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "reading recent messages", err, errlen);
    snprintf(store->bodies.prune_mark, sizeof store->bodies.prune_mark, "%s", prune_mark);
    store->bodies.messages_loaded = true;
    return 0;
}

int store_bodies_ready(struct tg_store *store, const char *prune_mark, char *err, size_t errlen)
{
    /* Another process may have pruned messages this one still remembers: the
     * mark changes then, and is read under the write lock, so no prune can
     * slip in between this check and the commit. */
    int pruned = strcmp(prune_mark, store->bodies.prune_mark) != 0;
    if (pruned)
        store->bodies.messages_loaded = false;
    if (!store->bodies.messages_loaded && load_recent_messages(store, prune_mark, err, errlen) != 0)
        return -1;
    return pruned;
}

void store_bodies_forget(struct tg_store *store)
{
    tg_msgcache_clear(store->bodies.messages); /* messages of the batch are gone too */
    store->bodies.messages_loaded = false;
}

/* A message's id: the stored one with the same digest, else a new row. */
static int message_id(struct tg_store *store, int64_t request_id, const struct tg_body_prepared *p,
                      const struct tg_body_piece *piece, const char *raw, int64_t *id, char *err, size_t errlen)
{
    *id = tg_msgcache_get(store->bodies.messages, piece->digest);
    if (*id)
        return 0;
    const void *z = piece->z;
    size_t z_len = piece->z_len;
    int64_t dict_id = p->dict_id;
    void *own = NULL;
    if (!z) { /* the preparer thought it sent before, but the window has moved on */
        if (tg_body_compress(store->bodies.codec, raw + piece->raw_off, piece->len, &own, &z_len, err, errlen) != 0)
            return -1;
        z = own;
        dict_id = tg_body_codec_dict_id(store->bodies.codec);
    }
    sqlite3_stmt *st = store->stmt[ST_INSERT_MESSAGE];
    sqlite3_bind_blob(st, 1, piece->digest, TG_DIGEST_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)piece->len);
    tg_sql_bind_id(st, 3, dict_id);
    sqlite3_bind_int64(st, 4, request_id);
    sqlite3_bind_blob(st, 5, z, (int)z_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    free(own);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "storing a message", err, errlen);
    *id = sqlite3_last_insert_rowid(store->db);
    tg_msgcache_put(store->bodies.messages, piece->digest, *id);
    return 0;
}

static int insert_prepared_body(struct tg_store *store, int64_t request_id, const struct tg_body_prepared *p,
                                const char *raw, char *err, size_t errlen)
{
    size_t at[TG_BODY_MAX_PIECES];
    int64_t ids[TG_BODY_MAX_PIECES];
    unsigned char refs[TG_BODY_REFS_BOUND(TG_BODY_MAX_PIECES)];
    for (size_t i = 0; i < p->count; i++) {
        at[i] = p->pieces[i].at;
        if (message_id(store, request_id, p, &p->pieces[i], raw, &ids[i], err, errlen) != 0)
            return -1;
    }
    size_t refs_len = tg_body_refs_encode(at, ids, p->count, refs);
    sqlite3_stmt *st = store->stmt[ST_INSERT_BODY];
    sqlite3_bind_int64(st, 1, request_id);
    sqlite3_bind_blob(st, 2, p->skeleton_z, (int)p->skeleton_z_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)p->skeleton_len);
    tg_sql_bind_id(st, 4, p->dict_id);
    /* an empty blob, not NULL: NULL marks a body stored whole */
    sqlite3_bind_blob(st, 5, refs, (int)refs_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "storing a request body", err, errlen);
    return 0;
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

int store_bodies_insert(struct tg_store *store, int64_t request_id, const struct tg_log *log, char *err,
                        size_t errlen)
{
    struct tg_body_prepared *own = NULL;
    const struct tg_body_prepared *p = log->body;
    if (!p) {
        if (tg_body_prepare(store->bodies.codec, NULL, log->raw, log->raw_len, &own, err, errlen) != 0)
            return -1;
        p = own;
    }
    int rc = insert_prepared_body(store, request_id, p, log->raw, err, errlen);
    free(own);
    if (rc == 0)
        keep_sample(store, log);
    return rc;
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

/* One stored frame back to its bytes, with the dictionary digested once. */
static int decode(struct tg_store *store, const void *z, size_t z_len, size_t raw_len, int64_t dict_id, char **out)
{
    if (dict_id && !tg_body_decoder_knows(store->bodies.decoder, dict_id)) {
        const struct dict *d = load_dict(store, dict_id);
        if (!d || tg_body_decoder_add_dict(store->bodies.decoder, dict_id, d->bytes, d->len) != 0)
            return -1;
    }
    return tg_body_decode(store->bodies.decoder, z, z_len, raw_len, dict_id, out);
}

/* The message bytes of one reference, appended to out; "{}" instead when
 * only_new_in is set and an earlier request stored the message. */
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
        } else if (decode(store, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2), raw_len, dict_id,
                          &text) == 0) {
            strbuf_append(out, text, raw_len);
            free(text);
            ok = 0;
        }
    }
    sqlite3_reset(st);
    return ok;
}

/* Puts the messages back into the skeleton where they were taken from. */
static int reassemble(struct tg_store *store, const char *skeleton, size_t skeleton_len, const void *refs,
                      size_t refs_len, int64_t only_new_in, struct strbuf *out)
{
    size_t at[TG_BODY_MAX_PIECES];
    int64_t ids[TG_BODY_MAX_PIECES];
    long count = tg_body_refs_decode(refs, refs_len, at, ids, TG_BODY_MAX_PIECES);
    if (count < 0)
        return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "SELECT raw_len, dict_id, zstd, first_request_id FROM messages WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    size_t from = 0;
    int rc = 0;
    for (long i = 0; i < count && rc == 0; i++) {
        if (at[i] > skeleton_len) {
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

/* Decompresses a stored body row (columns from `col`: zstd, raw_len, dict_id,
 * msg_refs) back into the log's exact bytes. */
static int body_from_row(struct tg_store *store, sqlite3_stmt *st, int col, int64_t only_new_in, char **raw,
                         size_t *len)
{
    const void *blob = sqlite3_column_blob(st, col);
    size_t blob_len = (size_t)sqlite3_column_bytes(st, col);
    size_t stored_len = (size_t)sqlite3_column_int64(st, col + 1);
    int64_t dict_id = sqlite3_column_int64(st, col + 2);
    char *text = NULL;
    if (decode(store, blob, blob_len, stored_len, dict_id, &text) != 0)
        return -1;
    if (sqlite3_column_type(st, col + 3) == SQLITE_NULL) { /* stored whole */
        *raw = text;
        *len = stored_len;
        return 0;
    }
    struct strbuf out = STRBUF_INIT;
    int rc = reassemble(store, text, stored_len, sqlite3_column_blob(st, col + 3),
                        (size_t)sqlite3_column_bytes(st, col + 3), only_new_in, &out);
    free(text);
    if (rc != 0) {
        strbuf_free(&out);
        return -1;
    }
    *len = out.len;
    *raw = strbuf_detach(&out);
    return 0;
}

int tg_store_raw_request(struct tg_store *store, int64_t request_id, char **raw, size_t *len, char *err,
                         size_t errlen)
{
    *raw = NULL;
    *len = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT b.request_id, b.raw_zstd, b.raw_len, b.dict_id, b.msg_refs FROM requests r"
                           " LEFT JOIN request_bodies b ON b.request_id = r.id WHERE r.id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading a log", err, errlen);
    sqlite3_bind_int64(st, 1, request_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 1 : tg_store_fail(store, "reading a log", err, errlen);
    }
    if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
        sqlite3_finalize(st);
        snprintf(err, errlen, "body pruned");
        return 2;
    }
    int damaged = body_from_row(store, st, 1, 0, raw, len) != 0;
    sqlite3_finalize(st);
    if (damaged) {
        snprintf(err, errlen, "the stored body of request %lld is damaged", (long long)request_id);
        return -1;
    }
    return 0;
}

int tg_store_rewrite_body(struct tg_store *store, int64_t request_id, const char *raw, size_t len, char *err,
                          size_t errlen)
{
    if (!store->in_batch) {
        snprintf(err, errlen, "tg_store_rewrite_body outside a batch");
        return -1;
    }
    if (store_ready_for_logs(store, err, errlen) != 0) /* its messages join the window */
        return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "DELETE FROM request_bodies WHERE request_id = ?1", -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "rewriting a body", err, errlen);
    sqlite3_bind_int64(st, 1, request_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "rewriting a body", err, errlen);
    struct tg_body_prepared *p;
    if (tg_body_prepare(store->bodies.codec, NULL, raw, len, &p, err, errlen) != 0)
        return -1;
    rc = insert_prepared_body(store, request_id, p, raw, err, errlen);
    free(p);
    return rc;
}

int tg_store_body_of(struct tg_store *store, int64_t request_id, bool only_new, char **raw, size_t *len, char *err,
                     size_t errlen)
{
    *raw = NULL;
    *len = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store->db, "SELECT raw_zstd, raw_len, dict_id, msg_refs FROM request_bodies"
                           " WHERE request_id = ?1", -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "reading a body", err, errlen);
    sqlite3_bind_int64(st, 1, request_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 1 : tg_store_fail(store, "reading a body", err, errlen);
    }
    int damaged = body_from_row(store, st, 0, only_new ? request_id : 0, raw, len) != 0;
    sqlite3_finalize(st);
    if (damaged) {
        snprintf(err, errlen, "the stored body of request %lld is damaged", (long long)request_id);
        return -1;
    }
    return 0;
}


long tg_store_message_digests(struct tg_store *store, int64_t request_id, unsigned char (*digests)[TG_DIGEST_LEN],
                              size_t max)
{
    sqlite3_stmt *refs_st, *digest_st;
    if (sqlite3_prepare_v2(store->db, "SELECT msg_refs FROM request_bodies WHERE request_id = ?1", -1, &refs_st,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(refs_st, 1, request_id);
    size_t at[TG_BODY_MAX_PIECES];
    int64_t ids[TG_BODY_MAX_PIECES];
    long count = 0;
    if (sqlite3_step(refs_st) == SQLITE_ROW && sqlite3_column_type(refs_st, 0) != SQLITE_NULL)
        count = tg_body_refs_decode(sqlite3_column_blob(refs_st, 0), (size_t)sqlite3_column_bytes(refs_st, 0), at,
                                    ids, TG_BODY_MAX_PIECES);
    sqlite3_finalize(refs_st);
    if (count <= 0)
        return count;
    if (sqlite3_prepare_v2(store->db, "SELECT digest FROM messages WHERE id = ?1", -1, &digest_st, NULL) != SQLITE_OK)
        return -1;
    long n = 0;
    for (long i = 0; i < count && (size_t)n < max; i++) {
        sqlite3_bind_int64(digest_st, 1, ids[i]);
        if (sqlite3_step(digest_st) == SQLITE_ROW && sqlite3_column_bytes(digest_st, 0) == TG_DIGEST_LEN)
            memcpy(digests[n++], sqlite3_column_blob(digest_st, 0), TG_DIGEST_LEN);
        sqlite3_reset(digest_st);
    }
    sqlite3_finalize(digest_st);
    return n;
}
