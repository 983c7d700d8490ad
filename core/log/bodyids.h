/* A stored body without its ids (schema 14): a log's id and thread id, when
 * each is a canonical lowercase UUID, are random bytes that no compressor
 * shrinks (~18 bytes each in a pack), and the request row holds them already
 * as 16 bytes. So the body is stored with their 36 characters left out where
 * they first occur in the log, and a short list of where they were; a read
 * puts the row's ids back, byte for byte. Only an id whose text the row gives
 * back exactly (tg_body_uuid_canonical) is left out; any other stays in. */
#ifndef TG_BODYIDS_H
#define TG_BODYIDS_H

#include <stdbool.h>
#include <stddef.h>

#define TG_BODY_IDS_MAX 2
#define TG_BODY_UUID_LEN 36
#define TG_BODY_IDS_BOUND (TG_BODY_IDS_MAX * 10)
/* Logs longer than this keep their ids: 72 bytes are under 0.2% of them,
 * and copying the log without them costs more than they would save. */
#define TG_BODY_IDS_MAX_LOG (32 << 10)

enum tg_body_id_kind { TG_BODY_ID_LOG = 0, TG_BODY_ID_THREAD = 1 };

/* Where the ids were: offsets in the raw log, ascending, not overlapping. */
struct tg_body_ids {
    size_t count;
    size_t at[TG_BODY_IDS_MAX];
    unsigned char kind[TG_BODY_IDS_MAX]; /* enum tg_body_id_kind */
};

/* Whether s[0..len) is a canonical lowercase UUID (8-4-4-4-12 hex digits). */
bool tg_body_uuid_canonical(const char *s, size_t len);

/* Finds the first occurrence in raw of each id that is canonical (NULL or
 * other ids: left in; all of them in a log over TG_BODY_IDS_MAX_LOG). The thread id is left in when it equals the log id or
 * its first occurrence overlaps the log id's. */
void tg_body_ids_find(const char *raw, size_t len, const char *log_id, const char *thread_id, struct tg_body_ids *out);

/* raw without the ids' text, into out (len - 36 * count bytes). */
void tg_body_ids_remove(const char *raw, size_t len, const struct tg_body_ids *ids, char *out);

/* Varints, (offset delta from the end of the id before) * 2 + kind; empty for
 * none. Returns the bytes written (at most TG_BODY_IDS_BOUND). */
size_t tg_body_ids_encode(const struct tg_body_ids *ids, unsigned char *out);
/* 0, or -1 when damaged. */
int tg_body_ids_decode(const unsigned char *in, size_t len, struct tg_body_ids *out);

/* The stored text (text_len bytes) with the ids put back (ids_text[kind],
 * 36 characters each) into a new NUL-terminated buffer of
 * text_len + 36 * count bytes. -1 when the offsets do not fit (damaged), an
 * id is missing, or out of memory. */
int tg_body_ids_restore(const char *text, size_t text_len, const struct tg_body_ids *ids,
                        const char *const ids_text[TG_BODY_IDS_MAX], char **out, size_t *out_len);

#endif
