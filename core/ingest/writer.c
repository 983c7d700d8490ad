#include "ingest/writer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/body.h"

struct job {
    const struct tg_log *logs;
    size_t n;
    struct tg_write_result result;
    int rc;
    char err[256];
    bool done;
    pthread_cond_t finished; /* each waiter its own, so a commit wakes only its jobs */
    tg_write_done_fn callback; /* asynchronous jobs: called, then the job is freed */
    void *ctx;
    struct job *next;
};

/* A body dictionary being trained on a thread of its own: ZDICT on 16 MB of
 * samples takes seconds of CPU, which inside a commit (where the store trains
 * its own) held every waiting POST for as long (p99 3 s on 120 KB logs). */
struct training {
    struct tg_writer *writer; /* woken when done */
    struct tg_body_trainer samples;
    pthread_t thread;
    void *dict;
    size_t len;
    int rc;
    atomic_bool finished;
};

struct tg_writer {
    struct tg_store *store;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;     /* a job was queued, or stop */
    struct job *head, *tail;
    bool stopping;
    struct tg_writer_stats stats;
    /* the store's body dictionary as last published to submitters */
    void *dict;
    size_t dict_len;
    int64_t dict_id;
    unsigned dict_generation;
    size_t last_group; /* jobs in the previous commit */
    size_t last_group_logs; /* and their logs */
    int64_t last_busy_us; /* how long it kept the writer busy (waits left out) */
    /* writer thread only: samples for a db with no dictionary yet, then the
     * thread training from them */
    struct tg_body_trainer *sampler;
    struct training *training;
};

/* Adds one job's logs to the open transaction. */
static int write_job(struct tg_writer *w, struct job *job)
{
    job->result.stored = job->result.duplicates = 0;
    for (size_t i = 0; i < job->n; i++) {
        bool inserted;
        if (tg_store_add(w->store, &job->logs[i], &inserted, job->err, sizeof job->err) != 0)
            return -1;
        if (inserted)
            job->result.stored++;
        else
            job->result.duplicates++;
    }
    return 0;
}

/* Under mu: a dictionary the store trained (or loaded) becomes visible to the
 * threads that compress ahead. */
static void publish_dict(struct tg_writer *w)
{
    const void *dict;
    size_t len;
    int64_t id;
    if (tg_store_body_dict(w->store, &dict, &len, &id) != 1 || id == w->dict_id)
        return;
    void *copy = malloc(len);
    if (!copy)
        return;
    memcpy(copy, dict, len);
    free(w->dict);
    w->dict = copy;
    w->dict_len = len;
    w->dict_id = id;
    w->dict_generation++;
}

static void *train_main(void *arg)
{
    struct training *t = arg;
    t->rc = tg_body_trainer_train(&t->samples, &t->dict, &t->len);
    pthread_mutex_lock(&t->writer->mu);
    atomic_store_explicit(&t->finished, true, memory_order_release);
    pthread_cond_signal(&t->writer->work); /* saved now, not at the next POST */
    pthread_mutex_unlock(&t->writer->mu);
    return NULL;
}

static bool trained(const struct tg_writer *w)
{
    return w->training && atomic_load_explicit(&w->training->finished, memory_order_acquire);
}

/* After a commit: its logs join the samples; with enough, training starts. */
static void sample_bodies(struct tg_writer *w, const struct job *group)
{
    if (!w->sampler)
        return;
    for (const struct job *job = group; job; job = job->next) {
        for (size_t i = 0; i < job->n; i++)
            tg_body_trainer_keep(w->sampler, job->logs[i].raw, job->logs[i].raw_len);
    }
    if (w->sampler->done) { /* out of memory: no dictionary */
        free(w->sampler);
        w->sampler = NULL;
        return;
    }
    if (!tg_body_trainer_ready(w->sampler))
        return;
    struct training *t = calloc(1, sizeof *t);
    if (!t)
        return;
    t->writer = w;
    t->samples = *w->sampler; /* takes over the bytes */
    free(w->sampler);
    w->sampler = NULL;
    if (pthread_create(&t->thread, NULL, train_main, t) != 0) {
        tg_body_trainer_stop(&t->samples);
        free(t);
        return;
    }
    w->training = t;
}

