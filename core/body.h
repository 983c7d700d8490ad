/* Stored bodies: the raw log compressed with zstd, with a dictionary trained on
 * the db's own logs once there are enough of them. Small JSON logs compress
 * poorly and slowly one by one; against a dictionary of their common shape they
 * shrink two to three times more and compress about twice as fast. A codec
 * holds one compression context, so each thread that compresses owns one. */
#ifndef TG_BODY_H
#define TG_BODY_H

#include <stddef.h>
#include <stdint.h>

/* A dictionary is trained once a db has this many logs (or bytes of them). */
#define TG_BODY_TRAIN_SAMPLES 2000
#define TG_BODY_TRAIN_MAX_BYTES (16 << 20)
#define TG_BODY_DICT_MAX_BYTES (64 << 10)

struct tg_body_codec;

struct tg_body_codec *tg_body_codec_new(void);
void tg_body_codec_free(struct tg_body_codec *codec);

/* Compresses against this dictionary from now on; bodies record dict_id. */
int tg_body_codec_set_dict(struct tg_body_codec *codec, const void *dict, size_t len, int64_t dict_id);
/* The dictionary in use: 0 when none. */
int64_t tg_body_codec_dict_id(const struct tg_body_codec *codec);

/* Compresses raw into a new buffer (*out, malloc'd). Returns 0, or -1 with err. */
int tg_body_compress(struct tg_body_codec *codec, const char *raw, size_t len, void **out,
                     size_t *out_len, char *err, size_t errlen);

/* Decompresses a stored body of known raw length (dict NULL when it was stored
 * without one) into a new NUL-terminated buffer. -1 when damaged. */
int tg_body_decompress(const void *z, size_t z_len, size_t raw_len, const void *dict, size_t dict_len,
                       char **out);

/* Trains a dictionary (at most max_len bytes) from sample bodies. Returns 0 and
 * a malloc'd *dict, or -1 when the samples do not make one. */
int tg_body_train(const char *samples, const size_t *sizes, unsigned count, size_t max_len, void **dict,
                  size_t *dict_len);

#endif
