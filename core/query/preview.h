/* One line of what a request asked: its last user message, sanitised, with
 * runs of white space (newlines included) as one space, for a list column. */
#ifndef TG_PREVIEW_H
#define TG_PREVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Fills buf (at most len bytes, cut on a character boundary) and returns 0;
 * -1 when the request has no body or no user message (buf is ""). */
int tg_request_preview(struct tg_store *store, int64_t request_id, char *buf, size_t len);

#endif
