/* Threads that parse the collector's request bodies, apart from the HTTP
 * threads. libmicrohttpd hands out connections as its event threads happen to
 * accept them (one often took 12 of 16), and a thread that both reads sockets
 * and parses left the other core idle; here each connection keeps one lane (so
 * a thread's cache of the chunks it compressed sees the conversations resent
 * on that connection, as before), and lanes go by connection, evenly. */
#ifndef TG_PARSEPOOL_H
#define TG_PARSEPOOL_H

#include <stddef.h>

struct tg_parsepool;

typedef void (*tg_parse_job_fn)(void *job);

/* lanes threads (0: one per core, at least 2), each running fn on the jobs
 * given to it, in order. Returns 0, or -1 with err. */
int tg_parsepool_start(unsigned lanes, tg_parse_job_fn fn, struct tg_parsepool **out, char *err, size_t errlen);

/* Queues job on lane key % lanes. -1 when stopping or out of memory (job is
 * then not run). */
int tg_parsepool_submit(struct tg_parsepool *pool, unsigned key, void *job);

/* Runs what is queued, then ends the threads. */
void tg_parsepool_stop(struct tg_parsepool *pool);

#endif
