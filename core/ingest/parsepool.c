#include "ingest/parsepool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_LANES 16

struct node {
    void *job;
    struct node *next;
};

struct lane {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;
    struct node *head, *tail;
    bool stopping;
    tg_parse_job_fn fn;
};

struct tg_parsepool {
    unsigned count;
    struct lane lanes[MAX_LANES];
};

static void *lane_main(void *arg)
{
    struct lane *l = arg;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->head && !l->stopping)
            pthread_cond_wait(&l->work, &l->mu);
        struct node *n = l->head;
        if (!n)
            break; /* stopping, nothing left */
        l->head = n->next;
        if (!l->head)
            l->tail = NULL;
        pthread_mutex_unlock(&l->mu);
        l->fn(n->job);
        free(n);
        pthread_mutex_lock(&l->mu);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

static void stop_lanes(struct tg_parsepool *p, unsigned started)
{
    for (unsigned i = 0; i < started; i++) {
        pthread_mutex_lock(&p->lanes[i].mu);
        p->lanes[i].stopping = true;
        pthread_cond_signal(&p->lanes[i].work);
        pthread_mutex_unlock(&p->lanes[i].mu);
    }
    for (unsigned i = 0; i < started; i++) {
        pthread_join(p->lanes[i].thread, NULL);
        pthread_mutex_destroy(&p->lanes[i].mu);
        pthread_cond_destroy(&p->lanes[i].work);
    }
}

int tg_parsepool_start(unsigned lanes, tg_parse_job_fn fn, struct tg_parsepool **out, char *err, size_t errlen)
{
    if (lanes == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        lanes = cores < 2 ? 2 : (unsigned)cores;
    }
    if (lanes > MAX_LANES)
        lanes = MAX_LANES;
    struct tg_parsepool *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < lanes; i++) {
        struct lane *l = &p->lanes[i];
        l->fn = fn;
        pthread_mutex_init(&l->mu, NULL);
        pthread_cond_init(&l->work, NULL);
        if (pthread_create(&l->thread, NULL, lane_main, l) != 0) {
            pthread_mutex_destroy(&l->mu);
            pthread_cond_destroy(&l->work);
            stop_lanes(p, i);
            free(p);
            snprintf(err, errlen, "cannot start the parsing threads");
            return -1;
        }
        p->count = i + 1;
    }
    *out = p;
    return 0;
}

int tg_parsepool_submit(struct tg_parsepool *p, unsigned key, void *job)
{
    struct node *n = malloc(sizeof *n);
    if (!n)
        return -1;
    n->job = job;
    n->next = NULL;
    struct lane *l = &p->lanes[key % p->count];
    pthread_mutex_lock(&l->mu);
    if (l->stopping) {
        pthread_mutex_unlock(&l->mu);
        free(n);
        return -1;
    }
    if (l->tail)
        l->tail->next = n;
    else
        l->head = n;
    l->tail = n;
    pthread_cond_signal(&l->work);
    pthread_mutex_unlock(&l->mu);
    return 0;
}

void tg_parsepool_stop(struct tg_parsepool *p)
{
    if (!p)
        return;
    stop_lanes(p, p->count);
    free(p);
}
