/* Connection limits the HTTP library does not give on its own terms: a cap on
 * open connections past which new ones are closed at once (libmicrohttpd's own
 * limit is split between its event threads and leaves the excess waiting in
 * the backlog), and a deadline by which a client must have sent a whole
 * request (an idle timeout alone lets a client sending a byte a second hold a
 * connection for ever).
 *
 * A connection is admitted (counted), opened with its socket, and from then on
 * must deliver each request within the timeout: from when it connected, or
 * from the answer to its previous request. While a request waits for its
 * commit the deadline is held. Past the deadline a sweeper thread shuts the
 * socket down, which the HTTP library sees as the client going away.
 *
 * Against a flood of sockets that never finish a request (slowloris), a
 * connection is "pending" until one of its requests passes the token check,
 * then "trusted". Pending connections get a shorter deadline for their
 * headers, may number at most max_pending_per_address from one address, and
 * together may not take the slots reserved for trusted ones. When they fill
 * their share (and evict_waiting is set), a new connection shuts down the oldest pending one that has
 * not started a request. So clients that authenticated keep their
 * connections, a flood from a few addresses cannot fill the rest, and one
 * from many addresses only ever holds the newest slots: a client that sends
 * its request as it connects still gets in. */
#ifndef TG_CONNTRACK_H
#define TG_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>

struct sockaddr;
struct strbuf;

struct tg_conntrack;
struct tg_conn;

struct tg_conntrack_stats {
    unsigned long long open;      /* connections admitted and not yet closed */
    unsigned long long refused;   /* closed at once: the limit was reached */
    unsigned long long timed_out; /* shut down: no whole request within the timeout */
    unsigned long long pending;   /* open and not trusted yet */
    unsigned long long refused_per_address; /* of refused: that address had its share of pending ones */
    unsigned long long refused_pending;     /* of refused: the pending share was full (the rest is reserved) */
    unsigned long long evicted; /* pending, waiting for headers, shut to make room for a new connection */
};

struct tg_conntrack_limits {
    unsigned timeout_s;        /* >= 1: a whole request within this, from connecting or the previous answer */
    unsigned header_timeout_s; /* >= 1: a pending connection's headers within this (capped by timeout_s) */
    unsigned max_open;         /* >= 1 */
    unsigned max_pending_per_address; /* 0: no limit */
    unsigned reserved_for_trusted;    /* slots pending connections may not take; < max_open */
    bool evict_waiting; /* when full, shut the oldest pending connection that sent nothing, rather than refuse */
};

/* timeout_s >= 1, max_open >= 1. Starts the sweeper. Returns 0, or -1 with err. */
int tg_conntrack_new(unsigned timeout_s, unsigned max_open, struct tg_conntrack **out, char *err, size_t errlen);

/* The same with the flood limits. */
int tg_conntrack_new_limits(const struct tg_conntrack_limits *limits, struct tg_conntrack **out, char *err,
                            size_t errlen);

/* Stops the sweeper; call once no connection is open any more. */
void tg_conntrack_free(struct tg_conntrack *t);

/* Takes a slot for a new connection; false (and counted as refused) when all
 * max_open are taken (and none can be evicted). A taken slot is given back by tg_conntrack_close, or by
 * tg_conntrack_open when it cannot track the connection. */
bool tg_conntrack_admit(struct tg_conntrack *t);

/* The same for a client at addr (an IPv4 or IPv6 sockaddr; NULL: not
 * counted by address); the connection starts pending. */
bool tg_conntrack_admit_address(struct tg_conntrack *t, const struct sockaddr *addr);

/* Starts the deadline of an admitted connection. NULL when out of memory: the
 * slot is given back and the connection goes untracked. */
struct tg_conn *tg_conntrack_open(struct tg_conntrack *t, int fd);

/* The same for a connection admitted with tg_conntrack_admit_address(addr). */
struct tg_conn *tg_conntrack_open_address(struct tg_conntrack *t, int fd, const struct sockaddr *addr);

/* A request's headers are in: its deadline is now the whole-request one,
 * from when the client started it. conn may be NULL. */
void tg_conntrack_headers_in(struct tg_conntrack *t, struct tg_conn *conn);

/* A request on it passed the token check: no longer pending, and no longer
 * counted against its address. conn may be NULL. */
void tg_conntrack_trust(struct tg_conntrack *t, struct tg_conn *conn);

/* Before the socket is closed: gives the slot back. conn may be NULL. */
void tg_conntrack_close(struct tg_conntrack *t, struct tg_conn *conn);

/* The request is in: no deadline until it is answered. conn may be NULL. */
void tg_conntrack_hold(struct tg_conntrack *t, struct tg_conn *conn);

/* Answered: the next request is due within the timeout. conn may be NULL. */
void tg_conntrack_rearm(struct tg_conntrack *t, struct tg_conn *conn);

struct tg_conntrack_stats tg_conntrack_stats(struct tg_conntrack *t);

/* The stats as Prometheus text. */
void tg_conntrack_write_metrics(struct tg_conntrack *t, struct strbuf *sb);

#endif
