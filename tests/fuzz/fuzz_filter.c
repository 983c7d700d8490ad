/* libFuzzer target: any bytes typed on the screens' filter line must parse into
 * a filter or a clear error, and describing that filter back must stay inside
 * its buffer, however small. (Describing is not meant to read back: the screens
 * keep the text as typed.) */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *expr = malloc(size + 1);
    if (!expr)
        return 0;
    memcpy(expr, data, size);
    expr[size] = '\0';
    struct tg_request_filter f;
    char err[160];
    if (tg_filter_parse(expr, &f, err, sizeof err) == 0) {
        char wide[1024], narrow[9];
        tg_filter_describe(&f, wide, sizeof wide);
        tg_filter_describe(&f, narrow, sizeof narrow);
        if (strlen(wide) >= sizeof wide || strlen(narrow) >= sizeof narrow)
            abort();
    }
    free(expr);
    return 0;
}
