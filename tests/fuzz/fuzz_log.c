/* libFuzzer target: any bytes as one log (and as a JSON array of logs, parsed
 * with --redact, and as --since arguments, and through the redactor) must give a clean rejection or a log, never a crash, a
 * leak or undefined behaviour. Build and run: make fuzz (FUZZ_SECONDS=60). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonsplit.h"
#include "log/logmodel.h"
#include "log/redact.h"
#include "base/sanitize.h"
#include "base/timeutil.h"

static int each_element(void *ctx, const char *text, size_t len, long index)
{
    (void)ctx;
    (void)index;
    struct tg_log log;
    struct tg_log_error err;
    struct tg_log_parse_options opt = {.default_ts_ms = 1793527200000, .redact = true};
    if (tg_log_parse_text(text, len, &opt, &log, &err) == 0)
        tg_log_free(&log);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct tg_log log;
    struct tg_log_error err;
    struct tg_log_parse_options opt = {0};
    if (tg_log_parse_text(text, size, &opt, &log, &err) == 0) {
        char shown[256];
        tg_sanitize(log.log_id, shown, sizeof shown);
        tg_log_free(&log);
    }
    size_t at;
    tg_json_split_array(text, size, each_element, NULL, &at);
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    int64_t ms;
    tg_time_parse_arg(copy, 1793527200000, &ms);
    char *clean = tg_sanitize_dup(copy);
    free(clean);
    char *masked;
    size_t masked_len;
    if (tg_redact(text, size, &masked, &masked_len) > 0)
        free(masked);
    free(copy);
    return 0;
}
