#include "ingest/conntrack.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define SWEEP_MS 200 /* how late past its deadline a connection may be shut */

struct tg_conn {
    int fd;
    int64_t deadline_us; /* 0: held */
    bool shut;           /* shut down for its deadline: counted once */
    struct tg_conn *prev, *next;
};

struct tg_conntrack {
    int64_t timeout_us;
    unsigned long long max_open;
    /* the list and every deadline are under mu: the socket of a listed
     * connection is still open, because it is unlisted before it is closed */
    pthread_mutex_t mu;
    pthread_cond_t wake;
    struct tg_conn *head;
    bool stopping;
    unsigned long long open, refused, timed_out;
    pthread_t sweeper;
};

static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sweep(struct tg_conntrack *t, int64_t now)
{
    for (struct tg_conn *c = t->head; c; c = c->next) {
        if (c->shut || c->deadline_us == 0 || now < c->deadline_us)
            continue;
        /* shutdown, not close: the HTTP library still owns the socket and
         * closes it when it sees the end of the stream */
        shutdown(c->fd, SHUT_RDWR);
        c->shut = true;
        t->timed_out++;
    }
}

static void *sweeper_main(void *arg)
{
    struct tg_conntrack *t = arg;
    pthread_mutex_lock(&t->mu);
    while (!t->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += SWEEP_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        int rc = pthread_cond_timedwait(&t->wake, &t->mu, &until);
        if (rc != 0 && rc != ETIMEDOUT)
            break;
        sweep(t, monotonic_us());
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

int tg_conntrack_new(unsigned timeout_s, unsigned max_open, struct tg_conntrack **out, char *err, size_t errlen)
{
    if (timeout_s == 0 || max_open == 0) {
        snprintf(err, errlen, "the client timeout and the connection limit must be at least 1");
        return -1;
    }
    struct tg_conntrack *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    t->timeout_us = (int64_t)timeout_s * 1000000;
    t->max_open = max_open;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&t->wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&t->mu, NULL);
    int rc = pthread_create(&t->sweeper, NULL, sweeper_main, t);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the connection sweeper: %s", strerror(rc));
        pthread_cond_destroy(&t->wake);
        pthread_mutex_destroy(&t->mu);
        free(t);
        return -1;
    }
    *out = t;
    return 0;
}

void tg_conntrack_free(struct tg_conntrack *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    t->stopping = true;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->sweeper, NULL);
    /* anything still listed was never closed by the library; forget it */
    for (struct tg_conn *c = t->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

bool tg_conntrack_admit(struct tg_conntrack *t)
{
    pthread_mutex_lock(&t->mu);
    bool ok = t->open < t->max_open;
    if (ok)
        t->open++;
    else
        t->refused++;
    pthread_mutex_unlock(&t->mu);
    return ok;
}

struct tg_conn *tg_conntrack_open(struct tg_conntrack *t, int fd)
{
    struct tg_conn *c = calloc(1, sizeof *c);
    pthread_mutex_lock(&t->mu);
    if (!c) {
        t->open--;
    } else {
        c->fd = fd;
        c->deadline_us = monotonic_us() + t->timeout_us;
        c->next = t->head;
        if (t->head)
            t->head->prev = c;
        t->head = c;
    }
    pthread_mutex_unlock(&t->mu);
    return c;
}

void tg_conntrack_close(struct tg_conntrack *t, struct tg_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&t->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        t->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    t->open--;
    pthread_mutex_unlock(&t->mu);
    free(c);
}

void tg_conntrack_hold(struct tg_conntrack *t, struct tg_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&t->mu);
    c->deadline_us = 0;
    pthread_mutex_unlock(&t->mu);
}

void tg_conntrack_rearm(struct tg_conntrack *t, struct tg_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&t->mu);
    c->deadline_us = monotonic_us() + t->timeout_us;
    pthread_mutex_unlock(&t->mu);
}

struct tg_conntrack_stats tg_conntrack_stats(struct tg_conntrack *t)
{
    pthread_mutex_lock(&t->mu);
    struct tg_conntrack_stats s = {t->open, t->refused, t->timed_out};
    pthread_mutex_unlock(&t->mu);
    return s;
}
