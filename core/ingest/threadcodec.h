/* The codec a collector's parsing thread compresses bodies with, so the
 * single writer only writes: one per thread, made on first use and freed when
 * the thread ends, its dictionary following the one the writer publishes. */
#ifndef TG_THREADCODEC_H
#define TG_THREADCODEC_H

#include <stdint.h>

#include "ingest/writer.h"
#include "log/body.h"
#include "log/msgcache.h"

struct tg_thread_codec {
    struct tg_body_codec *codec;
    struct tg_msgcache *sent; /* chunks this thread compressed already */
    unsigned generation;
    int64_t dict_id;
};

/* This thread's codec, its dictionary brought up to date; NULL when out of
 * memory (bodies are then left to the writer). */
struct tg_thread_codec *tg_thread_codec(struct tg_writer *writer);

#endif
