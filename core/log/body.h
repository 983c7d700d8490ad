/* Stored bodies: cutting logs into content-defined chunks, digesting them,
 * compressing the new ones with zstd (packs, streamed; see below), with a
 * dictionary trained on the db's own logs once there are enough of them (the
 * start of each frame, and small logs, compress better against their common
 * shape), and the varint encodings of references. A codec holds one
 * compression context, so each thread that compresses owns one. */
#ifndef TG_BODY_H
#define TG_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log/bodyids.h"
#include "log/chunker.h"
#include "log/msgcache.h"

/* A dictionary is trained once a db has this many logs (or bytes of them). */
#define TG_BODY_TRAIN_SAMPLES 2000
#define TG_BODY_TRAIN_MAX_BYTES (4 << 20)
#define TG_BODY_DICT_MAX_BYTES (64 << 10)

struct tg_body_codec;

struct tg_body_codec *tg_body_codec_new(void);
/* The same at other zstd levels than the default 3 and 6 (see body.c). */
struct tg_body_codec *tg_body_codec_new_at(int fast, int strong);
void tg_body_codec_free(struct tg_body_codec *codec);

/* Compresses against this dictionary from now on; bodies record dict_id. */
int tg_body_codec_set_dict(struct tg_body_codec *codec, const void *dict, size_t len, int64_t dict_id);
/* Compresses harder (slower) from the next frame on, or back to fast: worth
 * it where few bytes are new. Between frames only. 0, or -1. */
int tg_body_codec_set_strong(struct tg_body_codec *codec, bool strong);
/* The dictionary in use: 0 when none. */
int64_t tg_body_codec_dict_id(const struct tg_body_codec *codec);

/* Compresses raw into a new buffer (*out, malloc'd). Returns 0, or -1 with err. */
int tg_body_compress(struct tg_body_codec *codec, const char *raw, size_t len, void **out,
                     size_t *out_len, char *err, size_t errlen);

/* A pack compressed as it grows: one zstd frame, fed a request's new chunks
 * at a time (so the bytes are compressed once, on arrival), flushed at each
 * commit so that what is stored so far decodes (tg_body_decode_prefix reads
 * a frame not yet ended), ended when the pack is full. Uses the codec's
 * context: no other compression in between. Output is appended to *z (of
 * *z_cap bytes, grown with realloc). Returns 0, or -1 with err. */
enum tg_body_stream_step { TG_BODY_CONTINUE, TG_BODY_FLUSH, TG_BODY_END };
void tg_body_stream_begin(struct tg_body_codec *codec);
int tg_body_stream_feed(struct tg_body_codec *codec, const void *src, size_t len, enum tg_body_stream_step step,
                        unsigned char **z, size_t *z_len, size_t *z_cap, char *err, size_t errlen);

/* Decompression with digested dictionaries and one reused context: a body
 * rebuilt from many messages is many small frames, and loading the
 * dictionary afresh for each would cost more than the frames. A decoder
 * belongs to one thread. */
struct tg_body_decoder;

struct tg_body_decoder *tg_body_decoder_new(void);
void tg_body_decoder_free(struct tg_body_decoder *decoder);
/* Whether dictionary `id` was added. */
bool tg_body_decoder_knows(const struct tg_body_decoder *decoder, int64_t id);
/* Digests dictionary `id` once. Returns 0, -1 when it is damaged or out of memory. */
int tg_body_decoder_add_dict(struct tg_body_decoder *decoder, int64_t id, const void *dict, size_t len);
/* Decompresses a stored frame of known raw length into a new NUL-terminated
 * buffer, with a dictionary added before (0: none). -1 when damaged. */
int tg_body_decode(struct tg_body_decoder *decoder, const void *z, size_t z_len, size_t raw_len, int64_t dict_id,
                   char **out);

/* The first `need` bytes of a frame of raw_len bytes (ended or not; see
 * tg_body_stream_feed) into a new NUL-terminated buffer: a read that needs
 * the start of a pack stops there. -1 when damaged or shorter. */
int tg_body_decode_prefix(struct tg_body_decoder *decoder, const void *z, size_t z_len, size_t raw_len, size_t need,
                          int64_t dict_id, char **out);

/* Trains a dictionary (at most max_len bytes) from sample bodies. Returns 0 and
 * a malloc'd *dict, or -1 when the samples do not make one. */
