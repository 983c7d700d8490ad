#include "screens/indexer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "query/search.h"
#include "store/store.h"

#define BATCH 500                /* requests per transaction */
#define IDLE_STEP_US 100000      /* caught up: look again in IDLE_STEPS of these */
#define IDLE_STEPS 10

struct indexer {
    pthread_t thread;
    char db_path[4096];
    atomic_int stop, failed;
    atomic_llong indexed, total;
};

static void *indexer_main(void *arg)
{
    struct indexer *ix = arg;
    char err[256];
    struct tg_store *store;
    /* below the screens in priority: indexing must never slow a key press */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
    if (tg_store_open(ix->db_path, TG_STORE_SMALL_CACHE, &store, err, sizeof err) != 0) {
        atomic_store(&ix->failed, 1);
        return NULL;
    }
    long indexed_since_compact = 0;
    while (!atomic_load(&ix->stop)) {
        int64_t indexed, total;
        tg_search_progress(store, &indexed, &total);
        atomic_store(&ix->indexed, indexed);
        atomic_store(&ix->total, total);
        int n = tg_search_index_more(store, BATCH, err, sizeof err);
        if (n < 0) {
            atomic_store(&ix->failed, 1);
            break;
        }
        /* caught up after building most of the index, in many segments:
         * into one (it rewrites all of it, so not for the few a collector
         * adds, nor for a few segments: see tg_search_segments) */
        if (n > 0)
            indexed_since_compact += n;
        bool more = n == 0 && indexed_since_compact > 0 && indexed_since_compact * 2 >= total &&
                    tg_search_segments(store) > TG_SEARCH_SEGMENTS_OK;
        if (more)
            indexed_since_compact = 0;
        while (more && !atomic_load(&ix->stop)) { /* a step at a time: q does not wait for all of it */
            if (tg_search_merge_step(store, &more, err, sizeof err) != 0) {
                atomic_store(&ix->failed, 1);
                break;
            }
        }
        if (atomic_load(&ix->failed))
            break;
        for (int i = 0; n == 0 && i < IDLE_STEPS && !atomic_load(&ix->stop); i++)
            usleep(IDLE_STEP_US);
    }
    tg_store_close(store);
    return NULL;
}

struct indexer *indexer_start(const char *db_path)
{
    struct indexer *ix = calloc(1, sizeof *ix);
    if (!ix)
        return NULL;
    snprintf(ix->db_path, sizeof ix->db_path, "%s", db_path);
    atomic_store(&ix->total, -1);
    if (pthread_create(&ix->thread, NULL, indexer_main, ix) != 0) {
        free(ix);
        return NULL;
    }
    return ix;
}

void indexer_stop(struct indexer *ix)
{
    if (!ix)
        return;
    atomic_store(&ix->stop, 1);
    pthread_join(ix->thread, NULL);
    free(ix);
}

void indexer_state(const struct indexer *ix, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!ix || atomic_load(&ix->failed)) {
        snprintf(buf, len, " | no search (db read-only)");
        return;
    }
    long long total = atomic_load(&ix->total), done = atomic_load(&ix->indexed);
    if (total > 0 && done < total)
        snprintf(buf, len, " | search %lld%%", done * 100 / total);
}
