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

#define SPARSE_TAG 0x53

static size_t put_varint(unsigned char *out, uint32_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (unsigned char)v;
    return n;
}

size_t tg_latency_to_blob(const struct tg_latency_hist *h, unsigned char *blob)
{
    size_t n = 0;
    blob[n++] = SPARSE_TAG;
    for (int i = 0; i < TG_LATENCY_BUCKETS; i++) {
        if (!h->count[i])
            continue;
        blob[n++] = (unsigned char)i;
        n += put_varint(blob + n, h->count[i]);
    }
    if (n == TG_LATENCY_LEGACY_SIZE) { /* would read as the fixed form: add an empty entry */
        blob[n++] = 0;
        blob[n++] = 0;
    }
    return n;
}

static int add_legacy(struct tg_latency_hist *h, const unsigned char *b)
{
    for (int i = 0; i < TG_LATENCY_BUCKETS; i++)
        h->count[i] += (uint32_t)b[i * 4] | (uint32_t)b[i * 4 + 1] << 8 | (uint32_t)b[i * 4 + 2] << 16 |
                       (uint32_t)b[i * 4 + 3] << 24;
    return 0;
}

/* Reads a varint of at most 32 bits at *pos; -1 when cut short or too long. */
static int get_varint(const unsigned char *b, size_t len, size_t *pos, uint32_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift <= 28 && *pos < len; shift += 7) {
        unsigned char c = b[(*pos)++];
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            if (x > UINT32_MAX)
                return -1;
            *v = (uint32_t)x;
            return 0;
        }
    }
    return -1;
}

int tg_latency_add_blob(struct tg_latency_hist *h, const void *blob, size_t len)
{
    const unsigned char *b = blob;
    if (len == TG_LATENCY_LEGACY_SIZE)
        return add_legacy(h, b);
    if (len < 1 || b[0] != SPARSE_TAG)
        return -1;
    struct tg_latency_hist add = {{0}};
    for (size_t pos = 1; pos < len;) {
        unsigned bucket = b[pos++];
        uint32_t count;
        if (bucket >= TG_LATENCY_BUCKETS || get_varint(b, len, &pos, &count) != 0)
            return -1;
        add.count[bucket] += count;
    }
    tg_latency_merge(h, &add);
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
