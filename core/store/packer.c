#include "store/packer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/body.h"

struct store_packer {
    pthread_mutex_t mu;
    pthread_cond_t work; /* a job was queued, or stop */
    pthread_cond_t done; /* a job is done */
    struct store_pack_job *head, *tail; /* queued, not yet taken */
    size_t in_flight;                   /* queued or being compressed */
    bool started, stopping;
    pthread_t thread;
    /* the packer thread's while jobs are in flight, the writer's when none */
    struct tg_body_codec *messages, *heads;
    char *head_bytes, *message_bytes; /* the two streams' input, reused */
    size_t head_cap, message_cap;
};

struct store_packer *store_packer_new(int head_level)
{
    struct store_packer *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->messages = tg_body_codec_new();
    p->heads = tg_body_codec_new_at(head_level, head_level);
    if (!p->messages || !p->heads) {
        tg_body_codec_free(p->messages);
        tg_body_codec_free(p->heads);
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    return p;
}

static bool reserve(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    size_t cap2 = *cap ? *cap : 65536;
    while (cap2 < need)
        cap2 *= 2;
    char *grown = realloc(*buf, cap2);
    if (!grown)
        return false;
    *buf = grown;
    *cap = cap2;
    return true;
}

/* The pack's chunks go to two streams, heads and messages, each compressed
 * in one go: knowing its size, zstd sizes its tables to it. */
static void compress(struct store_packer *p, struct store_pack_job *job)
{
    job->blob_len = job->hz_len = 0;
    if (!reserve(&p->head_bytes, &p->head_cap, job->len + 1) ||
        !reserve(&p->message_bytes, &p->message_cap, job->len + 1)) {
        job->rc = -1;
        snprintf(job->err, sizeof job->err, "out of memory compressing chunks");
        return;
    }
    size_t at = 0, hlen = 0, mlen = 0;
    for (size_t i = 0; i < job->count; i++) {
        bool head = job->heads[i / 8] & (1u << (i % 8));
        memcpy(head ? p->head_bytes + hlen : p->message_bytes + mlen, job->raw + at, job->lens[i]);
        *(head ? &hlen : &mlen) += job->lens[i];
        at += job->lens[i];
    }
    tg_body_stream_begin(p->heads);
    tg_body_stream_begin(p->messages);
    job->rc = tg_body_codec_set_strong(p->messages, job->strong);
    if (job->rc != 0) {
        snprintf(job->err, sizeof job->err, "out of memory compressing chunks");
        return;
    }
    job->rc = tg_body_stream_feed(p->heads, p->head_bytes, hlen, TG_BODY_END, &job->blob, &job->blob_len,
                                  &job->blob_cap, job->err, sizeof job->err);
    job->hz_len = job->blob_len;
    if (job->rc == 0)
        job->rc = tg_body_stream_feed(p->messages, p->message_bytes, mlen, TG_BODY_END, &job->blob, &job->blob_len,
                                      &job->blob_cap, job->err, sizeof job->err);
}

static void *packer_main(void *arg)
{
    struct store_packer *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->work, &p->mu);
        struct store_pack_job *job = p->head;
        if (!job)
            break; /* stopping, nothing left */
        p->head = job->next;
        if (!p->head)
            p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        compress(p, job);
        pthread_mutex_lock(&p->mu);
        job->done = true;
        p->in_flight--;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Under mu: until no job is in flight. */
static void wait_idle(struct store_packer *p)
{
    while (p->in_flight)
        pthread_cond_wait(&p->done, &p->mu);
}

void store_packer_free(struct store_packer *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    wait_idle(p);
    p->stopping = true;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
    if (p->started)
        pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->mu);
    tg_body_codec_free(p->messages);
    tg_body_codec_free(p->heads);
    free(p->head_bytes);
    free(p->message_bytes);
    free(p);
}

int store_packer_set_dict(struct store_packer *p, const void *dict, size_t len, int64_t dict_id)
{
    pthread_mutex_lock(&p->mu);
    wait_idle(p); /* the codecs are this thread's until the next submit */
    int rc = tg_body_codec_set_dict(p->messages, dict, len, dict_id);
    if (rc == 0)
        rc = tg_body_codec_set_dict(p->heads, dict, len, dict_id);
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int store_packer_submit(struct store_packer *p, struct store_pack_job *job)
{
    job->done = false;
    job->next = NULL;
    job->rc = 0;
    job->err[0] = '\0';
    pthread_mutex_lock(&p->mu);
    if (!p->started) {
        if (pthread_create(&p->thread, NULL, packer_main, p) != 0) {
            pthread_mutex_unlock(&p->mu);
            return -1;
        }
        p->started = true;
    }
    if (p->tail)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    p->in_flight++;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

bool store_packer_finished(struct store_packer *p, struct store_pack_job *job, bool wait)
{
    pthread_mutex_lock(&p->mu);
    while (wait && !job->done)
        pthread_cond_wait(&p->done, &p->mu);
    bool done = job->done;
    pthread_mutex_unlock(&p->mu);
    return done;
}
