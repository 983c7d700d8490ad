/* The filter line of the screens: words such as
 *   dev:alice key:alice-ci model:opus status:error status:429 cost>0.5 cost<2 thread:t-9
 *   dev:"Alice Martin"   (a value with spaces, quoted after the colon)
 * and anything else (words or "quoted phrases") as free text, matched in the
 * prompts and responses. Parsed into values that are bound to SQL, never
 * pasted into it. A filter built by code (a drill-down, a thread) sets its
 * fields with tg_filter_set and never goes through text, so any name works. */
#ifndef TG_FILTER_H
#define TG_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/money.h"
#include "log/logmodel.h"

/* Room for the longest name a log may carry and its terminating NUL: a name
 * is never cut. */
#define TG_FILTER_NAME_MAX (TG_LOG_NAME_MAX + 1)

struct tg_request_filter {
    char developer[TG_FILTER_NAME_MAX];
    char key[TG_FILTER_NAME_MAX];
    char model[TG_FILTER_NAME_MAX];  /* a substring of the model name */
    char thread[TG_FILTER_NAME_MAX];
    int status;        /* -1 none; 0 = errors only ("error"); 1 = successes ("ok"); >= 100 an HTTP status */
    tg_nanos cost_above, cost_below; /* -1 none */
    char text[256];    /* free text, words joined by spaces */
    /* set by tg_filter_parse: the free text is too short for the search (see
     * tg_search_query) and is left out of the match */
    bool text_ignored;
};

enum tg_filter_field { TG_FILTER_DEVELOPER, TG_FILTER_KEY, TG_FILTER_MODEL, TG_FILTER_THREAD };

void tg_filter_clear(struct tg_request_filter *f);

/* Returns 0, or -1 with err naming the word it could not read. */
int tg_filter_parse(const char *expr, struct tg_request_filter *f, char *err, size_t errlen);

/* Sets one name field to exactly `value`, whatever characters it holds.
 * Returns 0, or -1 when the value is empty or longer than a log allows. */
int tg_filter_set(struct tg_request_filter *f, enum tg_filter_field field, const char *value);

/* Back to text, for the status bar: words separated by single spaces, a value
 * with spaces in quotes. For people to read; not meant to be parsed again. */
void tg_filter_describe(const struct tg_request_filter *f, char *buf, size_t len);

#endif
