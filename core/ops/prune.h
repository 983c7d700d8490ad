/* Keeping the store's size in check: bodies stored by an older tollgate are
 * cut into the content-defined chunks of the current layout, and `prune`
 * drops the bodies (or whole requests) past a retention age, then the chunks
 * (and messages of the older layout) no body uses any more. Spend history
 * stays: rollups are never pruned. Every step commits in batches, so an
 * interrupted run loses nothing and the next run goes on from where it
 * stopped. */
#ifndef TG_PRUNE_H
#define TG_PRUNE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* Called after each batch: what is being done, how far, out of how many. */
typedef void (*tg_prune_progress_fn)(void *ctx, const char *what, int64_t done, int64_t total);

/* Converts every body of an older layout (stored whole, or skeleton and
 * shared messages) into content-defined chunks, then drops the messages no
 * body uses any more. */
int tg_prune_migrate_bodies(struct tg_store *store, tg_prune_progress_fn progress, void *ctx,
                             int64_t *converted, char *err, size_t errlen);

/* Bodies stored whole (not yet migrated); -1 on error. */
int64_t tg_prune_whole_bodies(struct tg_store *store);

/* Moves the bodies in chunks a schema-13 db kept in request_bodies_v13 into
 * their request rows (schema 14), in transactions of 1,000, resumable: what
 * moved stays moved. *moved counts them. 0, or -1 with err. */
int tg_prune_move_bodies(struct tg_store *store, tg_prune_progress_fn progress, void *ctx, int64_t *moved, char *err,
                         size_t errlen);

struct tg_prune_options {
    int64_t bodies_before_ms;   /* drop the bodies of requests older than this; 0: none */
    int64_t requests_before_ms; /* drop whole requests older than this; 0: none */
    bool dry_run;               /* count what would go, change nothing */
};

struct tg_prune_counts {
    int64_t bodies;   /* bodies dropped (with their requests or alone) */
    int64_t requests; /* request rows dropped */
    int64_t messages; /* shared messages (the older layout) no body used any more */
    int64_t chunks;   /* chunks no body used any more (dropped with their packs) */
};

int tg_prune_run(struct tg_store *store, const struct tg_prune_options *options, tg_prune_progress_fn progress,
                 void *ctx, struct tg_prune_counts *counts, char *err, size_t errlen);

/* The db file's size and the part of it free for reuse (pages SQLite keeps
 * for new rows until a VACUUM gives them back). */
struct tg_db_size {
    int64_t file_bytes, free_bytes;
};
int tg_prune_db_size(struct tg_store *store, struct tg_db_size *out, char *err, size_t errlen);

/* Rewrites the db so the file shrinks to what it holds. Needs as much free
 * disk as the db takes and blocks other writers while it runs. */
int tg_prune_vacuum(struct tg_store *store, char *err, size_t errlen);

#endif