/* Saves a trained dictionary in a transaction of its own, so a failure costs
 * only the dictionary. wait: for the training to end (stopping). */
static void save_trained(struct tg_writer *w, bool wait)
{
    struct training *t = w->training;
    if (!t || (!wait && !trained(w)))
        return;
    pthread_join(t->thread, NULL);
    w->training = NULL;
    char err[256];
    int64_t id;
    if (t->rc == 0 && tg_store_begin(w->store, err, sizeof err) == 0) {
        if (tg_store_save_body_dict(w->store, t->dict, t->len, &id, err, sizeof err) == 0)
            tg_store_commit(w->store, err, sizeof err);
        else
            tg_store_rollback(w->store);
    }
    free(t->dict);
    free(t);
}

/* Ends a group's transaction (commit when rc is 0, else rollback) and
 * answers its jobs: all succeed or all fail. */
static void finish_group(struct tg_writer *w, struct job *group, int rc, char *err, size_t errlen)
{
    struct job *job;
    if (rc == 0)
        rc = tg_store_commit(w->store, err, errlen);
    else
        tg_store_rollback(w->store);
    if (rc == 0)
        sample_bodies(w, group);
    pthread_mutex_lock(&w->mu);
    struct job *callbacks = NULL, *next;
    for (job = group; job; job = next) {
        next = job->next;
        job->rc = rc;
        if (rc != 0) {
            snprintf(job->err, sizeof job->err, "%s", err);
            job->result.stored = job->result.duplicates = 0;
        } else {
            w->stats.batches++;
            w->stats.logs_stored += (uint64_t)job->result.stored;
            w->stats.logs_duplicate += (uint64_t)job->result.duplicates;
        }
        if (job->callback) {
            job->next = callbacks;
            callbacks = job;
        } else {
            job->done = true; /* the waiter may return as soon as mu is released */
            pthread_cond_signal(&job->finished);
        }
    }
    if (rc == 0)
        w->stats.commits++;
    publish_dict(w);
    pthread_mutex_unlock(&w->mu);
    /* outside the lock: a callback may resume a connection that submits again */
    for (job = callbacks; job; job = next) {
        next = job->next;
        job->callback(job->ctx, job->rc, &job->result, job->err);
        free(job);
    }
}

/* A group waits for company. A commit costs about as much for one log as
 * for fifty, and more: it writes every page its logs touched, and a log's
 * rows land in indexes spread over the whole db (cost, latency, tokens,
 * rollups), so a commit of 600 logs rewrote ~550 pages (3x the bytes an
 * import writes for the same logs). So when other jobs were around last
 * time, a few logs wait LINGER_MIN_US for company; and when the last group
 * was a big one (batches arriving from many clients), up to half the time
 * the last group kept the writer busy (latency grows by at most that),
 * LINGER_MAX_US at most, or until as many logs are in as the last group held
 * (GROUP_LOGS at most). A lone client never waits, nor does a group already
 * full; big single logs (few a commit, whose cost is their bytes, not the
 * pages) do not wait for long.
 *
 * Clients that wait for their answer before sending again (16 connections of
 * 100-log batches) cannot have more in flight than they had last time:
 * waiting for GROUP_LOGS they never reached held every commit back the whole
 * wait (13 ms of a 50 ms cycle, 100k small logs at 0.64x of an import). And
 * the group's transaction is open while it waits: each job is stored as it
 * arrives, so the writer works while the parse lanes still parse the rest,
 * rather than idling until all of them are in. */
