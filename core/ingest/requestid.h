/* Ids for logs a client posts to the collector without one of their own (no
 * unique_id, no id). The gateway treats every log-create call as a new log,
 * so the collector does too: each such log gets a fresh random id, and two
 * identical posts are two requests. A client that retries and must not
 * double sends a unique_id, or an Idempotency-Key header: then the id comes
 * from the key (and the log's position in a batch), so the retry is a
 * duplicate. Files (`import`) keep the hash of the content instead, so
 * importing a file again stores nothing new. */
#ifndef TG_REQUESTID_H
#define TG_REQUESTID_H

#include <stddef.h>

#include "log/logmodel.h"

/* The longest Idempotency-Key accepted, in bytes. */
#define TG_IDEMPOTENCY_KEY_MAX 255

/* Whether an Idempotency-Key header value is usable: 1 to 255 printable
 * ASCII characters. Returns 0, or -1 with err saying what is wrong. */
int tg_idempotency_key_check(const char *key, char *err, size_t errlen);

/* Gives log (whose log_id is NULL) its id: from idempotency_key and index
 * ("idem:" and 32 hex digits of a SHA-256) when a key is given, else a
 * fresh random UUID. Returns 0, or -1 when out of memory or no randomness. */
int tg_request_id_assign(struct tg_log *log, const char *idempotency_key, long index);

#endif
