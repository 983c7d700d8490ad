/* The log store: SQLite in WAL mode. Narrow request rows for lists, bodies
 * (the compressed raw log) apart, dimension tables for developers, keys and
 * models, and per-hour rollups kept in the same transaction as the inserts so
 * spend questions never scan raw requests.
 *
 * This is the store's one public interface (with dbfault.h for failures and
 * sqlbind.h for binding values in SQL run on tg_store_sqlite). Behind it,
 * one file per subsystem, mapped in store_int.h, which only core/store
 * includes. */
#ifndef TG_STORE_H
#define TG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "log/logmodel.h"
#include "log/msgcache.h"

#define TG_STORE_SCHEMA_VERSION 16

enum tg_store_flags {
    TG_STORE_READ_ONLY = 1, /* never create or migrate; fail when the db is missing */
    TG_STORE_SMALL_CACHE = 2, /* 16 MB of page cache instead of 64: for the screens' connections */
    TG_STORE_BULK = 4,        /* up to 1 GB of page cache, for imports: see configure() in open.c */
    /* a long-running writer (the collector): WAL checkpoints run on a thread
     * and connection of their own, not inside the writer's commits */
    TG_STORE_BACKGROUND_CHECKPOINTS = 8,
};

struct tg_store;

/* Opens (creating with mode 0600 when missing) and migrates to the current
 * schema. A db written by a newer tollgate is refused. Returns 0, or -1 with err. */
int tg_store_open(const char *path, int flags, struct tg_store **out, char *err, size_t errlen);

/* For tests of migrations: opens and migrates only up to `version`. */
int tg_store_open_at_version(const char *path, int version, struct tg_store **out, char *err,
                             size_t errlen);

void tg_store_close(struct tg_store *store);

/* PRAGMA user_version of the open db. */
int tg_store_schema_version(struct tg_store *store);

/* A batch: begin, add logs, commit. Nothing of a batch is visible or kept
 * unless commit succeeds; rollback forgets it whole. Begin only takes the
 * write lock: what adding logs needs (recent messages, log ids) is read in
 * the batch when it first adds one. */
int tg_store_begin(struct tg_store *store, char *err, size_t errlen);
/* Adds one parsed (and priced) log. *inserted is false when a log with the same
 * id is already stored: retries and re-imports never double-count. */
int tg_store_add(struct tg_store *store, const struct tg_log *log, bool *inserted, char *err,
                 size_t errlen);
int tg_store_commit(struct tg_store *store, char *err, size_t errlen);
void tg_store_rollback(struct tg_store *store);

/* For a long writer (an import) between logs: true when another process has
 * the db open to write (the collector, `prune`, `index`, the screens'
 * indexer). Such a writer should then commit in slices of about
 * TG_STORE_SLICE_MS and pause TG_STORE_YIELD_MS after each, so the others'
 * commits get the write lock in between (a 500,000-log batch held it for
 * 25 s, and the collector's posts got 503). Writable stores opened without
 * TG_STORE_BULK say they are there with a shared lock on the db's -writers
 * file, released when they close (or die). */
#define TG_STORE_SLICE_MS 100
#define TG_STORE_YIELD_MS 10
bool tg_store_shares_writes(struct tg_store *store);

/* Log ids are found through an index kept up to a watermark plus the ids of
 * the newest requests held in memory (read back from the db in the first
 * batch of a writer that adds logs); commits merge those into the index when
 * there are enough of them. This merges them now, in the open batch
 * (`tollgate migrate` does). */
int tg_store_index_log_ids(struct tg_store *store, char *err, size_t errlen);

/* For tests only: the bounds of the merge above (by default 65,536 and
 * 262,144 ids; a commit merges once the in-memory ids number a quarter of the
 * index, within them), so a test reaches one with a few logs. */
void tg_store_set_id_merge_bounds(struct tg_store *store, int64_t min, int64_t max);
/* For tests only: the logs a bulk batch adds before it defers the indexes of
 * requests to its commit (see bulkindex.h; by default 50,000). */
void tg_store_set_bulk_index_min(struct tg_store *store, int64_t min_logs);

/* The sort runs' size from which a commit merges only a slice of the newer
 * keys (default 2,000,000; store/sortkeys.c): tests set it to 0. */
void tg_store_set_sort_slice_from(struct tg_store *store, int64_t runs);

