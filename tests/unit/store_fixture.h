/* A store in a fresh temporary directory, for the unit tests that need a db:
 * opened before a test, closed and removed after it. Header-only because each
 * test program is one .c file linked with core/; the test includes cmocka
 * first. */
#ifndef TG_TEST_STORE_FIXTURE_H
#define TG_TEST_STORE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log/logmodel.h"
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

/* The first column of the first row of sql, with ?1 bound to arg (when not
 * NULL), as an integer (-1: no row). */
/* Parses text as one log and adds it to the store's open batch: the test
 * fails unless it parses and is new. */
static inline void store_fixture_add_text(struct tg_store *store, const char *text)
{
    char err[256];
    bool inserted = false;
    struct tg_log log;
    struct tg_log_error lerr;
    struct tg_log_parse_options opt = {0};
    if (tg_log_parse_text(text, strlen(text), &opt, &log, &lerr) != 0)
        fail_msg("parse: %s", lerr.message);
    if (tg_store_add(store, &log, &inserted, err, sizeof err) != 0)
        fail_msg("add: %s", err);
    assert_true(inserted);
    tg_log_free(&log);
}

static inline int64_t store_fixture_int_of(struct tg_store *store, const char *sql, const char *arg)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(tg_store_sqlite(store), sql, -1, &st, NULL), SQLITE_OK);
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

static inline int64_t store_fixture_int(struct tg_store *store, const char *sql)
{
    return store_fixture_int_of(store, sql, NULL);
}

/* The fixture's db made afresh at an older schema, as that tollgate left it
 * (for the migration tests); the fixture's own store is closed first. */
static inline struct tg_store *store_fixture_reopen_at(struct store_fixture *f, int version)
{
    tg_store_close(f->store);
    f->store = NULL;
    store_fixture_remove(f);
    mkdir(f->dir, 0700);
    char err[256];
    struct tg_store *old = NULL;
    assert_int_equal(tg_store_open_at_version(f->path, version, &old, err, sizeof err), 0);
    return old;
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
