/* The floor for "store the logs' facts": the least a program can do with a
 * file of gateway logs and still answer "who spent what, when". One thread
 * scans the mapped file for each line's end and the first "unique_id",
 * "timestamp", "customer_identifier" and "cost" in it (a minimal scan, not a
 * parse: no validation, no escapes, no nesting, which is why it is a floor and
 * not an importer); the other inserts them into a bare SQLite table (no index,
 * no key) in transactions of a million rows, as `tollgate import` commits.
 * It does not time itself: bench/agents.py times it like every other program,
 * process start to exit. Appends to the table, so a db can be filled first.
 * usage: floor LOGS.jsonl DB   (prints "N rows") */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

enum { BATCH = 8192, QUEUE = 8, ROWS_PER_COMMIT = 1000000 };

struct span {
    const char *p;
    int n;
};

struct row {
    struct span id, ts, developer;
    double cost;
};

struct batch {
    struct row rows[BATCH];
    int n;
};

struct queue {
    struct batch *slots[QUEUE];
    int head, count;
    bool done;
    pthread_mutex_t mu;
    pthread_cond_t changed;
};

struct scan {
    const char *data;
    size_t size;
    struct queue *q;
};

/* The string value after the first `"key":"` within [p, end), or an empty span. */
static struct span string_after(const char *p, const char *end, const char *key, size_t keylen)
{
    const char *at = memmem(p, (size_t)(end - p), key, keylen);
    if (!at)
        return (struct span){NULL, 0};
    const char *v = at + keylen, *close = memchr(v, '"', (size_t)(end - v));
    return close ? (struct span){v, (int)(close - v)} : (struct span){NULL, 0};
}

static void put(struct queue *q, struct batch *b)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == QUEUE)
        pthread_cond_wait(&q->changed, &q->mu);
    q->slots[(q->head + q->count++) % QUEUE] = b;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
}

static struct batch *take(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == 0 && !q->done)
        pthread_cond_wait(&q->changed, &q->mu);
    struct batch *b = NULL;
    if (q->count) {
        b = q->slots[q->head];
        q->head = (q->head + 1) % QUEUE;
        q->count--;
        pthread_cond_broadcast(&q->changed);
    }
    pthread_mutex_unlock(&q->mu);
    return b;
}

static void *scan_lines(void *arg)
{
    struct scan *s = arg;
    const char *p = s->data, *end = s->data + s->size;
    struct batch *b = malloc(sizeof *b);
    b->n = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        if (line_end - p > 1) {
            struct row *r = &b->rows[b->n];
            static const char id[] = "\"unique_id\":\"", ts[] = "\"timestamp\":\"",
                              dev[] = "\"customer_identifier\":\"", cost[] = "\"cost\":";
            r->id = string_after(p, line_end, id, sizeof id - 1);
            r->ts = string_after(p, line_end, ts, sizeof ts - 1);
            r->developer = string_after(p, line_end, dev, sizeof dev - 1);
            const char *c = memmem(p, (size_t)(line_end - p), cost, sizeof cost - 1);
            r->cost = c ? strtod(c + sizeof cost - 1, NULL) : 0;
            if (++b->n == BATCH) {
                put(s->q, b);
                b = malloc(sizeof *b);
                b->n = 0;
            }
        }
        p = line_end + 1;
    }
    put(s->q, b);
    pthread_mutex_lock(&s->q->mu);
    s->q->done = true;
    pthread_cond_broadcast(&s->q->changed);
    pthread_mutex_unlock(&s->q->mu);
    return NULL;
}

static void bind_span(sqlite3_stmt *st, int i, struct span s)
{
    if (s.p)
        sqlite3_bind_text(st, i, s.p, s.n, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static int fail(sqlite3 *db, const char *what)
{
    fprintf(stderr, "floor: %s: %s\n", what, db ? sqlite3_errmsg(db) : "cannot open");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: floor LOGS.jsonl DB\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
        fprintf(stderr, "floor: cannot read %s\n", argv[1]);
        return 2;
    }
    const char *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED)
        return 2;
    madvise((void *)data, (size_t)st.st_size, MADV_SEQUENTIAL);
    sqlite3 *db = NULL;
    if (sqlite3_open(argv[2], &db) != SQLITE_OK)
        return fail(db, "open");
    if (sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
                     "CREATE TABLE IF NOT EXISTS logs(id TEXT, ts TEXT, developer TEXT, cost REAL)",
                     NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, "schema");
    sqlite3_stmt *ins;
    if (sqlite3_prepare_v2(db, "INSERT INTO logs VALUES(?1, ?2, ?3, ?4)", -1, &ins, NULL) != SQLITE_OK)
        return fail(db, "prepare");

    struct queue q = {.mu = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};
    struct scan s = {data, (size_t)st.st_size, &q};
    pthread_t scanner;
    pthread_create(&scanner, NULL, scan_lines, &s);
    long rows = 0;
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    struct batch *b;
    while ((b = take(&q))) {
        for (int i = 0; i < b->n; i++) {
            const struct row *r = &b->rows[i];
            bind_span(ins, 1, r->id);
            bind_span(ins, 2, r->ts);
            bind_span(ins, 3, r->developer);
            sqlite3_bind_double(ins, 4, r->cost);
            if (sqlite3_step(ins) != SQLITE_DONE)
                return fail(db, "insert");
            sqlite3_reset(ins);
            if (++rows % ROWS_PER_COMMIT == 0 &&
                (sqlite3_exec(db, "COMMIT; BEGIN", NULL, NULL, NULL) != SQLITE_OK))
                return fail(db, "commit");
        }
        free(b);
    }
    pthread_join(scanner, NULL);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, "commit");
    sqlite3_finalize(ins);
    sqlite3_close(db);
    munmap((void *)data, (size_t)st.st_size);
    close(fd);
    printf("%ld rows\n", rows);
    return 0;
}