/* The stored raw log of one request, its exact bytes; *raw is malloc'd.
 * Returns 0, 1 when there is no such log, 2 when its body was pruned (err
 * says so), -1 on error. */
int tg_store_raw_log(struct tg_store *store, const char *log_id, char **raw, size_t *len,
                     char *err, size_t errlen);

/* The request row that stored a log id, found through the log-id index:
 * its id, 0 when there is none, -1 on error. */
int64_t tg_store_request_of_log(struct tg_store *store, const char *log_id);

/* The same by request row id, with the same results. */
int tg_store_raw_request(struct tg_store *store, int64_t request_id, char **raw, size_t *len, char *err,
                         size_t errlen);

/* The same by request row id: 0, 1 when it has no body, -1 on error. With
 * only_new, only what this request stored first: for a body in chunks, the
 * bytes of the chunks it was the first to store, side by side (a fragment of
 * JSON, perhaps empty); for one in the older message layout, the log with
 * each message an earlier request stored first as "{}". What the search
 * index holds for this request, so text resent on every turn is indexed once,
 * where it first appeared. */
int tg_store_body_of(struct tg_store *store, int64_t request_id, bool only_new, char **raw, size_t *len, char *err,
                     size_t errlen);

/* The digests (SHA-256 of the exact bytes) of the messages of a request's
 * body of at least TG_BODY_MIN_PIECE bytes (see body.h), in order, up to
 * max. Returns how many: 0 for a body pruned or missing; -1 on error. */
long tg_store_message_digests(struct tg_store *store, int64_t request_id, unsigned char (*digests)[TG_DIGEST_LEN],
                              size_t max);

/* How a request's body is stored: 0 none (pruned or missing), else one of
 * these; -1 on error. */
enum { TG_BODY_WHOLE = 1, TG_BODY_MESSAGES, TG_BODY_CHUNKS };
int tg_store_body_layout(struct tg_store *store, int64_t request_id);

/* In an open batch (`tollgate migrate`'s): moves up to max bodies in chunks
 * of a schema-13 db, with request ids after `after`, from request_bodies_v13
 * into their request rows (schema 14, docs/storage.md); *last is the
 * highest request id looked at (where the next batch goes on). Returns how
 * many moved, or -1 with err. They read the same before and after. */
int64_t tg_store_move_chunk_bodies(struct tg_store *store, int64_t after, int max, int64_t *last, char *err,
                                   size_t errlen);

/* In an open batch (prune's): rewrites chunk pack pack_id without the bytes
 * of the chunks keep() refuses (their ids stay, empty: no body may use them),
 * when that frees at least a quarter of the pack; adds the chunks dropped to
 * *dropped. Packs hold the new chunks of many requests, so a pack that a
 * remaining body still uses one chunk of is mostly freed this way. */
int tg_store_drop_chunks(struct tg_store *store, int64_t pack_id, bool (*keep)(void *ctx, int64_t chunk_id), void *ctx,
                         int64_t *dropped, char *err, size_t errlen);

/* In an open batch: stores a request's body again in the current layout
 * (content-defined chunks), replacing what was there. For migrating bodies
 * stored by an older tollgate. */
int tg_store_rewrite_body(struct tg_store *store, int64_t request_id, const char *raw, size_t len, char *err,
                          size_t errlen);

/* The dictionary new bodies are compressed with: returns 1 and fills the
 * arguments (the bytes stay owned by the store), 0 when there is none yet. */
int tg_store_body_dict(struct tg_store *store, const void **dict, size_t *len, int64_t *id);

/* Whether the store trains a body dictionary itself from its first logs (on by
 * default). Off while an import trains its own on its parsing threads. */
void tg_store_train_bodies(struct tg_store *store, bool on);

/* Saves a newly trained dictionary (in the open batch, if any) and compresses
 * with it from now on. */
int tg_store_save_body_dict(struct tg_store *store, const void *dict, size_t len, int64_t *id, char *err,
                            size_t errlen);

/* Where a sync from `source` got to (an ISO time): 1 and the text in buf, 0
 * when it never ran, -1 on error. */
int tg_store_sync_position(struct tg_store *store, const char *source, char *buf, size_t len);

/* Records it, in the open batch, so the logs and the position commit together. */
int tg_store_set_sync_position(struct tg_store *store, const char *source, const char *position, char *err,
                               size_t errlen);

/* The sync_state entry a prune of messages changes, so every writer forgets
 * the message ids it remembers (read in each batch that adds logs). */
