/* Latency histograms: per-hour rollups keep one so p50 / p95 over any window are
 * answered without reading raw requests. 64 log-spaced buckets, a quarter
 * octave wide from 10 ms: a percentile is exact to within +-9%. */
#ifndef TG_LATENCY_H
#define TG_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#define TG_LATENCY_BUCKETS 64

struct tg_latency_hist {
    uint32_t count[TG_LATENCY_BUCKETS];
};

int tg_latency_bucket(int64_t latency_ms);
void tg_latency_add(struct tg_latency_hist *h, int64_t latency_ms);
void tg_latency_merge(struct tg_latency_hist *into, const struct tg_latency_hist *from);

/* Serialised form kept in SQLite, one per rollup row: a tag byte, then for
 * each bucket that counted anything its index and its count as a varint. An
 * hour of one developer's key and model holds a few requests in a few
 * buckets, so this is ~5-20 bytes where the fixed form (a little-endian
 * uint32 per bucket, TG_LATENCY_LEGACY_SIZE bytes, written before) took 256:
 * on 100,000 small logs that was 4 MB of a 6 MB hourly rollup. Blobs of the
 * fixed size are still read; a sparse one is never that long. */
#define TG_LATENCY_LEGACY_SIZE (TG_LATENCY_BUCKETS * 4)
#define TG_LATENCY_BLOB_MAX (1 + TG_LATENCY_BUCKETS * 6 + 2)
/* Writes at most TG_LATENCY_BLOB_MAX bytes; returns how many. */
size_t tg_latency_to_blob(const struct tg_latency_hist *h, unsigned char *blob);
/* Adds a blob's counts (either form) into h; returns -1 and adds nothing when
 * it is damaged. */
int tg_latency_add_blob(struct tg_latency_hist *h, const void *blob, size_t len);

/* The q-quantile (0..1) in milliseconds, interpolated within its bucket; -1 when empty. */
int64_t tg_latency_quantile_ms(const struct tg_latency_hist *h, double q);

#endif
