/* The filter line of the screens: words such as
 *   dev:alice key:alice-ci model:opus status:error status:429 cost>0.5 cost<2 thread:t-9
 *   dev:"Alice Martin"   (a value with spaces, quoted after the colon)
 * and anything else (words or "quoted phrases") as free text, matched in the
 * prompts and responses. Parsed into values that are bound to SQL, never
 * pasted into it. */
#ifndef TG_FILTER_H
#define TG_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "base/money.h"

struct tg_request_filter {
    char developer[128];
    char key[128];
    char model[128];   /* a substring of the model name */
    char thread[128];
    int status;        /* -1 none; 0 = errors only ("error"); 1 = successes ("ok"); >= 100 an HTTP status */
    tg_nanos cost_above, cost_below; /* -1 none */
    char text[256];    /* free text, words joined by spaces */
};

void tg_filter_clear(struct tg_request_filter *f);

/* Returns 0, or -1 with err naming the word it could not read. */
int tg_filter_parse(const char *expr, struct tg_request_filter *f, char *err, size_t errlen);

/* Back to text, for the header. */
void tg_filter_describe(const struct tg_request_filter *f, char *buf, size_t len);

#endif
