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

/* Serialised form kept in SQLite: little-endian uint32 per bucket. */
#define TG_LATENCY_BLOB_SIZE (TG_LATENCY_BUCKETS * 4)
void tg_latency_to_blob(const struct tg_latency_hist *h, unsigned char *blob);
/* Adds a blob's counts into h; blobs of another size are ignored (returns -1). */
int tg_latency_add_blob(struct tg_latency_hist *h, const void *blob, size_t len);

/* The q-quantile (0..1) in milliseconds, interpolated within its bucket; -1 when empty. */
int64_t tg_latency_quantile_ms(const struct tg_latency_hist *h, double q);

#endif
