/* libFuzzer target: any file given to `tollgate import`, read by the same code
 * (tg_ingest_stream: JSON Lines, a JSON array or one object, then commit) into
 * a real store in a temporary directory. Every input must end with logs stored
 * or rejected with a reason, never a crash, a leak or undefined behaviour.
 *
 * Opening a store costs milliseconds, so one store serves RESET_EVERY inputs
 * (enough for the body dictionary to be trained now and then) and is then
 * replaced by an empty one. An input that fails only after others is still
 * caught; replay it alone with the binary to see whether it needs them. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/ingest.h"
#include "log/pricing.h"
#include "store/store.h"

#define RESET_EVERY 4096

static char dir[64], db_path[128];
static struct tg_pricing *pricing;
static struct tg_store *store;
static unsigned inputs;

static void remove_db(void)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char path[160];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(path, sizeof path, "%s%s", db_path, suffix[i]);
        unlink(path);
    }
}

static void fresh_store(void)
{
    char err[256];
    tg_store_close(store);
    remove_db();
    if (tg_store_open(db_path, 0, &store, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_import: cannot open %s: %s\n", db_path, err);
        abort();
    }
}

static void clean_up(void)
{
    tg_store_close(store);
    store = NULL;
    remove_db();
    rmdir(dir);
    tg_pricing_free(pricing);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256];
    snprintf(dir, sizeof dir, "%s", access("/dev/shm", W_OK) == 0 ? "/dev/shm/tg-fuzz-XXXXXX" : "/tmp/tg-fuzz-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(db_path, sizeof db_path, "%s/import.db", dir);
    pricing = tg_pricing_new();
    if (!pricing || tg_pricing_merge_builtin(pricing, err, sizeof err) != 0)
        abort();
    fresh_store();
    atexit(clean_up);
    return 0;
}

static void on_reject(void *ctx, long where, const struct tg_log_error *error)
{
    (void)ctx;
    if (where < 1 || !error->message[0]) /* a rejection says where and why */
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (++inputs % RESET_EVERY == 0)
        fresh_store();
    FILE *in = fmemopen((void *)data, size, "r");
    if (!in)
        return 0;
    struct tg_ingest_options options = {0};
    struct tg_ingest *ingest = tg_ingest_new(store, pricing, &options, on_reject, NULL);
    if (!ingest)
        abort();
    char err[512] = "";
    if (tg_ingest_stream(ingest, in, err, sizeof err) == 0)
        tg_ingest_finish(ingest, err, sizeof err);
    struct tg_ingest_counts counts = tg_ingest_counts(ingest);
    if (counts.imported < 0 || counts.duplicates < 0 || counts.rejected < 0)
        abort();
    tg_ingest_free(ingest);
    fclose(in);
    return 0;
}
