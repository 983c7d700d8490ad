#include "base/jsonarena.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TG_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TG_ASAN 1
#endif
#ifdef TG_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ALIGNMENT 16
#define FIRST_BLOCK (64u * 1024)
/* A scope that needed more (a log of several MB) gives it back at its end. */
#define KEEP_MAX (8u * 1024 * 1024)

struct block {
    struct block *next;
    size_t size, used;
    alignas(ALIGNMENT) unsigned char data[];
};

struct arena {
    struct block *blocks; /* newest (largest) first; only the newest has room */
    int depth;
    bool registered; /* with the key, so the blocks go when the thread ends */
};

static _Thread_local struct arena this_thread;
static pthread_once_t installed = PTHREAD_ONCE_INIT;
static pthread_key_t arena_key;

static void free_blocks(struct block *b)
{
    while (b) {
        struct block *next = b->next;
        UNPOISON(b->data, b->size);
        free(b);
        b = next;
    }
}

static void at_thread_exit(void *arena)
{
    struct arena *a = arena;
    free_blocks(a->blocks);
    a->blocks = NULL;
}

static struct block *grow(struct arena *a, size_t need)
{
    size_t size = a->blocks ? a->blocks->size * 2 : FIRST_BLOCK;
    while (size < need)
        size *= 2;
    struct block *b = malloc(sizeof *b + size);
    if (!b)
        return NULL;
    b->size = size;
    b->used = 0;
    b->next = a->blocks;
    POISON(b->data, size);
    a->blocks = b;
    return b;
}

static void *arena_malloc(size_t n)
{
    struct arena *a = &this_thread;
    if (a->depth == 0)
        return malloc(n);
    size_t need = n ? (n + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1) : ALIGNMENT;
    if (need < n)
        return NULL; /* overflow */
    struct block *b = a->blocks;
    if (!b || b->size - b->used < need) {
        b = grow(a, need);
        if (!b)
            return NULL;
    }
    void *p = b->data + b->used;
    b->used += need;
    UNPOISON(p, n);
    return p;
}

static bool in_arena(const struct arena *a, const void *p)
{
    uintptr_t at = (uintptr_t)p;
    for (const struct block *b = a->blocks; b; b = b->next) {
        uintptr_t start = (uintptr_t)b->data;
        if (at >= start && at < start + b->size)
            return true;
    }
    return false;
}

static void arena_free(void *p)
{
    if (!p)
        return;
    const struct arena *a = &this_thread;
    if (a->depth > 0 && in_arena(a, p))
        return; /* released with the whole arena */
    free(p);
}

static void install_once(void)
{
    if (pthread_key_create(&arena_key, at_thread_exit) != 0)
        return; /* without the key, threads' arenas would leak: keep plain malloc */
    cJSON_Hooks hooks = {arena_malloc, arena_free};
    cJSON_InitHooks(&hooks);
}

void tg_json_arena_install(void)
{
    pthread_once(&installed, install_once);
}

void tg_json_scope_begin(void)
{
    struct arena *a = &this_thread;
    if (a->depth++ > 0)
        return;
    tg_json_arena_install();
    if (!a->registered) {
        a->registered = pthread_setspecific(arena_key, a) == 0;
    }
}

void tg_json_scope_end(void)
{
    struct arena *a = &this_thread;
    if (a->depth == 0 || --a->depth > 0)
        return;
    struct block *keep = a->blocks;
    if (!keep)
        return;
    if (keep->size > KEEP_MAX || !a->registered) {
        free_blocks(keep);
        a->blocks = NULL;
        return;
    }
    free_blocks(keep->next);
    keep->next = NULL;
    keep->used = 0;
    POISON(keep->data, keep->size);
}
