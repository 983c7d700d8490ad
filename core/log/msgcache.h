/* A bounded map from message digests (SHA-256) to stored message ids, holding
 * the most recently used ones. Coding agents resend a conversation on every
 * turn, so the messages a log repeats are nearly always recent ones: a window
 * of them in memory finds almost every repeat without a db index over all
 * digests, whose random inserts would slow every import as the db grows.
 *
 * Two generations: lookups that hit the older one move the entry to the
 * current one; when the current one fills, the older one is dropped. Memory
 * stays below two generations' worth whatever the traffic. */
#ifndef TG_MSGCACHE_H
#define TG_MSGCACHE_H

#include <stddef.h>
#include <stdint.h>

#define TG_DIGEST_LEN 32

struct tg_msgcache;

/* capacity: entries per generation. NULL when out of memory. */
struct tg_msgcache *tg_msgcache_new(size_t capacity);
void tg_msgcache_free(struct tg_msgcache *cache);
void tg_msgcache_clear(struct tg_msgcache *cache);

/* The id stored under digest, or 0 when it is not (ids are never 0). */
int64_t tg_msgcache_get(struct tg_msgcache *cache, const unsigned char digest[TG_DIGEST_LEN]);
/* Stores id (non-zero) under digest. */
void tg_msgcache_put(struct tg_msgcache *cache, const unsigned char digest[TG_DIGEST_LEN], int64_t id);
size_t tg_msgcache_count(const struct tg_msgcache *cache);

#endif
