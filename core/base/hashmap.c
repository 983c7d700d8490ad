#include "base/hashmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    char *key; /* NULL when empty */
    size_t key_len;
    uint64_t hash;
    void *value;
};

struct hashmap {
    struct slot *slots;
    size_t cap; /* a power of two */
    size_t count;
};

/* FNV-1a: keys are short (names, ids, small structs) so a simple hash is enough. */
static uint64_t hash_bytes(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

struct hashmap *hashmap_new(void)
{
    struct hashmap *map = calloc(1, sizeof *map);
    if (!map)
        return NULL;
    map->cap = 64;
    map->slots = calloc(map->cap, sizeof *map->slots);
    if (!map->slots) {
        free(map);
        return NULL;
    }
    return map;
}

void hashmap_clear(struct hashmap *map, void (*free_value)(void *))
{
    for (size_t i = 0; i < map->cap; i++) {
        struct slot *s = &map->slots[i];
        if (!s->key)
            continue;
        if (free_value && s->value)
            free_value(s->value);
        free(s->key);
        s->key = NULL;
    }
    map->count = 0;
}

void hashmap_free(struct hashmap *map, void (*free_value)(void *))
{
    if (!map)
        return;
    hashmap_clear(map, free_value);
    free(map->slots);
    free(map);
}

static struct slot *find_slot(struct slot *slots, size_t cap, const void *key, size_t len, uint64_t h)
{
    size_t i = h & (cap - 1);
    for (;;) {
        struct slot *s = &slots[i];
        if (!s->key || (s->hash == h && s->key_len == len && memcmp(s->key, key, len) == 0))
            return s;
        i = (i + 1) & (cap - 1);
    }
}

static int grow(struct hashmap *map)
{
    size_t cap = map->cap * 2;
    struct slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < map->cap; i++) {
        struct slot *old = &map->slots[i];
        if (old->key)
            *find_slot(slots, cap, old->key, old->key_len, old->hash) = *old;
    }
    free(map->slots);
    map->slots = slots;
    map->cap = cap;
    return 0;
}

void *hashmap_get(const struct hashmap *map, const void *key, size_t key_len)
{
    struct slot *s = find_slot(map->slots, map->cap, key, key_len, hash_bytes(key, key_len));
    return s->key ? s->value : NULL;
}

int hashmap_put(struct hashmap *map, const void *key, size_t key_len, void *value)
{
    if ((map->count + 1) * 4 > map->cap * 3 && grow(map) != 0)
        return -1;
    uint64_t h = hash_bytes(key, key_len);
    struct slot *s = find_slot(map->slots, map->cap, key, key_len, h);
    if (s->key) {
        s->value = value;
        return 0;
    }
    s->key = malloc(key_len ? key_len : 1);
    if (!s->key)
        return -1;
    memcpy(s->key, key, key_len);
    s->key_len = key_len;
    s->hash = h;
    s->value = value;
    map->count++;
    return 0;
}

size_t hashmap_count(const struct hashmap *map)
{
    return map->count;
}

int hashmap_next(const struct hashmap *map, size_t *pos, const void **key, size_t *key_len, void **value)
{
    while (*pos < map->cap) {
        struct slot *s = &map->slots[(*pos)++];
        if (!s->key)
            continue;
        *key = s->key;
        *key_len = s->key_len;
        *value = s->value;
        return 1;
    }
    return 0;
}
