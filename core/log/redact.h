/* Opt-in masking of secrets that people paste into prompts (and models echo
 * in responses) before a log is stored: API keys (sk-, sk-ant-, sk-proj-),
 * AWS access key ids and labelled secret keys, GitHub tokens, private-key PEM
 * blocks, Bearer tokens and Authorization header values. Works on the log's
 * JSON text: every mask is plain ASCII without quotes or backslashes, so the
 * JSON stays valid. */
#ifndef TG_REDACT_H
#define TG_REDACT_H

#include <stddef.h>

#include "log/logmodel.h"

/* Masks secrets in text[0, len). Returns how many were masked; when any were,
 * *out is the new text (malloc'd, NUL-terminated) and *out_len its length,
 * else *out is NULL. -1 when out of memory. */
int tg_redact(const char *text, size_t len, char **out, size_t *out_len);

/* Masks the stored text of a parsed log (its raw JSON and error message) in
 * place; its id, taken from the original, is untouched, so the same log sent
 * again is still a duplicate. Returns how many secrets were masked, -1 when
 * out of memory or when the masked text would not be JSON. */
int tg_redact_log(struct tg_log *log);

#endif
