/* Writes every stored body out, in request order, one a line, so that a db
 * can be compared byte for byte with the file it was imported from:
 *   bodycheck DB > rebuilt.jsonl && cmp rebuilt.jsonl imported.jsonl
 * (timing rebuilds is bench/rebuildbench's job). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"

static int64_t max_request_id(struct tg_store *store)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(tg_store_sqlite(store), "SELECT coalesce(max(id), 0) FROM requests", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int dump(struct tg_store *store)
{
    int64_t hi = max_request_id(store);
    char err[256];
    for (int64_t id = 1; id <= hi; id++) {
        char *raw;
        size_t len;
        int rc = tg_store_raw_request(store, id, &raw, &len, err, sizeof err);
        if (rc == 1)
            continue; /* no such request, or its body was pruned */
        if (rc != 0) {
            fprintf(stderr, "bodycheck: request %lld: %s\n", (long long)id, err);
            return 1;
        }
        fwrite(raw, 1, len, stdout);
        if (len == 0 || raw[len - 1] != '\n')
            putchar('\n');
        free(raw);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bodycheck DB > rebuilt.jsonl\n");
        return 2;
    }
    struct tg_store *store;
    char err[256];
    if (tg_store_open(argv[1], TG_STORE_READ_ONLY | TG_STORE_SMALL_CACHE, &store, err, sizeof err) != 0) {
        fprintf(stderr, "bodycheck: %s\n", err);
        return 1;
    }
    int rc = dump(store);
    tg_store_close(store);
    return rc;
}
