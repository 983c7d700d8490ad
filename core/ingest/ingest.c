#include "ingest/ingest.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log/body.h"
#include "base/jsonarena.h"
#include "base/jsonsplit.h"
#include "base/timeutil.h"

/* Logs per transaction. Random log ids spread each batch over the whole id
 * index, and every page a batch touches is written once per commit: the
 * bigger the batch, the fewer times the index is rewritten (the import of
 * the 10th million into one db ran at 42% of the first's speed with 50,000
 * logs a batch; with 1,000,000 and ids indexed by hash, at 71%). The page
 * cache of a bulk store (1 GB) holds a batch's dirty pages. */
#define DEFAULT_BATCH 1000000
#define CHUNK_ITEMS 128      /* lines handed from the parsing thread at a time */
#define QUEUE_CHUNKS 64      /* chunks in flight: bounds memory whatever the input size */
#define PENDING_DICT_ID (-1) /* trained by the parsing thread, not saved yet */
#define INPUT_WAIT_MS 20              /* beside another writer: input this late, the batch commits */
/* Training on 16 MB of agent logs took 1.1 s of CPU, serial (more than parsing
 * 200 MB): an import samples at most 4 MB (2,000 small logs still fit). */
#define IMPORT_TRAIN_MAX_BYTES (4 << 20)

struct tg_ingest {
    struct tg_store *store;
    const struct tg_pricing *pricing;
    struct tg_ingest_options options;
    tg_ingest_reject_fn on_reject;
    void *ctx;
    bool in_batch;
    int64_t batch_started_ms;     /* monotonic */
    size_t pending;               /* logs in the open batch */
    struct tg_ingest_counts done; /* committed */
    struct tg_ingest_counts open; /* in the open batch */
};

struct tg_ingest *tg_ingest_new(struct tg_store *store, const struct tg_pricing *pricing,
                                const struct tg_ingest_options *options, tg_ingest_reject_fn on_reject,
                                void *ctx)
{
    tg_json_arena_install(); /* before the parsing threads exist */
    struct tg_ingest *ingest = calloc(1, sizeof *ingest);
    if (!ingest)
        return NULL;
    ingest->store = store;
    ingest->pricing = pricing;
    if (options)
        ingest->options = *options;
    if (!ingest->options.batch_size)
        ingest->options.batch_size = DEFAULT_BATCH;
    ingest->on_reject = on_reject;
    ingest->ctx = ctx;
    return ingest;
}

void tg_ingest_free(struct tg_ingest *ingest)
{
    if (!ingest)
        return;
    if (ingest->in_batch)
        tg_store_rollback(ingest->store);
    free(ingest);
}

static int commit(struct tg_ingest *ingest, char *err, size_t errlen)
{
    if (!ingest->in_batch)
        return 0;
    ingest->in_batch = false;
    if (tg_store_commit(ingest->store, err, errlen) != 0) {
        ingest->open.imported = ingest->open.duplicates = 0;
        ingest->pending = 0;
        return -1;
    }
    ingest->done.imported += ingest->open.imported;
    ingest->done.duplicates += ingest->open.duplicates;
    ingest->open.imported = ingest->open.duplicates = 0;
    ingest->pending = 0;
    return 0;
}

static void reject(struct tg_ingest *ingest, long where, const struct tg_log_error *error)
{
    ingest->done.rejected++;
    if (ingest->on_reject)
        ingest->on_reject(ingest->ctx, where, error);
}

static int ensure_batch(struct tg_ingest *ingest, char *err, size_t errlen)
{
    if (ingest->in_batch)
        return 0;
    if (tg_store_begin(ingest->store, err, errlen) != 0)
        return -1;
    ingest->in_batch = true;
    ingest->batch_started_ms = tg_monotonic_us() / 1000;
    return 0;
}

/* Beside another writer (a running collector), a batch ends once it has held
 * the write lock for a slice (see tg_store_shares_writes); every 16 logs. */
static bool slice_over(struct tg_ingest *ingest)
{
    return ingest->pending % 16 == 0 && tg_monotonic_us() / 1000 - ingest->batch_started_ms >= TG_STORE_SLICE_MS &&
           tg_store_shares_writes(ingest->store);
}

