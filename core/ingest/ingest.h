/* The one way logs enter the store: parse, check, price when the gateway gave
 * no cost, and add in batches that are committed whole or not at all. Used by
 * `import`, `demo`, and later the collector and `sync`. */
#ifndef TG_INGEST_H
#define TG_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "log/logmodel.h"
#include "log/pricing.h"
#include "store/store.h"

struct tg_ingest_options {
    bool strict;          /* one bad log rejects the whole input; nothing is stored */
    size_t batch_size;    /* logs per transaction when not strict; 0 = 500000 */
    int64_t default_ts_ms; /* for logs with no timestamp; 0 = reject them */
    bool redact;           /* mask secrets before storing (redact.h) */
};

struct tg_ingest_counts {
    long imported, duplicates, rejected;
};

/* Called for each rejected log with its line (JSON Lines) or 1-based position
 * (JSON array) and what is wrong with it. */
typedef void (*tg_ingest_reject_fn)(void *ctx, long where, const struct tg_log_error *error);

struct tg_ingest;

struct tg_ingest *tg_ingest_new(struct tg_store *store, const struct tg_pricing *pricing,
                                const struct tg_ingest_options *options, tg_ingest_reject_fn on_reject,
                                void *ctx);
/* Frees; a batch still open is rolled back. */
void tg_ingest_free(struct tg_ingest *ingest);

/* Feeds one log as JSON text / as a parsed object. A bad log is counted and
 * reported, not an error: returns -1 only when the store fails (err filled). */
int tg_ingest_text(struct tg_ingest *ingest, const char *text, size_t len, long where, char *err,
                   size_t errlen);
int tg_ingest_object(struct tg_ingest *ingest, const cJSON *obj, long where, char *err, size_t errlen);

/* Reads a whole input: JSON Lines, a JSON array of logs, or one JSON object
 * (pretty-printed or not). Arrays and single objects are read into memory; JSON
 * Lines stream. Returns -1 on read or store errors. */
int tg_ingest_stream(struct tg_ingest *ingest, FILE *in, char *err, size_t errlen);

/* Commits what is pending. In strict mode, commits only if nothing was rejected
 * (returns -1 with a message otherwise). The counts cover committed logs. */
int tg_ingest_finish(struct tg_ingest *ingest, char *err, size_t errlen);

/* Counts so far: imported and duplicates are committed ones, rejected all seen. */
struct tg_ingest_counts tg_ingest_counts(const struct tg_ingest *ingest);

#endif