#define LINGER_MIN_US 400
#define LINGER_MAX_US 20000
#define LINGER_ENOUGH 16 /* logs: past this, a short wait is not worth it */
#define BIG_GROUP 256    /* logs in the last group that make a longer wait worth it */
#define GROUP_LOGS 4096

struct group {
    struct job *head, **tail;
    size_t jobs, logs;
    size_t enough;           /* logs that end the wait; 0: no wait */
    struct timespec deadline; /* CLOCK_REALTIME, for pthread_cond_timedwait */
};

static int64_t now_us(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* Under mu: how long this group may wait for company (see above). */
static void plan_group(const struct tg_writer *w, struct group *g)
{
    *g = (struct group){.tail = &g->head};
    if (w->stopping || w->last_group <= 1)
        return;
    bool big = w->last_group_logs >= BIG_GROUP;
    g->enough = !big ? LINGER_ENOUGH : w->last_group_logs < GROUP_LOGS ? w->last_group_logs : GROUP_LOGS;
    int64_t wait_us = big ? w->last_busy_us / 2 : LINGER_MIN_US;
    wait_us = wait_us < LINGER_MIN_US ? LINGER_MIN_US : wait_us > LINGER_MAX_US ? LINGER_MAX_US : wait_us;
    int64_t until = now_us(CLOCK_REALTIME) + wait_us;
    g->deadline.tv_sec = (time_t)(until / 1000000);
    g->deadline.tv_nsec = (long)(until % 1000000) * 1000;
}

/* Under mu: the queued jobs join the group; returns the first of them. */
static struct job *take_queued(struct tg_writer *w, struct group *g)
{
    struct job *taken = w->head;
    w->head = w->tail = NULL;
    *g->tail = taken;
    for (struct job *j = taken; j; j = j->next) {
        g->jobs++;
        g->logs += j->n;
        g->tail = &j->next;
    }
    return taken;
}

/* Under mu: whether the group takes more jobs: those queued meanwhile, or
 * that come before its deadline, while it has fewer logs than enough. */
static bool more_joined(struct tg_writer *w, const struct group *g)
{
    if (w->stopping || g->logs >= g->enough)
        return false;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec > g->deadline.tv_sec || (now.tv_sec == g->deadline.tv_sec && now.tv_nsec >= g->deadline.tv_nsec))
        return false;
    while (!w->head && !w->stopping) {
        if (pthread_cond_timedwait(&w->work, &w->mu, &g->deadline) != 0)
            break; /* timed out */
    }
    return w->head != NULL;
}

/* Under mu, with jobs queued: stores them, and those that join while it
 * waits for company, in one transaction, and commits it. */
static void run_group(struct tg_writer *w)
{
    struct group g;
    plan_group(w, &g);
    pthread_mutex_unlock(&w->mu);
    save_trained(w, false);
    char err[256] = "";
    int64_t busy = 0, t = now_us(CLOCK_MONOTONIC);
    int rc = tg_store_begin(w->store, err, sizeof err);
    busy += now_us(CLOCK_MONOTONIC) - t;
    pthread_mutex_lock(&w->mu);
    do {
        struct job *taken = take_queued(w, &g);
        pthread_mutex_unlock(&w->mu);
        t = now_us(CLOCK_MONOTONIC);
        for (struct job *job = taken; rc == 0 && job; job = job->next) {
            if ((rc = write_job(w, job)) != 0)
                snprintf(err, sizeof err, "%s", job->err);
        }
        busy += now_us(CLOCK_MONOTONIC) - t;
        pthread_mutex_lock(&w->mu);
    } while (rc == 0 && more_joined(w, &g));
    w->last_group = g.jobs;
    w->last_group_logs = g.logs;
    pthread_mutex_unlock(&w->mu);
    t = now_us(CLOCK_MONOTONIC);
    finish_group(w, g.head, rc, err, sizeof err);
    busy += now_us(CLOCK_MONOTONIC) - t;
    pthread_mutex_lock(&w->mu);
    w->last_busy_us = busy;
}

