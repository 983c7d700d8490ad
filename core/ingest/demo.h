/* A synthetic but realistic team history: developers, keys, coding-agent threads
 * with growing context, tool calls, cache hits and errors. Used by `tollgate demo`
 * and by the benchmarks, so both go through the same ingest path as real logs. */
#ifndef TG_DEMO_H
#define TG_DEMO_H

#include <stddef.h>
#include <stdint.h>

struct tg_demo_options {
    long requests;     /* how many logs to produce */
    uint64_t seed;     /* same seed, same history */
    int64_t end_ms;    /* newest timestamp, epoch ms; history spans `days` before it */
    int days;          /* length of the history, e.g. 30 */
    int max_context_messages; /* 0 = the whole growing thread in every log; N = the last N messages */
    int large_messages;       /* agent-sized messages: a system prompt of kilobytes, file-sized tool output */
};

/* Receives each generated log as one line of JSON (no newline). Returns 0 to go
 * on, non-zero to stop generation (that value is returned by tg_demo_generate). */
typedef int (*tg_demo_sink)(void *ctx, const char *json, size_t len);

/* Produces options->requests logs in timestamp order. Returns 0, the sink's
 * non-zero value, or -1 with a message in err. */
int tg_demo_generate(const struct tg_demo_options *options, tg_demo_sink sink, void *ctx,
                     char *err, size_t errlen);

#endif
