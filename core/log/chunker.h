/* Content-defined chunking (FastCDC: a gear rolling hash with normalized
 * chunk sizes). A cut falls where the hash of the last 64 bytes matches a
 * mask, so it depends only on nearby bytes: text inserted or changed in one
 * place moves the cuts around it and no others, and the same run of bytes
 * (a tools block, a system prompt, a file resent in a later request) is cut
 * the same way wherever it appears in a log. The store keeps each distinct
 * chunk once (see body.h). */
#ifndef TG_CHUNKER_H
#define TG_CHUNKER_H

#include <stddef.h>

/* Chunk sizes: no cut before MIN bytes, one forced at MAX; about AVG on
 * average. Small enough that an edit re-stores little around it, big enough
 * that a 120 KB log is ~100 references. */
#define TG_CHUNK_MIN 256
/* Before an object in a JSON array (see chunker.c), a chunk may end from
 * this many bytes on. */
#define TG_CHUNK_ANCHOR_MIN 128
#define TG_CHUNK_AVG 1024
#define TG_CHUNK_MAX 8192

/* The length of the first chunk of data (len when len <= TG_CHUNK_ANCHOR_MIN). */
size_t tg_chunk_next(const unsigned char *data, size_t len);

/* Cuts data into chunks: writes the end offset of each (the last is len) into
 * ends, at most max of them, and returns their count (0 for empty data). When
 * max is too small, the last chunk written ends at len all the same. */
size_t tg_chunk_cuts(const void *data, size_t len, size_t *ends, size_t max);

/* Upper bound on the chunks of len bytes. */
#define TG_CHUNK_COUNT_BOUND(len) ((len) / TG_CHUNK_ANCHOR_MIN + 1)

#endif
