/* Open-addressing hash map from byte-string keys to pointers. Used for the
 * store's dimension caches and per-batch rollup deltas, where a round trip to
 * SQLite for every log would cost more than the insert itself. */
#ifndef TG_HASHMAP_H
#define TG_HASHMAP_H

#include <stddef.h>

struct hashmap;

struct hashmap *hashmap_new(void);
/* Frees the map; calls free_value on each value when it is not NULL. */
void hashmap_free(struct hashmap *map, void (*free_value)(void *));
void hashmap_clear(struct hashmap *map, void (*free_value)(void *));

/* The value stored under key, or NULL. */
void *hashmap_get(const struct hashmap *map, const void *key, size_t key_len);
/* Stores value under key (copied), replacing any previous value. -1 when out of memory. */
int hashmap_put(struct hashmap *map, const void *key, size_t key_len, void *value);
size_t hashmap_count(const struct hashmap *map);

/* Iteration: start with *pos = 0; returns 0 at the end. */
int hashmap_next(const struct hashmap *map, size_t *pos, const void **key, size_t *key_len, void **value);

#endif
