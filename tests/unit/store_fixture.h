/* A store in a fresh temporary directory, for the unit tests that need a db:
 * opened before a test, closed and removed after it. Header-only because each
 * test program is one .c file linked with core/. */
#ifndef TG_TEST_STORE_FIXTURE_H
#define TG_TEST_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/store.h"

struct store_fixture {
    char dir[64], path[128];
    struct tg_store *store;
};

/* The db file and its WAL and shared-memory files, then the directory. */
static inline void store_fixture_remove(const struct store_fixture *f)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[160];
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    rmdir(f->dir);
}

/* A new directory /tmp/tg-NAME-XXXXXX holding t.db, opened read-write. */
static inline int store_fixture_open(struct store_fixture *f, const char *name)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/tg-%s-XXXXXX", name);
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    char err[256];
    if (tg_store_open(f->path, 0, &f->store, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        rmdir(f->dir);
        return -1;
    }
    return 0;
}

static inline void store_fixture_close(struct store_fixture *f)
{
    tg_store_close(f->store);
    f->store = NULL;
    store_fixture_remove(f);
}

/* cmocka's setup and teardown for a test whose whole state is its store. */
static inline int store_fixture_setup(void **state)
{
    struct store_fixture *f = calloc(1, sizeof *f);
    if (!f || store_fixture_open(f, "unit") != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static inline int store_fixture_teardown(void **state)
{
    store_fixture_close(*state);
    free(*state);
    return 0;
}

#endif
