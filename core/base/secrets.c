#include "base/secrets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

int tg_secret_file_private(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen, "%s holds secrets but is mode %03o: make it private with chmod 600 %s", path,
                 (unsigned)(st.st_mode & 0777), path);
        return -1;
    }
    return 0;
}

int tg_tokens_add(struct tg_tokens *tokens, const char *token)
{
    char **items = realloc(tokens->items, (tokens->count + 1) * sizeof *items);
    if (!items)
        return -1;
    tokens->items = items;
    if (!(items[tokens->count] = strdup(token)))
        return -1;
    tokens->count++;
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

int tg_tokens_load_file(struct tg_tokens *tokens, const char *path, char *err, size_t errlen)
{
    if (tg_secret_file_private(path, err, errlen) != 0)
        return -1;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    size_t before = tokens->count;
    while (getline(&line, &cap, f) > 0) {
        char *t = trim(line);
        if (*t == '\0' || *t == '#')
            continue;
        if (tg_tokens_add(tokens, t) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
    }
    free(line);
    fclose(f);
    if (rc == 0 && tokens->count == before) {
        snprintf(err, errlen, "%s holds no token", path);
        rc = -1;
    }
    return rc;
}

void tg_tokens_free(struct tg_tokens *tokens)
{
    for (size_t i = 0; i < tokens->count; i++) {
        OPENSSL_cleanse(tokens->items[i], strlen(tokens->items[i]));
        free(tokens->items[i]);
    }
    free(tokens->items);
    tokens->items = NULL;
    tokens->count = 0;
}

/* Comparing digests makes the comparison independent of the lengths too. */
static void digest(const char *s, unsigned char out[32])
{
    unsigned int n = 0;
    EVP_Digest(s, strlen(s), out, &n, EVP_sha256(), NULL);
}

bool tg_tokens_match(const struct tg_tokens *tokens, const char *presented)
{
    unsigned char want[32], got[32];
    digest(presented, got);
    bool match = false;
    for (size_t i = 0; i < tokens->count; i++) {
        digest(tokens->items[i], want);
        match |= CRYPTO_memcmp(want, got, sizeof got) == 0; /* no early exit */
    }
    return match;
}

void tg_secret_mask(const char *secret, char *out, size_t len)
{
    size_t n = secret ? strlen(secret) : 0;
    if (n == 0) {
        snprintf(out, len, "(none)");
        return;
    }
    size_t head = n >= 20 ? 6 : n / 4, tail = n >= 20 ? 4 : n / 4;
    snprintf(out, len, "%.*s…%.*s", (int)head, secret, (int)tail, secret + n - tail);
}
