#include "base/latency.h"

#include <math.h>
#include <string.h>

#define FIRST_BOUND_MS 10.0

int tg_latency_bucket(int64_t latency_ms)
{
    if (latency_ms < (int64_t)FIRST_BOUND_MS)
        return 0;
    int b = 1 + (int)floor(4.0 * log2((double)latency_ms / FIRST_BOUND_MS));
    return b >= TG_LATENCY_BUCKETS ? TG_LATENCY_BUCKETS - 1 : b;
}

void tg_latency_add(struct tg_latency_hist *h, int64_t latency_ms)
{
    if (latency_ms < 0)
        return;
    h->count[tg_latency_bucket(latency_ms)]++;
}

void tg_latency_merge(struct tg_latency_hist *into, const struct tg_latency_hist *from)
{
    for (int i = 0; i < TG_LATENCY_BUCKETS; i++)
        into->count[i] += from->count[i];
}

void tg_latency_to_blob(const struct tg_latency_hist *h, unsigned char *blob)
{
    for (int i = 0; i < TG_LATENCY_BUCKETS; i++) {
        uint32_t v = h->count[i];
        blob[i * 4] = (unsigned char)v;
        blob[i * 4 + 1] = (unsigned char)(v >> 8);
        blob[i * 4 + 2] = (unsigned char)(v >> 16);
        blob[i * 4 + 3] = (unsigned char)(v >> 24);
    }
}

int tg_latency_add_blob(struct tg_latency_hist *h, const void *blob, size_t len)
{
    if (len != TG_LATENCY_BLOB_SIZE)
        return -1;
    const unsigned char *b = blob;
    for (int i = 0; i < TG_LATENCY_BUCKETS; i++)
        h->count[i] += (uint32_t)b[i * 4] | (uint32_t)b[i * 4 + 1] << 8 |
                       (uint32_t)b[i * 4 + 2] << 16 | (uint32_t)b[i * 4 + 3] << 24;
    return 0;
}

static double bucket_low_ms(int b)
{
    return b == 0 ? 0.0 : FIRST_BOUND_MS * exp2((double)(b - 1) / 4.0);
}

/* Within the bucket holding the rank, values are taken as spread evenly on a
 * log scale, so quantiles move smoothly instead of jumping bucket to bucket. */
int64_t tg_latency_quantile_ms(const struct tg_latency_hist *h, double q)
{
    uint64_t total = 0;
    for (int i = 0; i < TG_LATENCY_BUCKETS; i++)
        total += h->count[i];
    if (total == 0)
        return -1;
    double rank = q * (double)total; /* how many values lie below the quantile */
    uint64_t seen = 0;
    for (int b = 0; b < TG_LATENCY_BUCKETS; b++) {
        if (h->count[b] == 0 || (double)(seen + h->count[b]) < rank) {
            seen += h->count[b];
            continue;
        }
        double f = (rank - (double)seen) / (double)h->count[b]; /* 0..1 through the bucket */
        if (b == 0)
            return (int64_t)llround(FIRST_BOUND_MS * f);
        double low = bucket_low_ms(b), high = low * exp2(0.25);
        return (int64_t)llround(low * pow(high / low, f));
    }
    return (int64_t)llround(bucket_low_ms(TG_LATENCY_BUCKETS - 1));
}
