#include "store/checkpoint.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* Checkpoints copy the WAL back into the db and fsync it: done inside a
 * commit, they held the collector's writer (and every client waiting on it)
 * for up to 300 ms each, and cost it 10% of its throughput. */
#define CHECKPOINT_EVERY_PAGES 4096 /* 16 MB of WAL: wake the checkpointer */
#define CHECKPOINT_INLINE_PAGES 16384 /* the writer finishes one itself, so the WAL can start over */

struct store_checkpointer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool wanted, stopping;
    sqlite3 *db; /* its own connection */
    int last_signalled; /* WAL pages when last woken */
};

static void *checkpoint_main(void *arg)
{
    struct store_checkpointer *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->wanted && !c->stopping)
            pthread_cond_wait(&c->wake, &c->mu);
        if (c->stopping)
            break;
        c->wanted = false;
        pthread_mutex_unlock(&c->mu);
        /* PASSIVE: copies what it can beside the writer, never waits for it */
        sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* After each commit of the writer's connection: pages is the WAL's length. */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct store_checkpointer *c = arg;
    if (pages >= CHECKPOINT_INLINE_PAGES) {
        /* mostly copied by now: what is left is quick, and once all of it
         * is in the db the next transaction starts the WAL over */
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        c->last_signalled = 0;
        return SQLITE_OK;
    }
    if (pages < c->last_signalled)
        c->last_signalled = 0; /* the WAL started over */
    if (pages - c->last_signalled >= CHECKPOINT_EVERY_PAGES) {
        c->last_signalled = pages;
        pthread_mutex_lock(&c->mu);
        c->wanted = true;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->mu);
    }
    return SQLITE_OK;
}

void store_checkpointer_stop(struct tg_store *store)
{
    struct store_checkpointer *c = store->checkpointer;
    if (!c)
        return;
    sqlite3_wal_hook(store->db, NULL, NULL);
    pthread_mutex_lock(&c->mu);
    c->stopping = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    sqlite3_close(c->db); /* before the store's: the last one to close checkpoints all and removes the WAL */
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->mu);
    free(c);
    store->checkpointer = NULL;
}

int store_checkpointer_start(struct tg_store *store, const char *path, char *err, size_t errlen)
{
    struct store_checkpointer *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_exec(c->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s for checkpoints: %s", path, sqlite3_errmsg(c->db));
        sqlite3_close(c->db);
        free(c);
        return -1;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->thread, NULL, checkpoint_main, c) != 0) {
        snprintf(err, errlen, "cannot start the checkpoint thread");
        sqlite3_close(c->db);
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->mu);
        free(c);
        return -1;
    }
    store->checkpointer = c;
    sqlite3_wal_hook(store->db, on_wal_commit, c); /* replaces SQLite's own automatic checkpoints */
    return 0;
}
