/* Private to core/store: compresses finished chunk packs on a thread of its
 * own while the writer goes on storing requests. On small logs zstd was 43%
 * of the writer thread's time, the thread every import and collector waits
 * on; here it runs beside the parse lanes and the writer instead.
 *
 * The packer only compresses: the writer still writes every pack row itself,
 * in its own transaction, once the job is done (bodies.c collects finished
 * jobs as it goes and all of them before a commit), so a batch is stored
 * whole or not at all as before, and a pack row is never half-written.
 *
 * One thread, jobs done in the order submitted. A job's inputs are read by
 * the packer until it is done and must not change meanwhile; its outputs are
 * the writer's to read once store_packer_finished says so. */
#ifndef TG_STORE_PACKER_H
#define TG_STORE_PACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_pack_job {
    /* in: the pack's bytes side by side, its chunks' lengths, which of them
     * are heads (bitmap), and whether to compress the messages harder */
    const char *raw;
    size_t len;
    const size_t *lens;
    const unsigned char *heads;
    size_t count;
    bool strong;
    /* out: the heads' frame then the messages' frame, as a pack row stores
     * them; hz_len is where the second begins. rc != 0: err says why. */
    unsigned char *blob;
    size_t blob_len, blob_cap, hz_len;
    int rc;
    char err[128];
    /* the packer's own */
    bool done;
    struct store_pack_job *next;
};

struct store_packer;

/* The messages at the codec's two efforts, the heads at head_level.
 * NULL when out of memory. The thread starts with the first job. */
struct store_packer *store_packer_new(int head_level);
/* Waits for the jobs in flight, then stops the thread. */
void store_packer_free(struct store_packer *p);

/* The dictionary the next jobs are compressed against (dict_id 0, len 0:
 * none). Waits for the jobs in flight first: each is compressed against the
 * dictionary that was set when it was submitted. */
int store_packer_set_dict(struct store_packer *p, const void *dict, size_t len, int64_t dict_id);

/* Queues job. -1 when the thread cannot start (then nothing is queued). */
int store_packer_submit(struct store_packer *p, struct store_pack_job *job);

/* Whether job (submitted) is done; with wait, waits until it is. */
bool store_packer_finished(struct store_packer *p, struct store_pack_job *job, bool wait);

#endif
