/* The text the search index holds, built the same way when indexing and when
 * checking a hit: a run of chunks with the edges of its neighbours (so that
 * a phrase across a chunk edge is found), each piece with its JSON string
 * escapes decoded on its own; and the words of a whole log of an older
 * layout. Also the varints of the index's tables. */
#ifndef TG_SEARCHTEXT_H
#define TG_SEARCHTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"
#include "store/chunkread.h"
#include "store/store.h"

/* Bytes of each neighbour indexed with a run: phrases of up to this many
 * bytes (after unescaping, about as many characters) across a chunk edge. */
#define TG_SEARCH_OVERLAP 64
#define TG_SEARCH_RUN_MAX 32 /* chunks in one run */
/* Text of one row of the index: runs are grouped up to about this much. */
#define TG_SEARCH_GROUP_TEXT (128 << 10)
#define TG_SEARCH_GROUP_REQUESTS 4 /* ... and the new text of at most this many requests */

/* A run's text: its pieces are [prev's tail] chunk first .. first+count-1
 * [next's head]; piece i ends at ends[i] in text and is chunk ids[i]. */
struct tg_search_run_text {
    char *text;
    size_t len;
    int pieces;
    int64_t ids[TG_SEARCH_RUN_MAX + 2];
    size_t ends[TG_SEARCH_RUN_MAX + 2];
    bool whole; /* every piece was read (a swept neighbour leaves it out) */
};

/* Builds it (prev, next: 0 for none). 0; 1 when a chunk of the run itself is
 * gone; -1 when damaged or out of memory. Free text with free(). */
int tg_search_run_text(struct tg_chunk_reader *reader, int64_t prev, int64_t first, int64_t count, int64_t next,
                       struct tg_search_run_text *out);

/* The words of a log stored whole or as messages (prompt, response, error);
 * NULL when it has no body. */
char *tg_search_log_text(struct tg_store *store, int64_t request_id);

/* What the index holds of a text, and the form a search's text is asked in:
 * each run of white space and JSON punctuation (quotes, braces, brackets,
 * colons, commas) as one space, and so a run of at least TG_SEARCH_BLOB_MIN
 * letters, digits and + / = - _ that mixes upper case, lower case and digits
 * (base64: encrypted reasoning, images), which words, paths, numbers and hex
 * ids do not. JSON syntax and base64 were 40% of the index on agent traffic.
 * A text's form is inside the form of any text holding it, so nothing is
 * missed, but for text inside such a blob or reaching into one; every hit is
 * still checked against the real text. (Digits as 0 saved another 0.37 MB
 * of 1.9 there, but made a rare number match every row: 1.6 s instead of
 * 0.05 on 50,000 small logs.) */
#define TG_SEARCH_BLOB_MIN 64
void tg_search_index_form(const char *text, size_t len, struct strbuf *out);

/* The text a search looks for in a run's text. A run's text is decoded
 * twice (for the `input` form), so a backslash a person typed (a path,
 * printf's \n, a regex) is there decoded once more than they typed it:
 * their text is looked for decoded once the same way. (A request of an
 * older layout is checked against its real text, as typed.) */
void tg_search_run_needle(const char *text, size_t len, struct strbuf *out);

/* ASCII case folded copy of s for the checks (the index folds case too). */
void tg_search_fold(const char *s, size_t len, char *out);

/* Where needle (folded) occurs in hay (folded) from `from`, or -1. */
long tg_search_find_in(const char *hay, size_t hay_len, size_t from, const char *needle, size_t needle_len);

/* Unsigned LEB128 varints. */
size_t tg_search_put_varint(unsigned char *out, uint64_t v);
bool tg_search_get_varint(const unsigned char *in, size_t len, size_t *pos, uint64_t *v);

#endif