int tg_body_train(const char *samples, const size_t *sizes, unsigned count, size_t max_len, void **dict,
                  size_t *dict_len);

/* The samples a dictionary is trained from: the first bodies of a db that has
 * none, until there are TG_BODY_TRAIN_SAMPLES of them or TG_BODY_TRAIN_MAX_BYTES.
 * One trainer for the store (which samples the logs it stores) and for an
 * import (which samples lines on its parsing threads). The struct is here to
 * be embedded; use it through the functions. Zeroed, it is empty and ready;
 * not thread-safe: its owner serializes the calls. */
struct tg_body_trainer {
    char *bytes;
    size_t len, cap;
    size_t sizes[TG_BODY_TRAIN_SAMPLES];
    unsigned count;
    bool done; /* trained, or given up: it keeps nothing more */
};

/* Keeps a copy of one body while more are wanted. Out of memory, it gives up:
 * bodies then go on without a dictionary. */
void tg_body_trainer_keep(struct tg_body_trainer *t, const char *raw, size_t len);
/* Whether it has enough samples and has not trained yet. */
bool tg_body_trainer_ready(const struct tg_body_trainer *t);
/* Trains once (then it is done and its samples are freed): 0 and a malloc'd
 * *dict, or -1 when the samples do not make one. */
int tg_body_trainer_train(struct tg_body_trainer *t, void **dict, size_t *len);
/* Keeps nothing more and frees its samples: the db has a dictionary already. */
void tg_body_trainer_stop(struct tg_body_trainer *t);

/* Content-defined chunks. A log is cut into chunks (chunker.h) wherever its
 * bytes fall, whatever its shape: a tools block, system blocks, a message, a
 * JSON string holding messages, all resent by a coding agent on every turn,
 * are cut the same way each time. Each distinct chunk is stored once under
 * the SHA-256 of its bytes; a body is its list of chunk references. The
 * chunks a log brings that were not stored before are compressed together,
 * as one frame (a "pack"): neighbours compress far better together than
 * alone, and a chunk known already is never compressed again. */
#define TG_BODY_MAX_PIECES 512 /* of the older message layout (schema 5) */

/* The messages of a log (each element of prompt_messages and
 * completion_messages, and completion_message) of at least TG_BODY_MIN_PIECE
 * bytes: what the older layout stored apart, and what the detail view
 * compares with the request before. Writes their offsets and lengths, at
 * most max; returns their count. */
#define TG_BODY_MIN_PIECE 256
size_t tg_body_find_pieces(const char *raw, size_t len, size_t *offsets, size_t *lengths, size_t max);

struct tg_body_chunk {
    unsigned char digest[TG_DIGEST_LEN]; /* of its exact bytes */
    size_t off, len;                     /* where it is in the raw log */
    bool in_pack;                        /* compressed into the pack */
};

/* One malloc block: free() releases it whole. */
struct tg_body_prepared {
    size_t raw_len;     /* the bytes chunked: the whole log, or text's */
    const char *text;   /* NULL: the log itself was chunked; else the log without its ids (in this block) */
    struct tg_body_ids ids; /* the ids left out of text (bodyids.h) */
    int64_t dict_id;    /* the codec's dictionary when prepared (the store packs with its own) */
    size_t pack_len;    /* bytes of the chunks in_pack; 0 when no chunk is new */
    size_t pack_count;  /* chunks in_pack */
    size_t count;
    struct tg_body_chunk chunks[];
};

/* The SHA-256 of text (TG_DIGEST_LEN bytes into out). */
void tg_body_digest(const char *text, size_t len, unsigned char *out);

/* Cuts raw into chunks, digests each, and marks in_pack the ones not in
 * `known` (may be NULL: all of them), each distinct chunk once. Nothing is
 * compressed here: the store gathers the new chunks of many requests into one
 * pack and compresses it once (see bodies.c). With mark_known, the digests
 * marked are added to `known` (value 1): a parsing thread remembers what it
 * handed the store before, which finds those chunks by digest. codec may be
 * NULL (only its dictionary id is noted). Returns 0 with *out, or -1 with err. */
int tg_body_prepare(struct tg_body_codec *codec, struct tg_msgcache *known, bool mark_known, const char *raw,
                    size_t len, struct tg_body_prepared **out, char *err, size_t errlen);