static int store_log(struct tg_ingest *ingest, struct tg_log *log, char *err, size_t errlen)
{
    tg_pricing_price_log(ingest->pricing, log);
    if (ensure_batch(ingest, err, errlen) != 0)
        return -1;
    bool inserted;
    if (tg_store_add(ingest->store, log, &inserted, err, errlen) != 0) {
        tg_store_rollback(ingest->store);
        ingest->in_batch = false;
        ingest->open.imported = ingest->open.duplicates = 0;
        ingest->pending = 0;
        return -1;
    }
    if (inserted)
        ingest->open.imported++;
    else
        ingest->open.duplicates++;
    ingest->pending++;
    if (!ingest->options.strict && ingest->pending >= ingest->options.batch_size)
        return commit(ingest, err, errlen);
    if (ingest->options.strict || !slice_over(ingest))
        return 0;
    int rc = commit(ingest, err, errlen);
    usleep(TG_STORE_YIELD_MS * 1000);
    return rc;
}

static struct tg_log_parse_options parse_options(const struct tg_ingest *ingest)
{
    /* files keep the content hash as the id of a log without one: importing a
     * file again stores nothing new */
    struct tg_log_parse_options o = {
        .default_ts_ms = ingest->options.default_ts_ms, .redact = ingest->options.redact, .no_content_id = false};
    return o;
}

int tg_ingest_text(struct tg_ingest *ingest, const char *text, size_t len, long where, char *err,
                   size_t errlen)
{
    struct tg_log_parse_options opt = parse_options(ingest);
    struct tg_log log;
    struct tg_log_error error;
    if (tg_log_parse_text(text, len, &opt, &log, &error) != 0) {
        reject(ingest, where, &error);
        return 0;
    }
    int rc = store_log(ingest, &log, err, errlen);
    tg_log_free(&log);
    return rc;
}

int tg_ingest_object(struct tg_ingest *ingest, const cJSON *obj, long where, char *err, size_t errlen)
{
    struct tg_log_parse_options opt = parse_options(ingest);
    struct tg_log log;
    struct tg_log_error error;
    if (tg_log_parse_object(obj, NULL, 0, &opt, &log, &error) != 0) {
        reject(ingest, where, &error);
        return 0;
    }
    int rc = store_log(ingest, &log, err, errlen);
    tg_log_free(&log);
    return rc;
}

static bool blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    }
    return true;
}

static int read_rest(FILE *in, char **buf, size_t *len, char *err, size_t errlen)
{
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, in)) > 0) {
        char *p = realloc(*buf, *len + n + 1);
        if (!p) {
            snprintf(err, errlen, "out of memory reading the input");
            return -1;
        }
        *buf = p;
        memcpy(*buf + *len, chunk, n);
        *len += n;
        (*buf)[*len] = '\0';
    }
    if (ferror(in)) {
        snprintf(err, errlen, "read error");
        return -1;
    }
    return 0;
}

/* JSON Lines already in memory, numbered from line 1. */
static int ingest_lines(struct tg_ingest *ingest, const char *text, size_t len, char *err, size_t errlen)
{
    long lineno = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl + 1 : end;
        lineno++;
        if (!blank(p, (size_t)(stop - p))) {
            int rc = tg_ingest_text(ingest, p, (size_t)(stop - p), lineno, err, errlen);
            if (rc != 0)
                return rc;
        }
        p = stop;
    }
    return 0;
}

struct element_ctx {
    struct tg_ingest *ingest;
    char *err;
    size_t errlen;
};

static int ingest_element(void *ctx, const char *text, size_t len, long index)
{
    struct element_ctx *e = ctx;
    return tg_ingest_text(e->ingest, text, len, index + 1, e->err, e->errlen) != 0 ? 1 : 0;
}

/* A whole document: one log object, or an array of them (each element keeps
 * its exact text). Text that is neither is taken as JSON Lines, so each bad
 * line is named. */
