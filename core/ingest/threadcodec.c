#include "ingest/threadcodec.h"

#include <pthread.h>
#include <stdlib.h>

/* per thread: agents resend a conversation on the same connection, mostly,
 * and a connection keeps its parse lane (parsepool.h) */
#define SENT_WINDOW 16384

static pthread_key_t codec_key;
static pthread_once_t codec_key_once = PTHREAD_ONCE_INIT;

static void free_thread_codec(void *p)
{
    struct tg_thread_codec *tc = p;
    tg_body_codec_free(tc->codec);
    tg_msgcache_free(tc->sent);
    free(tc);
}

static void make_codec_key(void)
{
    pthread_key_create(&codec_key, free_thread_codec);
}

struct tg_thread_codec *tg_thread_codec(struct tg_writer *writer)
{
    pthread_once(&codec_key_once, make_codec_key);
    struct tg_thread_codec *tc = pthread_getspecific(codec_key);
    if (!tc) {
        tc = calloc(1, sizeof *tc);
        if (!tc || !(tc->codec = tg_body_codec_new()) || !(tc->sent = tg_msgcache_new(SENT_WINDOW))) {
            if (tc)
                tg_body_codec_free(tc->codec);
            free(tc);
            return NULL;
        }
        pthread_setspecific(codec_key, tc);
    }
    void *dict;
    size_t len;
    int64_t id;
    if (tg_writer_body_dict(writer, &tc->generation, &dict, &len, &id) == 1) {
        if (tg_body_codec_set_dict(tc->codec, dict, len, id) == 0)
            tc->dict_id = id;
        free(dict);
    }
    return tc;
}
