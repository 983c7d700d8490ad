/* Private to core/store: what the store's files share. The store is split the
 * way SQLite is: store.h is the one public interface, this header is the
 * state behind it, and each subsystem lives in its own file with a header of
 * the same name that declares only what the other store files call:
 *   open.c         opening, configuring, closing (migrations.c: the schema)
 *   checkpoint.c   the WAL checkpointer thread of a long-running writer
 *   logids.c       the log-id index: tail, watermark, merge (idrun.c: a bulk
 *                  batch's ids, sorted into the index at its commit)
 *   dimensions.c   developers, keys and models: upserts and their caches
 *   rollups.c      per-batch hourly and daily deltas
 *   bodies.c       storing bodies: chunks, their ids, dictionaries
 *   packs.c        the packs of new chunks: filled, compressed, written
 *                  (packer.c: full packs compressed on a thread of their own)
 *   bodyread.c     reading bodies back, in any of their layouts
 *   repack.c       a prune's rewrite of a pack without its unused chunks
 *   syncstate.c    sync positions and the store's own marks in sync_state
 *   activity.c     each source's newest log and last commit, for `status`
 *   keyuse.c       when keys were revoked and their use since (public side only)
 *   lastseen.c     the exact time each developer, key and model was last seen
 *   bulkindex.c    big bulk batches build the indexes of requests at the end
 *   sortkeys.c     the keys the Requests screen sorts by, in sorted runs (schema 16)
 *   compactid.c    UUID ids kept as 16 bytes, log types as integers (schema 12)
 *   threads.c      the per-thread rollup (schema 15) and its backfill
 *   store.c        a batch: begin, add, commit, rollback
 * Each sub-struct of struct tg_store below belongs to one file; only that
 * file touches its fields. Nothing outside core/store includes this header
 * or a subsystem header (tests/layers_test.py checks). */
#ifndef TG_STORE_INT_H
#define TG_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "base/hashmap.h"
#include "base/latency.h"
#include "log/body.h"
#include "log/msgcache.h"
#include "store/idfilter.h"
#include "store/idrun.h"
#include "store/store.h"

/* The statements prepared once at open (each subsystem prepares its own). */
enum statement {
    ST_INSERT_REQUEST,
    ST_INSERT_PACK,
    ST_UPSERT_DEVELOPER,
    ST_UPSERT_KEY,
    ST_UPSERT_MODEL,
    ST_UPSERT_ROLLUP,
    ST_UPSERT_DAILY,
    ST_FIND_LOG_ID,
    ST_TAIL_IDS,
    ST_MERGE_IDS,
    ST_INDEX_LOG_ID,
    ST_LOG_ID_OF,
    ST_READ_MARKS,
    ST_SET_MARK,
    ST_SORT_TAIL,
    ST_MERGE_SORT_COST,
    ST_MERGE_SORT_TOKENS,
    ST_MERGE_SORT_LATENCY,
    ST_COUNT
};

/* The dimensions of one log, and so the rollup row it adds to. */
struct rollup_key {
    int64_t hour, developer_id, key_id, model_id;
};

/* dimensions.c: ident -> rowid caches, valid only for committed rows */
struct store_dimensions {
    struct hashmap *developers, *keys, *models;
};

/* rollups.c: struct rollup_key -> struct rollup_delta, per batch */
struct store_rollups {
    struct hashmap *deltas;
};

/* bodies.c (and packs.c: pending .. packer) */
/* A body's fields in its request row (schema 14), encoded before the row is
 * inserted (bodies.c). */
struct store_body_row {
    unsigned char *refs; /* chunk references (tg_body_chunk_refs_encode) */
    size_t refs_len, refs_cap;
    unsigned char ids[TG_BODY_IDS_BOUND]; /* the ids left out (bodyids.h) */
    size_t ids_len;
    size_t raw_len; /* of the log: the bytes the chunks hold and the ids left out */
};