static int ingest_document(struct tg_ingest *ingest, const char *text, size_t len, char *err, size_t errlen)
{
    size_t at;
    struct element_ctx e = {ingest, err, errlen};
    int rc = tg_json_split_array(text, len, ingest_element, &e, &at);
    if (rc > 0)
        return -1; /* the store failed: err says why */
    if (rc == 0)
        return 0;
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (i < len && text[i] == '[') { /* an array, broken: say where */
        struct tg_log_error error = {.kind = TG_LOG_ERROR_INVALID_JSON};
        snprintf(error.message, sizeof error.message, "invalid JSON array near byte %zu", at + 1);
        reject(ingest, 1, &error);
        return 0;
    }
    cJSON *doc = cJSON_ParseWithLength(text, len);
    bool one_object = doc != NULL;
    cJSON_Delete(doc);
    return one_object ? tg_ingest_text(ingest, text, len, 1, err, errlen) : ingest_lines(ingest, text, len, err, errlen);
}

/* Skips leading whitespace, counting the lines it skips. */
static int first_meaningful_char(FILE *in, long *skipped_lines)
{
    int c;
    while ((c = getc(in)) != EOF) {
        if (c == '\n')
            (*skipped_lines)++;
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            ungetc(c, in);
            return c;
        }
    }
    return EOF;
}

/* A line that is not a complete JSON value at the start of the input means a
 * pretty-printed document, not JSON Lines. */
static bool is_document_start(const char *line, size_t len)
{
    cJSON *probe = cJSON_ParseWithLength(line, len);
    cJSON_Delete(probe);
    return probe == NULL;
}

/* JSON Lines are parsed, checked and compressed by PARSE_WORKERS threads while
 * this one writes to SQLite, so every core has work. Each worker reads a chunk
 * of lines under a lock (numbering it), parses it outside the lock, and puts it
 * in a reorder window; the writer takes chunks strictly in order, so
 * rejections come in line order, and the window bounds memory. */
#define PARSE_WORKERS 2
/* Messages a worker remembers compressing, so a conversation resent turn
 * after turn is compressed once (the store finds the rest by digest). */
#define SENT_WINDOW 65536

struct parsed_line {
    long line;
    bool ok;
    struct tg_log log;
    struct tg_log_error error;
};

struct chunk {
    struct chunk *next_spent; /* on its parser's list once written */
    int parser;               /* which worker allocated it, and so frees it */
    size_t count;
    void *new_dict; /* trained on the lines before this chunk; this and later chunks use it */
    size_t new_dict_len;
    struct parsed_line items[CHUNK_ITEMS];
};

struct pipeline {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    /* under mu: input */
    FILE *in;
    long lineno;
    uint64_t next_read; /* sequence number of the next chunk read */
    bool eof, read_error;
    char *line;         /* getline's buffer */
    size_t line_cap;
    struct tg_body_trainer trainer; /* the first lines of a db without a dictionary */
    size_t sampled;                 /* bytes of lines given to the trainer */
    void *trained;      /* a dictionary trained by this import */
    const void *dict;   /* the dictionary to compress with: trained, or the store's */
    size_t dict_len;
    int64_t dict_id;    /* PENDING_DICT_ID until the writer saves it */
    unsigned dict_generation;
    /* under mu: output */
    struct chunk *window[QUEUE_CHUNKS]; /* chunk seq lives at seq % QUEUE_CHUNKS */
    /* Written chunks go back to the worker that parsed them: freed by another
     * thread, the logs' memory went back to a foreign malloc arena under its
     * lock, which took the writer 15% of its time. */
    struct chunk *spent[PARSE_WORKERS];
    uint64_t next_write;                /* the seq the writer wants next */
    int workers_running;
    bool cancel;
    struct tg_log_parse_options options;
};

struct worker {
    struct pipeline *p;
    int index;
    struct tg_body_codec *codec;
    struct tg_msgcache *sent; /* messages this worker compressed already */
    unsigned dict_generation;
    char *text; /* the chunk's lines, copied out of the reader */
    size_t text_cap;
    size_t offsets[CHUNK_ITEMS + 1];
    long lines[CHUNK_ITEMS];
};

static void free_chunk(struct chunk *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->count; i++)
        tg_log_free(&c->items[i].log);
    free(c->new_dict);
    free(c);
}

