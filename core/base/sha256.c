#include "base/sha256.h"

#include <pthread.h>

#include <openssl/evp.h>

static EVP_MD *sha256_md; /* set once, kept for the process's life */
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int tg_sha256(const void *data, size_t len, unsigned char out[TG_SHA256_LEN])
{
    pthread_once(&sha256_once, fetch_sha256);
    unsigned int n = 0;
    const EVP_MD *md = sha256_md ? sha256_md : EVP_sha256();
    return EVP_Digest(data, len, out, &n, md, NULL) == 1 && n == TG_SHA256_LEN ? 0 : -1;
}
