/* Splits a JSON array into the exact text of its elements without building a
 * tree of the whole: a batch of logs keeps each log's bytes as they came, and
 * nothing is parsed twice or printed back. */
#ifndef TG_JSONSPLIT_H
#define TG_JSONSPLIT_H

#include <stddef.h>

/* Called for each element in order, index from 0; non-zero stops the split and
 * is returned. */
typedef int (*tg_json_element_fn)(void *ctx, const char *text, size_t len, long index);

/* Returns 0 when text is one array whose elements were all handed over, the
 * callback's non-zero value, or -1 (with the byte offset in *error_at) when
 * the text is not a JSON array: the elements themselves are checked by whoever
 * parses them. */
int tg_json_split_array(const char *text, size_t len, tg_json_element_fn fn, void *ctx, size_t *error_at);

/* Called for each member of an object in order: the key's text between its
 * quotes (escapes left as they are) and the exact text of its value. */
typedef int (*tg_json_member_fn)(void *ctx, const char *key, size_t key_len, const char *value, size_t value_len);

/* Like tg_json_split_array for the members of one JSON object. */
int tg_json_split_object(const char *text, size_t len, tg_json_member_fn fn, void *ctx, size_t *error_at);

#endif