static void free_chunks(struct chunk *c)
{
    while (c) {
        struct chunk *next = c->next_spent;
        free_chunk(c);
        c = next;
    }
}

/* Under mu, at a chunk boundary: trains once enough lines are in (others wait). */
static void train_when_ready(struct pipeline *p, struct chunk *c)
{
    if (p->trainer.done || (!tg_body_trainer_ready(&p->trainer) && p->sampled < IMPORT_TRAIN_MAX_BYTES))
        return;
    void *dict = NULL;
    size_t len;
    if (tg_body_trainer_train(&p->trainer, &dict, &len) == 0 && /* one try per import */
        (c->new_dict = malloc(len)) != NULL) {
        memcpy(c->new_dict, dict, len); /* the writer's copy, freed with the chunk */
        c->new_dict_len = len;
        p->trained = dict;
        p->dict = dict;
        p->dict_len = len;
        p->dict_id = PENDING_DICT_ID;
        p->dict_generation++;
    } else
        free(dict);
}

/* Under mu: copies up to CHUNK_ITEMS non-blank lines into the worker. */
static size_t read_lines(struct pipeline *p, struct worker *w)
{
    size_t count = 0, used = 0;
    ssize_t n;
    const char *line;
    while (count < CHUNK_ITEMS && (n = getline(&p->line, &p->line_cap, p->in)) > 0) {
        line = p->line;
        p->lineno++;
        if (blank(line, (size_t)n))
            continue;
        if (used + (size_t)n > w->text_cap) {
            size_t new_cap = w->text_cap ? w->text_cap * 2 : (1 << 18);
            while (new_cap < used + (size_t)n)
                new_cap *= 2;
            char *t = realloc(w->text, new_cap);
            if (!t) {
                p->read_error = true; /* out of memory: stop rather than skip lines */
                p->eof = true;
                break;
            }
            w->text = t;
            w->text_cap = new_cap;
        }
        memcpy(w->text + used, line, (size_t)n);
        w->offsets[count] = used;
        w->lines[count] = p->lineno;
        used += (size_t)n;
        if (!p->trainer.done && p->sampled < IMPORT_TRAIN_MAX_BYTES) /* then trained at the next chunk */
            tg_body_trainer_keep(&p->trainer, line, (size_t)n), p->sampled += (size_t)n;
        count++;
    }
    w->offsets[count] = used;
    if (count < CHUNK_ITEMS) {
        p->eof = true;
        p->read_error = p->read_error || ferror(p->in) != 0;
    }
    return count;
}

static void parse_chunk(struct worker *w, struct chunk *c, size_t count, int64_t dict_id)
{
    for (size_t i = 0; i < count; i++) {
        struct parsed_line *item = &c->items[c->count++];
        const char *text = w->text + w->offsets[i];
        size_t len = w->offsets[i + 1] - w->offsets[i];
        item->line = w->lines[i];
        item->ok = tg_log_parse_text(text, len, &w->p->options, &item->log, &item->error) == 0;
        if (!item->ok)
            continue;
        char err[128];
        if (tg_body_prepare_log(w->codec, w->sent, true, &item->log, &item->log.body, err, sizeof err) == 0)
            item->log.body->dict_id = dict_id;
        else
            item->log.body = NULL; /* the store compresses it then */
    }
}

/* Under mu: waits for room in the reorder window, then places the chunk. */
static bool place_chunk(struct pipeline *p, uint64_t seq, struct chunk *c)
{
    while (seq >= p->next_write + QUEUE_CHUNKS && !p->cancel)
        pthread_cond_wait(&p->changed, &p->mu);
    if (p->cancel)
        return false;
    p->window[seq % QUEUE_CHUNKS] = c;
    pthread_cond_broadcast(&p->changed);
    return true;
}

