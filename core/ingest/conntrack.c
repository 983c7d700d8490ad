#include "ingest/conntrack.h"

#include "base/strbuf.h"
#include "base/timeutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#define SWEEP_MS 200 /* how late past its deadline a connection may be shut */
#define ADDR_BUCKETS 1024

/* Pending connections from one address; freed when none is left. */
struct addr_count {
    unsigned char key[16];
    size_t len;
    unsigned count;
    struct addr_count *next;
};

struct tg_conn {
    int fd;
    int64_t started_us;  /* when the current request was due to start */
    int64_t deadline_us; /* 0: held */
    bool shut;           /* shut down for its deadline: counted once */
    bool trusted;        /* a request on it passed the token check */
    bool awaiting;       /* no request started: waiting for headers */
    bool evicted;        /* shut to make room: its slot is taken back at once */
    struct addr_count *addr; /* while pending and admitted by address */
    struct tg_conn *prev, *next;
};

struct tg_conntrack {
    int64_t timeout_us, header_timeout_us;
    unsigned long long max_open, max_pending, per_address;
    unsigned long long pending, refused_per_address, refused_pending;
    unsigned long long evicting; /* pending ones shut to make room, not closed yet */
    unsigned long long evicted;
    bool evict;
    struct addr_count *addrs[ADDR_BUCKETS];
    /* the list and every deadline are under mu: the socket of a listed
     * connection is still open, because it is unlisted before it is closed */
    pthread_mutex_t mu;
    pthread_cond_t wake;
    struct tg_conn *head, *tail; /* newest first */
    bool stopping;
    unsigned long long open, refused, timed_out;
    pthread_t sweeper;
};

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
        sweep(t, tg_monotonic_us());
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

int tg_conntrack_new(unsigned timeout_s, unsigned max_open, struct tg_conntrack **out, char *err, size_t errlen)
{
    struct tg_conntrack_limits limits = {.timeout_s = timeout_s, .header_timeout_s = timeout_s, .max_open = max_open};
    return tg_conntrack_new_limits(&limits, out, err, errlen);
}

int tg_conntrack_new_limits(const struct tg_conntrack_limits *limits, struct tg_conntrack **out, char *err,
                            size_t errlen)
{
    if (limits->timeout_s == 0 || limits->header_timeout_s == 0 || limits->max_open == 0) {
        snprintf(err, errlen, "the client timeout and the connection limit must be at least 1");
        return -1;
    }
    if (limits->reserved_for_trusted >= limits->max_open) {
        snprintf(err, errlen, "the connections reserved for clients with a token must be fewer than all of them");
        return -1;
    }
    struct tg_conntrack *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    t->timeout_us = (int64_t)limits->timeout_s * 1000000;
    unsigned header_s = limits->header_timeout_s < limits->timeout_s ? limits->header_timeout_s : limits->timeout_s;
    t->header_timeout_us = (int64_t)header_s * 1000000;
    t->max_open = limits->max_open;
    t->max_pending = limits->max_open - limits->reserved_for_trusted;
    t->per_address = limits->max_pending_per_address;
    t->evict = limits->evict_waiting;
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
    for (size_t i = 0; i < ADDR_BUCKETS; i++) {
        for (struct addr_count *a = t->addrs[i], *next; a; a = next) {
            next = a->next;
            free(a);
        }
    }
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* The address as bytes: 4 for IPv4 (also when mapped into IPv6), 16 for IPv6. */
static size_t address_key(const struct sockaddr *sa, unsigned char key[16])
{
    if (!sa)
        return 0;
    if (sa->sa_family == AF_INET) {
        memcpy(key, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        return 4;
    }
    if (sa->sa_family != AF_INET6)
        return 0;
    const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a6)) {
        memcpy(key, a6->s6_addr + 12, 4);
        return 4;
    }
    memcpy(key, a6->s6_addr, 16);
    return 16;
}

static size_t bucket_of(const unsigned char *key, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ key[i]) * 16777619u;
    return h % ADDR_BUCKETS;
}

/* Under mu. create: add an entry with count 0 when there is none. */
static struct addr_count *find_address(struct tg_conntrack *t, const unsigned char *key, size_t len, bool create)
{
    size_t b = bucket_of(key, len);
    for (struct addr_count *a = t->addrs[b]; a; a = a->next) {
        if (a->len == len && memcmp(a->key, key, len) == 0)
            return a;
    }
    if (!create)
        return NULL;
    struct addr_count *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    memcpy(a->key, key, len);
    a->len = len;
    a->next = t->addrs[b];
    t->addrs[b] = a;
    return a;
}

/* Under mu: one pending connection fewer from a. */
static void release_address(struct tg_conntrack *t, struct addr_count *a)
{
    if (!a || --a->count > 0)
        return;
    struct addr_count **p = &t->addrs[bucket_of(a->key, a->len)];
    while (*p != a)
        p = &(*p)->next;
    *p = a->next;
    free(a);
}

/* Under mu: when the pending ones fill their share, one of the oldest still
 * waiting for its headers is shut down to make room: of the EVICT_WINDOW
 * oldest, the one whose address has the most pending connections (a flood
 * comes from addresses with many, a client from one with a few), the oldest
 * of those. A flood of sockets that never send a request then only ever holds
 * the newest slots, and a client that sends its request as soon as it
 * connects gets in. True when one was. */
#define EVICT_WINDOW 64