static void *writer_main(void *arg)
{
    struct tg_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stopping && !trained(w))
            pthread_cond_wait(&w->work, &w->mu);
        if (!w->head && trained(w)) {
            pthread_mutex_unlock(&w->mu);
            save_trained(w, false);
            pthread_mutex_lock(&w->mu);
            publish_dict(w);
            continue;
        }
        if (!w->head && w->stopping)
            break;
        run_group(w);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int tg_writer_start(struct tg_store *store, struct tg_writer **out, char *err, size_t errlen)
{
    struct tg_writer *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    w->store = store;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->work, NULL);
    publish_dict(w);
    if (!w->dict && (w->sampler = calloc(1, sizeof *w->sampler)) != NULL)
        tg_store_train_bodies(store, false); /* trained here, off the commits */
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        snprintf(err, errlen, "cannot start the writer thread");
        free(w->sampler);
        tg_store_train_bodies(store, true);
        free(w);
        return -1;
    }
    *out = w;
    return 0;
}

static int enqueue(struct tg_writer *w, struct job *job)
{
    if (w->stopping)
        return -1;
    if (w->tail)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    pthread_cond_signal(&w->work);
    return 0;
}

int tg_writer_submit(struct tg_writer *w, const struct tg_log *logs, size_t n, struct tg_write_result *result,
                     char *err, size_t errlen)
{
    struct job job = {.logs = logs, .n = n};
    pthread_cond_init(&job.finished, NULL);
    pthread_mutex_lock(&w->mu);
    if (enqueue(w, &job) != 0) {
        pthread_mutex_unlock(&w->mu);
        pthread_cond_destroy(&job.finished);
        snprintf(err, errlen, "shutting down");
        return -1;
    }
    while (!job.done)
        pthread_cond_wait(&job.finished, &w->mu);
    pthread_mutex_unlock(&w->mu);
    pthread_cond_destroy(&job.finished);
    *result = job.result;
    if (job.rc != 0)
        snprintf(err, errlen, "%s", job.err);
    return job.rc;
}

int tg_writer_submit_async(struct tg_writer *w, const struct tg_log *logs, size_t n, tg_write_done_fn done,
                           void *ctx)
{
    struct job *job = calloc(1, sizeof *job);
    if (!job)
        return -1;
    job->logs = logs;
    job->n = n;
    job->callback = done;
    job->ctx = ctx;
    pthread_mutex_lock(&w->mu);
    int rc = enqueue(w, job);
    pthread_mutex_unlock(&w->mu);
    if (rc != 0)
        free(job);
    return rc;
}

struct tg_writer_stats tg_writer_stats(struct tg_writer *w)
{
    pthread_mutex_lock(&w->mu);
    struct tg_writer_stats s = w->stats;
    pthread_mutex_unlock(&w->mu);
    return s;
}

int tg_writer_body_dict(struct tg_writer *w, unsigned *generation, void **dict, size_t *len, int64_t *id)
{
    int changed = 0;
    pthread_mutex_lock(&w->mu);
    if (w->dict_generation != *generation && w->dict && (*dict = malloc(w->dict_len)) != NULL) {
        memcpy(*dict, w->dict, w->dict_len);
        *len = w->dict_len;
        *id = w->dict_id;
        *generation = w->dict_generation;
        changed = 1;
    }
    pthread_mutex_unlock(&w->mu);
    return changed;
}

struct tg_store *tg_writer_stop(struct tg_writer *w)
{
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    save_trained(w, true);
    if (w->sampler)
        tg_body_trainer_stop(w->sampler);
    free(w->sampler);
    struct tg_store *store = w->store;
    tg_store_train_bodies(store, true);
    pthread_cond_destroy(&w->work);
    pthread_mutex_destroy(&w->mu);
    free(w->dict);
    free(w);
    return store;
}
