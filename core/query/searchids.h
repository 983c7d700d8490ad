/* Search for a log's own ids (schema 14): a body whose UUID log id and
 * thread id were left out of its stored bytes (log/bodyids.h) no longer shows
 * them to the search index, so text that could be (part of) a UUID, 8 to 36
 * hex digits and dashes, or 3 to 7 holding both a digit and a letter, is also
 * looked for in the rows' ids (in any case, as search folds case; the ids left
 * out are lowercase). */
#ifndef TG_SEARCHIDS_H
#define TG_SEARCHIDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Whether text is id-shaped (and so worth the scan below). */
bool tg_search_id_shaped(const char *text);

/* The ids of the requests (with ids left out of their bodies) whose log id or
 * thread id holds text, into a malloc'd *ids, sorted and unique (NULL and 0 when the text is not
 * id-shaped). A whole UUID is looked up through indexes; a piece of one
 * scans the rows. 0, or -1. */
int tg_search_id_hits(struct tg_store *store, const char *text, int64_t **ids, size_t *n);

#endif
