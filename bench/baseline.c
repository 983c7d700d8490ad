/* The floor for `import`: read the same JSON Lines, parse each line with cJSON,
 * and insert the same narrow fields plus the raw text into one bare SQLite table
 * (no indexes, no rollups, no checks) in a single transaction. tollgate's import
 * does all of that plus validation, dimensions, rollups and compression. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *text_of(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static double number_of(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(item) ? item->valuedouble : 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: baseline LOGS.jsonl OUT.db\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "r");
    sqlite3 *db;
    if (!in || sqlite3_open(argv[2], &db) != SQLITE_OK) {
        fprintf(stderr, "baseline: cannot open input or db\n");
        return 2;
    }
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
                 "DROP TABLE IF EXISTS logs;"
                 "CREATE TABLE logs(log_id TEXT, ts TEXT, developer TEXT, key_id TEXT, model TEXT,"
                 " prompt_tokens INTEGER, completion_tokens INTEGER, cache_read_tokens INTEGER,"
                 " cost REAL, latency REAL, status_code INTEGER, raw TEXT)",
                 NULL, NULL, NULL);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT INTO logs VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)", -1, &st, NULL);
    double start = now_seconds();
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long rows = 0;
    while ((n = getline(&line, &cap, in)) > 0) {
        cJSON *log = cJSON_ParseWithLength(line, (size_t)n);
        if (!log)
            continue;
        bind_text(st, 1, text_of(log, "unique_id"));
        bind_text(st, 2, text_of(log, "timestamp"));
        bind_text(st, 3, text_of(log, "customer_identifier"));
        bind_text(st, 4, text_of(log, "organization_key_id"));
        bind_text(st, 5, text_of(log, "model"));
        sqlite3_bind_int64(st, 6, (sqlite3_int64)number_of(log, "prompt_tokens"));
        sqlite3_bind_int64(st, 7, (sqlite3_int64)number_of(log, "completion_tokens"));
        sqlite3_bind_int64(st, 8, (sqlite3_int64)number_of(log, "prompt_cache_hit_tokens"));
        sqlite3_bind_double(st, 9, number_of(log, "cost"));
        sqlite3_bind_double(st, 10, number_of(log, "latency"));
        sqlite3_bind_int(st, 11, (int)number_of(log, "status_code"));
        sqlite3_bind_text(st, 12, line, (int)n, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            fprintf(stderr, "baseline: %s\n", sqlite3_errmsg(db));
            return 1;
        }
        sqlite3_reset(st);
        cJSON_Delete(log);
        rows++;
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    double elapsed = now_seconds() - start;
    printf("%ld %.3f\n", rows, elapsed);
    free(line);
    sqlite3_finalize(st);
    sqlite3_close(db);
    fclose(in);
    return 0;
}
