/* SHA-256 of a buffer, for chunk digests and derived log ids. OpenSSL 3's
 * EVP_sha256() is fetched from the provider again on every EVP_Digest call:
 * on 1.7 KB logs that fetch took half the hashing time (5% of a parsing
 * thread). Here the digest is fetched once per process. */
#ifndef TG_BASE_SHA256_H
#define TG_BASE_SHA256_H

#include <stddef.h>

#define TG_SHA256_LEN 32

/* 0, or -1 when OpenSSL fails (out of memory). */
int tg_sha256(const void *data, size_t len, unsigned char out[TG_SHA256_LEN]);

#endif
