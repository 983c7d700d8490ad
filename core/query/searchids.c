#include "query/searchids.h"

#include <stdlib.h>
#include <string.h>

bool tg_search_id_shaped(const char *text)
{
    size_t n = strlen(text);
    if (n < 8 || n > 36)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '-'))
            return false;
    }
    return true;
}

int tg_search_id_hits(sqlite3 *db, const char *text, int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    if (!tg_search_id_shaped(text))
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT id FROM requests WHERE body_ids IS NOT NULL AND (instr(tg_id_text(log_id), lower(?1)) > 0"
                           " OR instr(tg_id_text(thread_id), lower(?1)) > 0)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t cap2 = cap ? cap * 2 : 16;
            int64_t *grown = realloc(*ids, cap2 * sizeof *grown);
            if (!grown) {
                rc = SQLITE_NOMEM;
                break;
            }
            *ids = grown;
            cap = cap2;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(*ids);
        *ids = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}
