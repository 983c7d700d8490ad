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
 * socket down, which the HTTP library sees as the client going away. */
#ifndef TG_CONNTRACK_H
#define TG_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>

struct tg_conntrack;
struct tg_conn;

struct tg_conntrack_stats {
    unsigned long long open;      /* connections admitted and not yet closed */
    unsigned long long refused;   /* closed at once: the limit was reached */
    unsigned long long timed_out; /* shut down: no whole request within the timeout */
};

/* timeout_s >= 1, max_open >= 1. Starts the sweeper. Returns 0, or -1 with err. */
int tg_conntrack_new(unsigned timeout_s, unsigned max_open, struct tg_conntrack **out, char *err, size_t errlen);

/* Stops the sweeper; call once no connection is open any more. */
void tg_conntrack_free(struct tg_conntrack *t);

/* Takes a slot for a new connection; false (and counted as refused) when all
 * max_open are taken. A taken slot is given back by tg_conntrack_close, or by
 * tg_conntrack_open when it cannot track the connection. */
bool tg_conntrack_admit(struct tg_conntrack *t);

/* Starts the deadline of an admitted connection. NULL when out of memory: the
 * slot is given back and the connection goes untracked. */
struct tg_conn *tg_conntrack_open(struct tg_conntrack *t, int fd);

/* Before the socket is closed: gives the slot back. conn may be NULL. */
void tg_conntrack_close(struct tg_conntrack *t, struct tg_conn *conn);

/* The request is in: no deadline until it is answered. conn may be NULL. */
void tg_conntrack_hold(struct tg_conntrack *t, struct tg_conn *conn);

/* Answered: the next request is due within the timeout. conn may be NULL. */
void tg_conntrack_rearm(struct tg_conntrack *t, struct tg_conn *conn);

struct tg_conntrack_stats tg_conntrack_stats(struct tg_conntrack *t);

#endif