#define TG_STORE_PRUNE_MARK "messages pruned"

/* Where a store's batches come from, for `tollgate status`: each batch it
 * commits records, in the same transaction, its newest log (never later than
 * now) and the commit's time. Unset (the default): nothing is recorded. */
#define TG_ACTIVITY_COLLECTOR "collector"
#define TG_ACTIVITY_IMPORT "import"
#define TG_ACTIVITY_SYNC_RESPAN "sync respan"
#define TG_ACTIVITY_SYNC_LITELLM "sync litellm"
void tg_store_set_activity_source(struct tg_store *store, const char *source);

struct tg_store_activity {
    char source[48];
    int64_t newest_log_ms;   /* -1 when its batches held no log */
    int64_t last_success_ms; /* its last commit */
};

/* Every source recorded, by name, up to max. 0, or -1 with err. */
int tg_store_activities(struct tg_store *store, struct tg_store_activity *out, size_t max, size_t *count, char *err,
                        size_t errlen);

/* Number of stored requests; -1 on error. */
int64_t tg_store_request_count(struct tg_store *store);

/* Use after revocation (keyuse.c). Records when a key (its keys row) was
 * revoked; -1 clears it (the gateway shows the key active again). */
int tg_store_set_key_revoked(struct tg_store *store, int64_t key_row, int64_t revoked_ms, char *err, size_t errlen);

struct tg_store_after_revocation {
    int64_t revoked_ms; /* -1 when the key is not revoked (then the rest is 0) */
    int64_t attempts;   /* requests on the key later than its revocation */
    int64_t failed;     /* of those, errors of any kind (refused ones included) */
    int64_t refused;    /* of those, refused by the gateway: HTTP 401 / 403 */
    int64_t last_ms;    /* the latest of them, -1 when none */
};

/* What was asked of a revoked key after its revocation. 0, or -1 with err. */
int tg_store_key_after_revocation(struct tg_store *store, int64_t key_row, struct tg_store_after_revocation *out,
                                  char *err, size_t errlen);

/* A developer, for offboarding: matched by id (customer_identifier), else
 * e-mail (any case), else display name. 0 and *out, 1 when none matches, 2
 * when several do (err names them), -1 on error. */
struct tg_store_developer {
    int64_t id; /* developers row; 0 for none */
    char ident[256], name[256], email[256];
};
int tg_store_find_developer(struct tg_store *store, const char *who, struct tg_store_developer *out, char *err,
                            size_t errlen);

/* The keys rows of every key the developer used (ever, from the rollups),
 * first used, or that the gateway says they own (its owner given as their id,
 * their e-mail, or `who`). *rows is malloc'd. 0, or -1 with err. */
int tg_store_developer_keys(struct tg_store *store, const struct tg_store_developer *dev, const char *who,
                            int64_t **rows, size_t *count, char *err, size_t errlen);

/* Every developer who used a key, the latest first, with their last use. */
struct tg_store_key_user {
    int64_t developer_id;
    char developer[256];
    int64_t last_ms;
};
int tg_store_key_users(struct tg_store *store, int64_t key_row, struct tg_store_key_user **users, size_t *count,
                       char *err, size_t errlen);

/* The per-thread rollup (schema 15, store/threads.h): true once every stored
 * request is counted in `threads` (its backfill done); until then readers
 * group the requests themselves. */
bool tg_store_threads_ready(struct tg_store *store);

/* The requests the rollup counts are those with ids up to this (INT64_MAX: all
 * of them); newer ones are counted a step at a time (store/threads.h), so a
 * reader adds them from their rows. Read it in the snapshot it reads with. */
int64_t tg_store_threads_counted_upto(struct tg_store *store);

/* Requests counted into the rollup together (default 16,384): tests set it
 * low to see both the rollup and the requests past it. */
void tg_store_set_thread_count_step(struct tg_store *store, int64_t requests);

/* In the open batch, before a request row is deleted: its thread is counted
 * again from its remaining rows when the batch commits. */
int tg_store_thread_recount(struct tg_store *store, int64_t request_id, char *err, size_t errlen);

/* The SQLite handle, for core/ query modules only (tui/ never sees SQL). */
sqlite3 *tg_store_sqlite(struct tg_store *store);

/* Formats a SQLite failure as "what: message" into err and returns -1. */
int tg_store_fail(struct tg_store *store, const char *what, char *err, size_t errlen);

#endif
