/* One stored request turned into a document (see document.h): its fields;
 * its cost split into input, cache read, cache write and output with the
 * price used and where it came from; then PROMPT (each system block, the
 * tools offered, one line each until opened, and each message) and RESPONSE.
 * Tool calls read as calls (Read(file_path="src/app.py")) with their results
 * under them, whichever form the log used (Anthropic tool_use / tool_result
 * blocks, OpenAI tool_calls and role "tool" messages, the Responses API's
 * function_call items, Gemini's functionCall / functionResponse parts: see
 * requestdoc_shapes.h); JSON is indented with spaces. */
#ifndef TG_REQUESTDOC_H
#define TG_REQUESTDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/money.h"
#include "log/pricing.h"
#include "query/document.h"

/* What the request's row and the store know beside the log itself. */
struct tg_request_facts {
    struct tg_token_counts tokens;
    tg_nanos cost;
    int cost_kind;                   /* enum tg_cost_kind */
    const struct tg_price *table;    /* the pricing table's price for the model, or NULL */
    const char *table_model;         /* the model it was looked up by */
    /* per prompt message: whether the previous request of the same thread (or
     * developer) sent exactly the same message; NULL when unknown */
    const bool *same;
    size_t nsame;
    bool pruned; /* the body was dropped: log holds only what the row keeps */
};

/* Builds the document of a parsed log. *focus: the section to start at (the
 * last user message, else the response). NULL when out of memory. */
struct tg_doc *tg_request_document(const cJSON *log, const struct tg_request_facts *facts, size_t *focus);

/* A stored log (JSON) for a pager: control characters, DEL and the C1
 * controls written as \u00XX escapes, which inside a JSON string mean the
 * same, so the text is the same JSON and nothing in it can drive a terminal.
 * malloc'd; NULL when out of memory. */
char *tg_json_for_terminal(const char *raw, size_t len, size_t *out_len);

/* "812 B", "9.1 KB", "1.2 MB". */
void tg_format_size(size_t bytes, char *buf, size_t len);

#endif
