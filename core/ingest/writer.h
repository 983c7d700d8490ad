/* One writer for a db that many threads feed (the collector's connections):
 * each caller hands over a batch and waits; the writer thread commits every
 * batch queued meanwhile in one transaction (group commit; under load it
 * stores batches as they come and waits a little for more before it
 * commits, see run_group in writer.c), so a thousand small
 * POSTs do not pay a thousand fsyncs, and a caller is answered only after its
 * batch is on disk. A batch is stored whole or not at all. */
#ifndef TG_WRITER_H
#define TG_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "log/logmodel.h"
#include "store/store.h"

struct tg_writer;

struct tg_write_result {
    long stored, duplicates;
};

struct tg_writer_stats {
    uint64_t commits, batches, logs_stored, logs_duplicate;
};

/* Takes over the store: from now on only the writer thread uses it. A db with
 * no body dictionary gets one trained from its first logs on a thread of its
 * own, so no commit waits for the training. */
int tg_writer_start(struct tg_store *store, struct tg_writer **out, char *err, size_t errlen);

/* Stores logs[0..n) (parsed and priced), blocking until the transaction that
 * holds them has committed. Returns 0, or -1 with err when the store failed:
 * then none of them was stored. */
int tg_writer_submit(struct tg_writer *writer, const struct tg_log *logs, size_t n, struct tg_write_result *result,
                     char *err, size_t errlen);

/* Called on the writer thread once a batch is committed (rc 0) or failed (rc -1,
 * err says why). */
typedef void (*tg_write_done_fn)(void *ctx, int rc, const struct tg_write_result *result, const char *err);

/* Queues logs without waiting: done is called when they are committed. The
 * logs must stay valid until then. -1 when the writer is stopping (done is
 * then never called). */
int tg_writer_submit_async(struct tg_writer *writer, const struct tg_log *logs, size_t n, tg_write_done_fn done,
                           void *ctx);

struct tg_writer_stats tg_writer_stats(struct tg_writer *writer);

/* The store's body dictionary, for threads that compress bodies before
 * submitting them. When it changed since *generation: returns 1, updates
 * *generation and gives a malloc'd copy; otherwise 0. */
int tg_writer_body_dict(struct tg_writer *writer, unsigned *generation, void **dict, size_t *len, int64_t *id);

/* Commits what is queued, stops the thread, and gives the store back. */
struct tg_store *tg_writer_stop(struct tg_writer *writer);

#endif