struct store_bodies {
    struct tg_body_codec *codec;
    struct store_body_row row;       /* the body of the request being added */
    struct hashmap *dicts;           /* dict id -> struct dict, loaded when a body needs one */
    struct tg_body_decoder *decoder; /* for reading bodies back */
    struct tg_msgcache *chunks;      /* digest -> id of the chunks stored most recently */
    struct pack_builder *pending;    /* the pack being filled (packs.c) */
    struct pack_builder *packing;    /* full packs being compressed, oldest first */
    size_t n_packing;
    struct pack_builder *spare;      /* builders to fill again */
    struct tg_body_codec *head_codec; /* the heads' stream of a pack compressed here */
    struct store_packer *packer;     /* compresses full packs on a thread of its own (packer.h) */
    bool chunks_loaded;              /* the window was filled from the db */
    int64_t next_chunk_id;           /* the id the next chunk packed gets (read in each batch) */
    char prune_mark[32];             /* the db's TG_STORE_PRUNE_MARK when it was */
    struct tg_body_trainer trainer;  /* the first logs stored, to train the first dictionary */
    bool training_paused;            /* tg_store_train_bodies(false): an import trains its own */
};

/* logids.c */
struct store_log_ids {
    /* log id -> request id of the requests past the watermark (see IDS_MARK),
     * read in each batch that adds logs, under the write lock, from where it
     * left off */
    struct hashmap *tail;
    int64_t watermark;          /* as last read */
    int64_t used, used_read;    /* IDS_USED: now, and as read in this batch */
    int64_t tail_upto;          /* the highest request id in the tail (or the watermark) */
    bool tail_loaded;
    /* Bulk imports index the ids of each batch at its commit (from run, in
     * key order), not through the tail: their batches are big, and a merge
     * reading each id back from requests would stall their parsing threads;
     * what other writers left unindexed is indexed when the batch starts. */
    bool index_directly;
    struct store_id_run run;
    int64_t merge_min, merge_max; /* IDS_MERGE_MIN/MAX, or a test's (tg_store_set_id_merge_bounds) */
    /* Every log id stored up to filter_upto is in the filter, so an id it
     * has surely not seen needs no probe (see logids.c). */
    struct store_id_filter filter;
    int64_t filter_upto;
    int64_t probes; /* ids looked up by this store */
};

/* activity.c */
struct store_activity {
    char source[48];   /* "" : batches are not recorded */
    int64_t newest_ms; /* the newest log of the open batch, -1 none */
};

/* lastseen.c: (dimension, row id) -> the batch's newest log time */
struct store_last_seen {
    struct hashmap *newest;
};

/* bulkindex.c: the indexes of requests a big bulk batch builds at its end */
struct store_bulk_index {
    int64_t batch_logs;   /* logs added in the open batch */
    int64_t rows_before;  /* requests the db held when it began (by id) */
    int64_t min_logs;     /* BULK_INDEX_MIN_LOGS, or a test's */
    bool dropped;
    char *create_sql[5];  /* how to build each dropped one again */
};

struct store_checkpointer;
struct store_threads; /* threads.c */

struct tg_store {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT];
    /* store.c: the open batch */
    bool in_batch;
    bool ready_for_logs; /* the batch has read what adding logs needs: see store_ready_for_logs */
    struct store_checkpointer *checkpointer; /* checkpoint.c; NULL unless TG_STORE_BACKGROUND_CHECKPOINTS */
    int writers_fd; /* open.c: the db's -writers file (see tg_store_shares_writes), or -1 */
    struct store_dimensions dimensions;
    struct store_rollups rollups;
    struct store_bodies bodies;
    struct store_log_ids ids;
    struct store_activity activity;
    struct store_last_seen last_seen;
    struct store_bulk_index bulk_index;
    struct store_threads *threads;
    int64_t sort_slice_from; /* sortkeys.c: runs from which merges go in slices; 0: the default */
};

/* Runs constant SQL; on failure formats err ("what: message") and returns -1. */
int store_exec(struct tg_store *store, const char *sql, const char *what, char *err, size_t errlen);

/* Prepares one of the statements above for the store's lifetime. */
int store_prepare(struct tg_store *store, enum statement which, const char *sql, char *err, size_t errlen);

/* store.c: prepares the insert of request rows. */
int store_prepare_requests(struct tg_store *store, char *err, size_t errlen);

/* store.c. In the open batch, the first time something needs them: reads,
 * under the write lock, the window of recent messages and the log ids past
 * the watermark (only what changed since the last batch that read them).
 * Batches that never add a log (the search indexer, prune) never read them. */
int store_ready_for_logs(struct tg_store *store, char *err, size_t errlen);

#endif