static bool evict_oldest_waiting(struct tg_conntrack *t)
{
    struct tg_conn *victim = NULL;
    unsigned most = 0, seen = 0;
    for (struct tg_conn *c = t->evict ? t->tail : NULL; c && seen < EVICT_WINDOW; c = c->prev) {
        if (c->trusted || !c->awaiting || c->shut)
            continue;
        seen++;
        unsigned n = c->addr ? c->addr->count : 1;
        if (!victim || n > most) {
            victim = c;
            most = n;
        }
    }
    if (!victim)
        return false;
    shutdown(victim->fd, SHUT_RDWR);
    victim->shut = victim->evicted = true;
    t->evicting++;
    t->evicted++;
    return true;
}

/* Under mu: gives back what admitting took, for a connection still pending. */
static void release_pending(struct tg_conntrack *t, struct addr_count *a)
{
    t->open--;
    t->pending--;
    release_address(t, a);
}

bool tg_conntrack_admit(struct tg_conntrack *t)
{
    return tg_conntrack_admit_address(t, NULL);
}

bool tg_conntrack_admit_address(struct tg_conntrack *t, const struct sockaddr *addr)
{
    unsigned char key[16];
    size_t len = t->per_address ? address_key(addr, key) : 0;
    pthread_mutex_lock(&t->mu);
    bool ok = false;
    struct addr_count *a = NULL;
    /* an evicted connection is on its way out: its slot counts as free */
    bool full = t->open - t->evicting >= t->max_open, pending_full = t->pending - t->evicting >= t->max_pending;
    if (len && (a = find_address(t, key, len, false)) != NULL && a->count >= t->per_address) {
        t->refused++;
        t->refused_per_address++;
    } else if ((full || pending_full) && !evict_oldest_waiting(t)) {
        t->refused++;
        if (!full)
            t->refused_pending++;
    } else if (len && !a && !(a = find_address(t, key, len, true))) {
        t->refused++; /* out of memory for the count */
    } else {
        ok = true;
        t->open++;
        t->pending++;
        if (a)
            a->count++;
    }
    pthread_mutex_unlock(&t->mu);
    return ok;
}

struct tg_conn *tg_conntrack_open(struct tg_conntrack *t, int fd)
{
    return tg_conntrack_open_address(t, fd, NULL);
}

struct tg_conn *tg_conntrack_open_address(struct tg_conntrack *t, int fd, const struct sockaddr *addr)
{
    unsigned char key[16];
    size_t len = t->per_address ? address_key(addr, key) : 0;
    struct tg_conn *c = calloc(1, sizeof *c);
    pthread_mutex_lock(&t->mu);
    struct addr_count *a = len ? find_address(t, key, len, false) : NULL;
    if (!c) {
        release_pending(t, a);
    } else {
        c->fd = fd;
        c->addr = a;
        c->started_us = tg_monotonic_us();
        c->deadline_us = c->started_us + t->header_timeout_us;
        c->awaiting = true;
        c->next = t->head;
        if (t->head)
            t->head->prev = c;
        else
            t->tail = c;
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
    else
        t->tail = c->prev;
    if (c->evicted)
        t->evicting--;
    if (c->trusted)
        t->open--;
    else
        release_pending(t, c->addr);
    pthread_mutex_unlock(&t->mu);
    free(c);
}

void tg_conntrack_headers_in(struct tg_conntrack *t, struct tg_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&t->mu);
    c->awaiting = false;
    if (c->deadline_us != 0)
        c->deadline_us = c->started_us + t->timeout_us;
    pthread_mutex_unlock(&t->mu);
}

void tg_conntrack_trust(struct tg_conntrack *t, struct tg_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&t->mu);
    if (!c->trusted) {
        c->trusted = true;
        t->pending--;
        release_address(t, c->addr);
        c->addr = NULL;
    }
    pthread_mutex_unlock(&t->mu);
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
    /* idle between requests: a trusted client may take the whole timeout to
     * send the next one, a pending one only the header timeout */
    c->started_us = tg_monotonic_us();
    c->deadline_us = c->started_us + (c->trusted ? t->timeout_us : t->header_timeout_us);
    c->awaiting = true;
    pthread_mutex_unlock(&t->mu);
}

struct tg_conntrack_stats tg_conntrack_stats(struct tg_conntrack *t)
{
    pthread_mutex_lock(&t->mu);
    struct tg_conntrack_stats s = {t->open,    t->refused,           t->timed_out,
                                   t->pending, t->refused_per_address, t->refused_pending, t->evicted};
    pthread_mutex_unlock(&t->mu);
    return s;
}

void tg_conntrack_write_metrics(struct tg_conntrack *t, struct strbuf *sb)
{
    struct tg_conntrack_stats cs = tg_conntrack_stats(t);
    const struct {
        const char *name, *type, *help;
        unsigned long long value;
    } rows[] = {
        {"tollgate_connections_open", "gauge", "Connections open now.", cs.open},
        {"tollgate_connections_pending", "gauge", "Connections open that sent no token yet.", cs.pending},
        {"tollgate_connections_refused_total", "counter", "Connections closed at once: --max-connections reached.",
         cs.refused},
        {"tollgate_connections_refused_per_address_total", "counter",
         "Of those refused: their address had --max-per-address connections without a token.",
         cs.refused_per_address},
        {"tollgate_connections_refused_pending_total", "counter",
         "Of those refused: the connections not kept for clients with a token were all taken.", cs.refused_pending},
        {"tollgate_connections_evicted_total", "counter",
         "Connections without a token and without a request, shut to make room for new ones.", cs.evicted},
        {"tollgate_connections_timed_out_total", "counter",
         "Connections closed: no whole request within --client-timeout (headers: --header-timeout).", cs.timed_out},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        strbuf_printf(sb, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", rows[i].name, rows[i].help, rows[i].name,
                      rows[i].type, rows[i].name, rows[i].value);
}
