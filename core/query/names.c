#include "query/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlbind.h"

struct kind_sql {
    const char *label;
    const char *exact; /* ?1 = the name */
    const char *all;   /* every name, one or two columns */
};

static const struct kind_sql kinds[] = {
    [TG_NAME_DEVELOPER] = {"developer", "SELECT 1 FROM developers WHERE ident = ?1 LIMIT 1",
                           "SELECT ident, NULL FROM developers"},
    [TG_NAME_KEY] = {"key", "SELECT 1 FROM keys WHERE name = ?1 OR key_id = ?1 LIMIT 1",
                     "SELECT name, key_id FROM keys"},
    [TG_NAME_MODEL] = {"model", "SELECT 1 FROM models WHERE name = ?1 LIMIT 1", "SELECT name, NULL FROM models"},
};

const char *tg_name_kind_label(enum tg_name_kind kind)
{
    return kinds[kind].label;
}

void tg_name_check_free(struct tg_name_check *check)
{
    for (size_t i = 0; i < check->count; i++)
        free(check->closest[i]);
    check->count = 0;
}

static int is_known(struct tg_store *store, enum tg_name_kind kind, const char *name, bool *known, char *err,
                    size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), kinds[kind].exact, -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "looking up a name", err, errlen);
    tg_sql_bind_text(st, 1, name);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return tg_store_fail(store, "looking up a name", err, errlen);
    *known = rc == SQLITE_ROW;
    return 0;
}

/* Every name of the kind, copied (the statement's text lives only until its
 * next step), so the closest can be kept by pointer. */
struct names {
    char **items;
    size_t count, cap;
};

static int push(struct names *n, const unsigned char *text)
{
    if (!text)
        return 0;
    if (n->count == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 64;
        char **grown = realloc(n->items, cap * sizeof *grown);
        if (!grown)
            return -1;
        n->items = grown;
        n->cap = cap;
    }
    if (!(n->items[n->count] = strdup((const char *)text)))
        return -1;
    n->count++;
    return 0;
}

static void names_free(struct names *n)
{
    for (size_t i = 0; i < n->count; i++)
        free(n->items[i]);
    free(n->items);
}

static int read_all(struct tg_store *store, enum tg_name_kind kind, struct names *out, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), kinds[kind].all, -1, &st, NULL) != SQLITE_OK)
        return tg_store_fail(store, "listing names", err, errlen);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (push(out, sqlite3_column_text(st, 0)) != 0 || push(out, sqlite3_column_text(st, 1)) != 0) {
            sqlite3_finalize(st);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return tg_store_fail(store, "listing names", err, errlen);
    return 0;
}

int tg_names_check(struct tg_store *store, enum tg_name_kind kind, const char *name, struct tg_name_check *out,
                   char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (is_known(store, kind, name, &out->known, err, errlen) != 0)
        return -1;
    if (out->known)
        return 0;
    struct names all = {0};
    if (read_all(store, kind, &all, err, errlen) != 0) {
        names_free(&all);
        return -1;
    }
    struct tg_suggest s;
    tg_suggest_init(&s, name);
    for (size_t i = 0; i < all.count; i++)
        tg_suggest_add(&s, all.items[i]);
    out->known_total = (int64_t)all.count;
    for (size_t i = 0; i < s.count; i++) {
        if (!(out->closest[out->count] = strdup(s.best[i])))
            break;
        out->count++;
    }
    names_free(&all);
    return 0;
}