static void *parse_worker(void *arg)
{
    struct worker *w = arg;
    struct pipeline *p = w->p;
    pthread_mutex_lock(&p->mu);
    while (!p->eof && !p->cancel) {
        struct chunk *spent = p->spent[w->index];
        p->spent[w->index] = NULL;
        if (spent) {
            pthread_mutex_unlock(&p->mu);
            free_chunks(spent);
            pthread_mutex_lock(&p->mu);
            continue; /* the input may have moved on meanwhile */
        }
        struct chunk *c = calloc(1, sizeof *c);
        if (!c)
            break;
        c->parser = w->index;
        train_when_ready(p, c);
        uint64_t seq = p->next_read++;
        size_t count = read_lines(p, w);
        if (p->dict_generation != w->dict_generation) {
            tg_body_codec_set_dict(w->codec, p->dict, p->dict_len, p->dict_id);
            w->dict_generation = p->dict_generation;
        }
        int64_t dict_id = p->dict ? p->dict_id : 0;
        pthread_mutex_unlock(&p->mu);
        parse_chunk(w, c, count, dict_id);
        pthread_mutex_lock(&p->mu);
        if (!place_chunk(p, seq, c)) {
            free_chunk(c);
            break;
        }
    }
    p->workers_running--;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* The writer's side: hands back the chunk it has written and takes the next
 * one in order, or NULL when all are done. With wait_ms >= 0, at most that
 * long, then *timed_out and what it still holds: NULL, or `written` when it
 * could not take the lock (a parser training the dictionary holds it). */
static struct chunk *next_chunk(struct pipeline *p, struct chunk *written, int wait_ms, bool *timed_out)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    int64_t ns = until.tv_nsec + (int64_t)(wait_ms > 0 ? wait_ms : 0) * 1000000;
    until.tv_sec += (time_t)(ns / 1000000000), until.tv_nsec = (long)(ns % 1000000000);
    *timed_out = false;
    if (wait_ms < 0)
        pthread_mutex_lock(&p->mu);
    else if ((*timed_out = pthread_mutex_timedlock(&p->mu, &until) != 0))
        return written;
    if (written) {
        written->next_spent = p->spent[written->parser];
        p->spent[written->parser] = written;
    }
    struct chunk *c;
    for (;;) {
        c = p->window[p->next_write % QUEUE_CHUNKS];
        if (c || (p->workers_running == 0 && p->next_write >= p->next_read))
            break;
        if (wait_ms < 0)
            pthread_cond_wait(&p->changed, &p->mu);
        else if ((*timed_out = pthread_cond_timedwait(&p->changed, &p->mu, &until) != 0))
            break;
    }
    if (c) {
        p->window[p->next_write % QUEUE_CHUNKS] = NULL;
        p->next_write++;
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->mu);
    return c;
}

