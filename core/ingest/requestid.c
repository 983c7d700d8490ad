#include "ingest/requestid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

int tg_idempotency_key_check(const char *key, char *err, size_t errlen)
{
    size_t n = strlen(key);
    bool printable = true;
    for (size_t i = 0; i < n && printable; i++)
        printable = key[i] >= 0x20 && key[i] < 0x7f;
    if (n == 0 || n > TG_IDEMPOTENCY_KEY_MAX || !printable) {
        snprintf(err, errlen, "Idempotency-Key: must be 1 to %d printable ASCII characters",
                 TG_IDEMPOTENCY_KEY_MAX);
        return -1;
    }
    return 0;
}

static void hex(const unsigned char *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[i * 2] = digits[bytes[i] >> 4];
        out[i * 2 + 1] = digits[bytes[i] & 15];
    }
    out[n * 2] = '\0';
}

/* "idem:" + the first 16 bytes of SHA-256(key "\n" index), in hex. */
static int id_from_key(const char *key, long index, char *out, size_t len)
{
    char text[TG_IDEMPOTENCY_KEY_MAX + 32];
    int n = snprintf(text, sizeof text, "%s\n%ld", key, index);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (n < 0 || (size_t)n >= sizeof text || len < 5 + 33 ||
        !EVP_Digest(text, (size_t)n, digest, &digest_len, EVP_sha256(), NULL))
        return -1;
    memcpy(out, "idem:", 5);
    hex(digest, 16, out + 5);
    return 0;
}

/* A version 4 UUID, as the gateway's own ids look. */
static int fresh_uuid(char *out, size_t len)
{
    unsigned char b[16];
    char h[33];
    if (len < 37 || RAND_bytes(b, sizeof b) != 1)
        return -1;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    hex(b, sizeof b, h);
    snprintf(out, len, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
    return 0;
}

int tg_request_id_assign(struct tg_log *log, const char *idempotency_key, long index)
{
    char id[48];
    int rc = idempotency_key ? id_from_key(idempotency_key, index, id, sizeof id) : fresh_uuid(id, sizeof id);
    if (rc != 0)
        return -1;
    log->log_id = strdup(id);
    return log->log_id ? 0 : -1;
}
