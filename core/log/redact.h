/* Opt-in masking of secrets that people paste into prompts (and models echo
 * in responses) before a log is stored: API keys (sk-, sk-ant-, sk-proj-),
 * Stripe (sk_live_, rk_live_, whsec_), Slack (xox?-), Google (AIza), GitHub,
 * GitLab (glpat-), Hugging Face (hf_) and npm (npm_) tokens, AWS access key
 * ids, JWTs, private-key PEM blocks, Bearer tokens, the password in a URL
 * (postgres://user:PASSWORD@host), and the value of anything named as a
 * secret (PASSWORD=..., "client_secret": "...", Authorization: Basic ...).
 * A log's JSON strings are matched decoded, so an escape (sk\u002dproj-...)
 * hides nothing; a string holding a secret is written back whole, masked, and
 * every other byte of the log is kept as it came. */
#ifndef TG_REDACT_H
#define TG_REDACT_H

#include <stddef.h>

#include "log/logmodel.h"

/* Masks secrets in the plain text text[0, len) (an error message; not JSON:
 * escapes are not decoded). Returns how many were masked; when any were,
 * *out is the new text (malloc'd, NUL-terminated) and *out_len its length,
 * else *out is NULL. -1 when out of memory. */
int tg_redact(const char *text, size_t len, char **out, size_t *out_len);

/* Masks the stored text of a parsed log (its raw JSON and error message) in
 * place; its id, taken from the original, is untouched, so the same log sent
 * again is still a duplicate. Returns how many secrets were masked, -1 when
 * out of memory or when the masked text would not be JSON. */
int tg_redact_log(struct tg_log *log);

#endif