static int consume_chunk(struct tg_ingest *ingest, struct chunk *c, int64_t *trained_id, char *err,
                         size_t errlen)
{
    if (c->new_dict) {
        if (ensure_batch(ingest, err, errlen) != 0 ||
            tg_store_save_body_dict(ingest->store, c->new_dict, c->new_dict_len, trained_id, err, errlen) != 0)
            return -1;
    }
    for (size_t i = 0; i < c->count; i++) {
        struct parsed_line *item = &c->items[i];
        if (!item->ok) {
            reject(ingest, item->line, &item->error);
            continue;
        }
        if (item->log.body && item->log.body->dict_id == PENDING_DICT_ID)
            item->log.body->dict_id = *trained_id;
        if (store_log(ingest, &item->log, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static void stop_workers(struct pipeline *p, pthread_t *threads, int started)
{
    pthread_mutex_lock(&p->mu);
    p->cancel = true; /* on a store error, the readers stop where they are */
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < QUEUE_CHUNKS; i++)
        free_chunk(p->window[i]);
    for (int i = 0; i < PARSE_WORKERS; i++)
        free_chunks(p->spent[i]);
}

static int ingest_lines_threaded(struct tg_ingest *ingest, FILE *in, long lineno, char *err, size_t errlen)
{
    struct pipeline p = {.in = in, .lineno = lineno, .options = parse_options(ingest)};
    const void *dict;
    size_t dict_len;
    int64_t dict_id, trained_id = 0;
    if (tg_store_body_dict(ingest->store, &dict, &dict_len, &dict_id) == 1) {
        p.dict = dict; /* the store keeps it alive for the whole import */
        p.dict_len = dict_len;
        p.dict_id = dict_id;
        p.dict_generation = 1;
        tg_body_trainer_stop(&p.trainer);
    }
    tg_store_train_bodies(ingest->store, false); /* the workers train one */
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.changed, NULL);
    struct worker workers[PARSE_WORKERS] = {{0}};
    pthread_t threads[PARSE_WORKERS];
    int started = 0, rc = 0;
    /* A worker with little to read can finish and decrement workers_running
     * before the next one is counted: counted without the lock, that decrement
     * was lost now and then and next_chunk waited forever (found by
     * fuzz_import). The workers start by taking the lock, so they wait here. */
    pthread_mutex_lock(&p.mu);
    for (int i = 0; i < PARSE_WORKERS && rc == 0; i++) {
        workers[i].p = &p;
        workers[i].index = i;
        workers[i].codec = tg_body_codec_new();
        workers[i].sent = tg_msgcache_new(SENT_WINDOW);
        p.workers_running++;
        if (!workers[i].codec || !workers[i].sent || pthread_create(&threads[i], NULL, parse_worker, &workers[i]) != 0) {
            p.workers_running--;
            snprintf(err, errlen, "cannot start the parsing threads");
            rc = -1;
            break;
        }
        started++;
    }
    pthread_mutex_unlock(&p.mu);
    struct chunk *c = NULL;
    while (rc == 0) {
        /* beside another writer, the write lock is not held while the
         * parsers catch up (training the body dictionary takes a second) */
        bool may_yield = ingest->in_batch && !ingest->options.strict, timed_out;
        c = next_chunk(&p, c, may_yield ? INPUT_WAIT_MS : -1, &timed_out);
        if (timed_out)
            rc = tg_store_shares_writes(ingest->store) ? commit(ingest, err, errlen) : 0;
        else if (!c)
            break;
        else
            rc = consume_chunk(ingest, c, &trained_id, err, errlen);
    }
    free_chunk(c); /* the one a store error stopped at */
    stop_workers(&p, threads, started);
    if (rc == 0 && p.read_error) {
        snprintf(err, errlen, "read error after line %ld", p.lineno);
        rc = -1;
    }
    for (int i = 0; i < PARSE_WORKERS; i++) {
        tg_body_codec_free(workers[i].codec);
        tg_msgcache_free(workers[i].sent);
        free(workers[i].text);
    }
    tg_body_trainer_stop(&p.trainer);
    free(p.trained);
    free(p.line);
    tg_store_train_bodies(ingest->store, true);
    pthread_cond_destroy(&p.changed);
    pthread_mutex_destroy(&p.mu);
    return rc;
}

int tg_ingest_stream(struct tg_ingest *ingest, FILE *in, char *err, size_t errlen)
{
    long skipped = 0;
    int c = first_meaningful_char(in, &skipped);
    if (c == EOF)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    if (c != '[') {
        ssize_t n = getline(&line, &cap, in);
        if (n > 0 && !is_document_start(line, (size_t)n)) {
            rc = tg_ingest_text(ingest, line, (size_t)n, skipped + 1, err, errlen);
            free(line);
            return rc == 0 ? ingest_lines_threaded(ingest, in, skipped + 1, err, errlen) : rc;
        }
    }
    /* a JSON array, or a document spread over several lines */
    size_t len = line ? strlen(line) : 0;
    if (read_rest(in, &line, &len, err, errlen) != 0) {
        free(line);
        return -1;
    }
    rc = ingest_document(ingest, line ? line : "", len, err, errlen);
    free(line);
    return rc;
}

int tg_ingest_finish(struct tg_ingest *ingest, char *err, size_t errlen)
{
    if (ingest->options.strict && ingest->done.rejected > 0) {
        if (ingest->in_batch)
            tg_store_rollback(ingest->store);
        ingest->in_batch = false;
        ingest->open.imported = ingest->open.duplicates = 0;
        snprintf(err, errlen, "%ld log%s rejected in strict mode: nothing was stored", ingest->done.rejected,
                 ingest->done.rejected == 1 ? "" : "s");
        return -1;
    }
    return commit(ingest, err, errlen);
}

struct tg_ingest_counts tg_ingest_counts(const struct tg_ingest *ingest)
{
    return ingest->done;
}
