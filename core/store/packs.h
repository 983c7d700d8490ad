/* Private to core/store: the packs of new chunks being filled, compressed and
 * written (see bodies.c for the chunks themselves and store_int.h for the
 * layout). A pack fills with the new chunks of the requests stored, in id
 * order; once full it is compressed on the packer's thread (packer.h) while
 * the next one fills, and its row is written by this thread, in the open
 * transaction, once that is done, and before the commit at the latest. */
#ifndef TG_STORE_PACKS_H
#define TG_STORE_PACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_int.h"

int store_packs_init(struct tg_store *store);
void store_packs_free(struct tg_store *store);

/* Both streams of the packs begun from now on compress against the dictionary. */
int store_packs_set_dict(struct tg_store *store, const void *dict, size_t len, int64_t id);

/* Appends chunk id (the bytes request_id brought; head: a body's first chunk)
 * to the pack being filled. */
int store_packs_add(struct tg_store *store, int64_t request_id, int64_t id, const char *bytes, size_t len, bool head,
                    char *err, size_t errlen);
/* After a request whose chunks were added: raw_len bytes of traffic; ends
 * the pack when it is full. */
int store_packs_stored(struct tg_store *store, size_t raw_len, char *err, size_t errlen);
/* Ends the pack being filled now (a new dictionary begins). */
int store_packs_end(struct tg_store *store, char *err, size_t errlen);
/* First in a commit: a pack being filled that holds enough is ended and
 * compressed on the packer's thread while the commit does the rest. */
int store_packs_commit_begin(struct tg_store *store, char *err, size_t errlen);
/* Before a commit: the pack being filled flushed and every pack written. */
int store_packs_before_commit(struct tg_store *store, char *err, size_t errlen);
/* A new batch: the pack a commit left open goes on when its ids still end
 * at next_chunk_id and nothing was pruned. */
void store_packs_go_on(struct tg_store *store, bool pruned);
/* The batch rolled back: the packs it filled are gone. */
void store_packs_forget(struct tg_store *store);

#endif
