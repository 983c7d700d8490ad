/* Private to core/store (see store_int.h): request bodies. Each is stored as
 * its skeleton plus references to content-addressed messages (see
 * log/body.h), compressed against the db's dictionary, which the store trains
 * from its first logs unless an import trains one itself. Reading a body back
 * puts its messages into the skeleton again. */
#ifndef TG_STORE_BODIES_H
#define TG_STORE_BODIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_int.h"

int store_bodies_init(struct tg_store *store);
void store_bodies_free(struct tg_store *store);
int store_prepare_bodies(struct tg_store *store, char *err, size_t errlen);

/* At open: compresses with the newest dictionary of the db, if any. */
int store_bodies_use_newest_dict(struct tg_store *store, char *err, size_t errlen);

/* In the batch, under the write lock, with the db's TG_STORE_PRUNE_MARK ("" if
 * never set): fills the window of recent messages when it is not, or when a
 * prune ran since (the mark changed). Returns 1 when it had to forget the
 * window for a prune, 0 when not, -1 on error. */
int store_bodies_ready(struct tg_store *store, const char *prune_mark, char *err, size_t errlen);

/* A body is three columns of its request row (schema 14): body_len (the
 * log's length, as request_bodies.raw_len), chunk_refs, body_ids (the ids left out of those
 * bytes, log/bodyids.h; NULL for none). Before the row is inserted:
 * encodes the body of the log (log->body if the caller prepared it, else
 * prepared here), its new chunks into the pack being filled. */
int store_bodies_encode(struct tg_store *store, int64_t request_id, const struct tg_log *log, char *err,
                        size_t errlen);
/* The same for a log's bytes alone (a rewrite: its ids stay in the body). */
int store_bodies_encode_raw(struct tg_store *store, int64_t request_id, const char *raw, size_t len, char *err,
                            size_t errlen);
/* After the row is in: keeps log (if any) as a sample while the store
 * trains a dictionary, and ends the pack when it is full. */
int store_bodies_added(struct tg_store *store, const struct tg_log *log, char *err, size_t errlen);

/* In the batch about to commit: trains the dictionary once enough samples are in. */
/* First in a commit, so that compressing the last chunks overlaps the rest
 * of it; store_bodies_before_commit then writes them. */
int store_bodies_commit_begin(struct tg_store *store, char *err, size_t errlen);
int store_bodies_before_commit(struct tg_store *store, char *err, size_t errlen);
/* The batch rolled back: messages it stored are gone. */
void store_bodies_forget(struct tg_store *store);

#endif
