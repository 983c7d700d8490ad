#include "query/searchids.h"

#include <stdlib.h>
#include <string.h>

#define UUID_TEXT 36

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Pieces this short are looked for in the ids only when they hold a digit
 * and a letter: "cafe", "decade" or "2026" are words and numbers a user
 * searches the text for, "9fa3e" is a piece of an id. */
#define SHORT_PIECE 8
#define SHORTEST_PIECE 3 /* as the text search's trigrams */

bool tg_search_id_shaped(const char *text)
{
    size_t n = strlen(text);
    if (n < SHORTEST_PIECE || n > UUID_TEXT)
        return false;
    bool digit = false, letter = false;
    for (size_t i = 0; i < n; i++) {
        if (!is_hex(text[i]) && text[i] != '-')
            return false;
        digit |= text[i] >= '0' && text[i] <= '9';
        letter |= text[i] != '-' && !(text[i] >= '0' && text[i] <= '9');
    }
    return n >= SHORT_PIECE || (digit && letter);
}

/* A whole canonical UUID: found through indexes, never a scan. */
static bool whole_uuid(const char *text)
{
    if (strlen(text) != UUID_TEXT)
        return false;
    for (size_t i = 0; i < UUID_TEXT; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !is_hex(text[i]))
            return false;
    }
    return true;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

struct id_list {
    int64_t *ids;
    size_t n, cap;
};

static int push(struct id_list *l, int64_t id)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        int64_t *grown = realloc(l->ids, cap * sizeof *grown);
        if (!grown)
            return -1;
        l->ids = grown;
        l->cap = cap;
    }
    l->ids[l->n++] = id;
    return 0;
}

/* Every id the statement's first column yields, bound to the two texts (or
 * the text and a number). */
static int collect(sqlite3 *db, const char *sql, const char *lower, const char *hex_upper, int64_t number,
                   struct id_list *l)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, lower, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(st) >= 2) {
        if (hex_upper)
            sqlite3_bind_text(st, 2, hex_upper, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, 2, number);
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (push(l, sqlite3_column_int64(st, 0)) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* A whole id: the log id through the log-id index; the thread id through
 * the per-thread rollup, which bounds in time the thread's rows it counts,
 * and among the newer rows it does not count yet (a scan only while that
 * rollup is still being backfilled). */
static int whole_id_hits(struct tg_store *store, const char *lower, struct id_list *l)
{
    int64_t id = tg_store_request_of_log(store, lower);
    if (id < 0 || (id > 0 && push(l, id) != 0))
        return -1;
    sqlite3 *db = tg_store_sqlite(store);
    if (tg_store_threads_ready(store))
        return collect(db,
                       "SELECT r.id FROM threads t JOIN requests r ON r.ts_ms BETWEEN t.first_ms AND t.last_ms"
                       " AND r.thread_id = t.thread_id WHERE t.thread_id = tg_id_pack(?1) AND r.body_ids IS NOT NULL"
                       " UNION SELECT id FROM requests WHERE id > ?2 AND thread_id = tg_id_pack(?1)"
                       " AND body_ids IS NOT NULL",
                       lower, NULL, tg_store_threads_counted_upto(store), l);
    return collect(db, "SELECT id FROM requests WHERE thread_id = tg_id_pack(?1) AND body_ids IS NOT NULL", lower,
                   NULL, 0, l);
}

int tg_search_id_hits(struct tg_store *store, const char *text, int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    if (!tg_search_id_shaped(text))
        return 0;
    char lower[UUID_TEXT + 1], hex_upper[UUID_TEXT + 1];
    size_t h = 0, i = 0;
    for (; text[i]; i++) {
        char c = text[i];
        lower[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        if (c != '-')
            hex_upper[h++] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
    }
    lower[i] = '\0';
    hex_upper[h] = '\0';
    struct id_list l = {0};
    int rc;
    if (whole_uuid(lower)) {
        rc = whole_id_hits(store, lower, &l);
    } else {
        /* A piece of an id: a scan of the rows whose ids were left out of
         * their bodies (those ids are always the 16-byte form), where the
         * built-in hex() rules most rows out before the exact test. */
        rc = collect(tg_store_sqlite(store),
                     "SELECT id FROM requests WHERE body_ids IS NOT NULL AND"
                     " ((instr(hex(log_id), ?2) > 0 AND instr(tg_id_text(log_id), ?1) > 0)"
                     " OR (instr(hex(thread_id), ?2) > 0 AND instr(tg_id_text(thread_id), ?1) > 0))",
                     lower, hex_upper, 0, &l);
    }
    if (rc != 0) {
        free(l.ids);
        return -1;
    }
    if (l.n)
        qsort(l.ids, l.n, sizeof *l.ids, cmp_id);
    size_t u = 0; /* a log id that is also its thread's */
    for (size_t k = 0; k < l.n; k++)
        if (u == 0 || l.ids[u - 1] != l.ids[k])
            l.ids[u++] = l.ids[k];
    *ids = l.ids;
    *n = u;
    return 0;
}