/* The same for a parsed log, with its id and thread id left out of the bytes
 * chunked where they are canonical UUIDs (bodyids.h): out->text and out->ids
 * say what was chunked. */
struct tg_log;
int tg_body_prepare_log(struct tg_body_codec *codec, struct tg_msgcache *known, bool mark_known,
                        const struct tg_log *log, struct tg_body_prepared **out, char *err, size_t errlen);

/* A body's chunk references: ids in order, as runs of consecutive ids (a
 * chunk stored by one request and the chunks after it are usually resent
 * together): varint pairs (zigzag delta from the end of the run before, run
 * length). */
size_t tg_body_chunk_refs_encode(const int64_t *ids, size_t count, unsigned char *out);
#define TG_BODY_CHUNK_REFS_BOUND(count) ((count) * 20)
/* Decodes at most max ids (a body of n bytes has at most
 * TG_CHUNK_COUNT_BOUND(n)) into a malloc'd *ids; returns the count, or -1
 * when damaged (or out of memory), *ids NULL then. */
long tg_body_chunk_refs_decode(const unsigned char *in, size_t len, size_t max, int64_t **ids);

/* Which request brought each chunk of a pack: runs of (request id, chunk
 * count), as varint pairs (zigzag delta from the request id before). */
size_t tg_body_owners_encode(const int64_t *request_ids, const size_t *counts, size_t runs, unsigned char *out);
#define TG_BODY_OWNERS_BOUND(runs) ((runs) * 20)
/* Decodes into malloc'd arrays; returns the run count, or -1 when damaged
 * (or out of memory; *request_ids and *counts NULL then). */
long tg_body_owners_decode(const unsigned char *in, size_t len, int64_t **request_ids, size_t **counts);

/* Varint lists of sizes (a pack's chunk lengths). */
size_t tg_body_varints_encode(const size_t *v, size_t count, unsigned char *out);
/* Decodes exactly count values; -1 when damaged. */
int tg_body_varints_decode(const unsigned char *in, size_t len, size_t *v, size_t count);

/* A pack in two streams (second layout of a pack; the first is one frame of
 * the chunks in id order): the first chunk of each request (a log's header:
 * its ids, times, tokens, cost) in one zstd frame, every other chunk (the
 * messages) in another, stored one after the other. Headers compress far
 * better next to headers (the same fields at the same distance) and text next
 * to text than interleaved. Marked by a trailer after the pack's chunk
 * lengths: the varint length of the head frame, then a bitmap of which
 * chunks are heads (bit i%8 of byte i/8). A pack's `lens` without a trailer
 * is the first layout. */
struct tg_body_pack_split {
    bool two;             /* the second layout */
    size_t head_z;        /* bytes of the head frame, at the start of the pack's zstd */
    const unsigned char *heads; /* the bitmap, inside the lens blob */
};
/* Decodes a pack's lens blob: exactly count lengths into v, then the trailer
 * if any (into split). 0, or -1 when damaged. */
int tg_body_pack_lens_decode(const unsigned char *in, size_t len, size_t *v, size_t count,
                             struct tg_body_pack_split *split);
/* Appends the trailer after lens already encoded at out: returns its size. */
size_t tg_body_pack_trailer_encode(size_t head_z, const unsigned char *heads, size_t count, unsigned char *out);
#define TG_BODY_PACK_TRAILER_BOUND(count) (10 + ((count) + 7) / 8)
/* The first `need` bytes (in id order, at a chunk edge) of a pack in two
 * streams, each frame decompressed only as far as those bytes need, into a
 * new NUL-terminated buffer. -1 when damaged. */
int tg_body_decode_split(struct tg_body_decoder *decoder, const void *z, size_t z_len, const size_t *lens,
                         size_t count, const struct tg_body_pack_split *split, size_t raw_len, size_t need,
                         int64_t dict_id, char **out);

/* The older layout's references to its messages: (position in the skeleton,
 * message id) pairs as varints, positions as deltas. Read back, never written
 * by the store any more (tests write them to check that they are read). */
size_t tg_body_refs_encode(const size_t *at, const int64_t *ids, size_t count, unsigned char *out);
/* Bound on the encoded size of count references. */
#define TG_BODY_REFS_BOUND(count) ((count) * 20)
/* Decodes up to max references; returns the count, or -1 when damaged. */
long tg_body_refs_decode(const unsigned char *in, size_t len, size_t *at, int64_t *ids, size_t max);

#endif
