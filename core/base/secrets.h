/* Secrets (ingest tokens, gateway keys): read only from files nobody else can
 * read, compared in constant time, and never shown whole. */
#ifndef TG_SECRETS_H
#define TG_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

struct tg_tokens {
    char **items;
    size_t count;
};

/* Reads tokens, one per line (blank lines and # comments skipped), from a file
 * that must not be readable or writable by group or others. Returns 0, or -1
 * with err naming the file and what is wrong. */
int tg_tokens_load_file(struct tg_tokens *tokens, const char *path, char *err, size_t errlen);

/* Adds one token (e.g. from TOLLGATE_INGEST_TOKEN). */
int tg_tokens_add(struct tg_tokens *tokens, const char *token);

void tg_tokens_free(struct tg_tokens *tokens);

/* True when presented equals one of the tokens; the time taken does not depend
 * on where, or whether, they differ. */
bool tg_tokens_match(const struct tg_tokens *tokens, const char *presented);

/* "sk-abc…wxyz": at most the first 6 and last 4 characters, never more than
 * half of a short secret. */
void tg_secret_mask(const char *secret, char *out, size_t len);

/* -1 with err when a file holding secrets is readable or writable by others. */
int tg_secret_file_private(const char *path, char *err, size_t errlen);

#endif
