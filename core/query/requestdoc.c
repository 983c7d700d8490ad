#include "query/requestdoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/timeutil.h"
#include "log/logmodel.h"
#include "query/requestdoc_shapes.h"

#define BODY_INDENT 2
#define INLINE_ARG_MAX 60 /* an argument longer than this goes on lines of its own */
#define PICO_PER_NANO 1000


struct builder {
    struct tg_doc *doc;
    const cJSON *prompt;
    const struct tg_request_facts *facts;
    int level; /* of the message being rendered; 0 outside messages */
};

#define REMINDER_TAG "<system-reminder>"


void tg_format_size(size_t bytes, char *buf, size_t len)
{
    if (bytes < 1000)
        snprintf(buf, len, "%zu B", bytes);
    else if (bytes < 1000 * 1000)
        snprintf(buf, len, "%.1f KB", (double)bytes / 1000.0);
    else
        snprintf(buf, len, "%.1f MB", (double)bytes / 1e6);
}

/* What cJSON_ArrayForEach may walk: the item when it has the right type, else nothing. */
static const cJSON *array_or_null(const cJSON *item)
{
    return cJSON_IsArray(item) ? item : NULL;
}

static const cJSON *object_or_null(const cJSON *item)
{
    return cJSON_IsObject(item) ? item : NULL;
}

static const char *string_of(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static const cJSON *item_of(const cJSON *obj, const char *name)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
}

/* Pretty JSON with spaces: cJSON indents with tabs and puts one after each
 * colon; tabs only appear there (a tab inside a string is printed \t). */
static void pretty_json(const cJSON *item, struct strbuf *out)
{
    char *text = cJSON_Print(item);
    if (!text)
        return;
    for (const char *p = text; *p; p++) {
        if (*p != '\t')
            strbuf_putc(out, *p);
        else
            strbuf_puts(out, p > text && p[-1] == ':' ? " " : "  ");
    }
    free(text);
}

static void add_json(struct builder *b, int indent, const cJSON *item)
{
    struct strbuf sb = STRBUF_INIT;
    pretty_json(item, &sb);
    if (sb.data)
        tg_doc_textn(b->doc, indent, sb.data, sb.len);
    strbuf_free(&sb);
}

/* ---- tool calls and their results ---- */

/* The id a result answers, when item is a result: an Anthropic tool_result
 * block, an OpenAI role "tool" message, a Responses function_call_output. */
static const char *result_id(const cJSON *item)
{
    const char *type = string_of(item, "type"), *role = string_of(item, "role");
    if (type && strcmp(type, "tool_result") == 0)
        return string_of(item, "tool_use_id");
    if (type && strcmp(type, "function_call_output") == 0)
        return string_of(item, "call_id");
    if (role && strcmp(role, "tool") == 0)
        return string_of(item, "tool_call_id");
    return NULL;
}

static const cJSON *find_result_in(const cJSON *item, const char *id)
{
    const char *rid = result_id(item);
    if (rid && strcmp(rid, id) == 0)
        return item;
    const cJSON *content = item_of(item, "content"), *part;
    if (!cJSON_IsArray(content))
        return NULL;
    cJSON_ArrayForEach(part, content) {
        rid = result_id(part);
        if (rid && strcmp(rid, id) == 0)
            return part;
    }
    return NULL;
}

static const cJSON *find_result(const struct builder *b, const char *id)
{
    const cJSON *msg, *found;
    if (!id || !*id)
        return NULL;
    cJSON_ArrayForEach(msg, b->prompt) {
        if ((found = find_result_in(msg, id)))
            return found;
    }
    return NULL;
}

static bool call_has_id_in(const cJSON *msg, const char *id)
{
    const char *type = string_of(msg, "type");
    const char *own = type && strcmp(type, "function_call") == 0 ? string_of(msg, "call_id") : NULL;
    if (own && strcmp(own, id) == 0)
        return true;
    const cJSON *calls = item_of(msg, "tool_calls"), *content = item_of(msg, "content"), *c;
    cJSON_ArrayForEach(c, array_or_null(calls)) {
        if (string_of(c, "id") && strcmp(string_of(c, "id"), id) == 0)
            return true;
    }
    cJSON_ArrayForEach(c, array_or_null(content)) {
        const char *t = string_of(c, "type");
        if (t && strcmp(t, "tool_use") == 0 && string_of(c, "id") && strcmp(string_of(c, "id"), id) == 0)
            return true;
    }
    return false;
}

/* A result shown under its call rather than where it came. */
static bool shown_under_call(const struct builder *b, const cJSON *item)
{
    const char *id = result_id(item);
    const cJSON *msg;
    if (!id)
        return false;
    cJSON_ArrayForEach(msg, b->prompt) {
        if (call_has_id_in(msg, id))
            return true;
    }
    return false;
}

static void render_content(struct builder *b, int indent, const cJSON *content);

static void render_result(struct builder *b, int indent, const cJSON *result)
{
    const cJSON *err = item_of(result, "is_error");
    tg_doc_text(b->doc, indent, cJSON_IsTrue(err) ? "result (error):" : "result:");
    const cJSON *body = item_of(result, "content");
    if (!body)
        body = item_of(result, "output");
    render_content(b, indent + BODY_INDENT, body);
}

static bool short_arg(const cJSON *value, const char *printed)
{
    if (strlen(printed) > INLINE_ARG_MAX)
        return false;
    return !cJSON_IsString(value) || !strchr(value->valuestring, '\n');
}

/* Name(a="x", b=2), then each long argument on lines of its own, then the
 * result that answered the call. */
static void render_call(struct builder *b, int indent, const char *name, const cJSON *args, const char *id)
{
    struct strbuf line = STRBUF_INIT;
    strbuf_printf(&line, "%s(", name ? name : "?");
    const cJSON *arg;
    bool first = true, any_long = false;
    cJSON_ArrayForEach(arg, object_or_null(args)) {
        char *printed = cJSON_PrintUnformatted(arg);
        if (printed && short_arg(arg, printed)) {
            strbuf_printf(&line, "%s%s=%s", first ? "" : ", ", arg->string, printed);
            first = false;
        } else {
            any_long = true;
        }
        free(printed);
    }
    if (args && !cJSON_IsObject(args) && !cJSON_IsNull(args))
        any_long = true;
    strbuf_puts(&line, any_long ? (first ? "...)" : ", ...)") : ")");
    if (line.data)
        tg_doc_text(b->doc, indent, line.data);
    strbuf_free(&line);
    cJSON_ArrayForEach(arg, object_or_null(args)) {
        char *printed = cJSON_PrintUnformatted(arg);
        if (printed && !short_arg(arg, printed)) {
            struct strbuf label = STRBUF_INIT;
            strbuf_printf(&label, "%s:", arg->string);
            tg_doc_text(b->doc, indent + BODY_INDENT, label.data ? label.data : "");
            strbuf_free(&label);
            if (cJSON_IsString(arg))
                tg_doc_text(b->doc, indent + 2 * BODY_INDENT, arg->valuestring);
            else
                add_json(b, indent + 2 * BODY_INDENT, arg);
        }
        free(printed);
    }
    if (args && !cJSON_IsObject(args) && !cJSON_IsNull(args)) {
        if (cJSON_IsString(args))
            tg_doc_text(b->doc, indent + BODY_INDENT, args->valuestring);
        else
            add_json(b, indent + BODY_INDENT, args);
    }
    const cJSON *result = find_result(b, id);
    if (result)
        render_result(b, indent + BODY_INDENT, result);
}

/* OpenAI's arguments are JSON text: parsed to show them as arguments. */
static void render_text_args_call(struct builder *b, int indent, const char *name, const cJSON *arguments,
                                  const char *id)
{
    cJSON *parsed = cJSON_IsString(arguments) ? cJSON_Parse(arguments->valuestring) : NULL;
    render_call(b, indent, name, parsed ? parsed : arguments, id);
    cJSON_Delete(parsed);
}

/* ---- content ---- */

static bool type_is(const char *type, const char *a, const char *b2, const char *c)
{
    return type && ((a && !strcmp(type, a)) || (b2 && !strcmp(type, b2)) || (c && !strcmp(type, c)));
}

static void title_section(struct builder *b, size_t s, const char *what, bool same);

/* A <system-reminder> block an agent adds to a user message: folded inside
 * the message, so the words the user wrote are in view; the rest of the
 * message goes on after it. */
static void add_reminder(struct builder *b, int indent, const char *text)
{
    size_t s = tg_doc_section(b->doc, b->level + 1, TG_DOC_SYSTEM, "", true);
    tg_doc_text(b->doc, indent + BODY_INDENT, text);
    title_section(b, s, "system-reminder", false);
    tg_doc_section(b->doc, b->level + 1, TG_DOC_MESSAGE, NULL, false);
}

static void render_part(struct builder *b, int indent, const cJSON *part)
{
    if (cJSON_IsString(part)) {
        tg_doc_text(b->doc, indent, part->valuestring);
        return;
    }
    const char *type = string_of(part, "type");
    const char *text = string_of(part, "text");
    if (type_is(type, "text", "input_text", "output_text") && text && b->level &&
        !strncmp(text, REMINDER_TAG, strlen(REMINDER_TAG))) {
        add_reminder(b, indent, text);
    } else if (type_is(type, "text", "input_text", "output_text") && text) {
        tg_doc_text(b->doc, indent, text);
    } else if (type_is(type, "tool_use", "server_tool_use", NULL)) {
        render_call(b, indent, string_of(part, "name"), item_of(part, "input"), string_of(part, "id"));
    } else if (result_id(part)) {
        if (!shown_under_call(b, part))
            render_result(b, indent, part);
    } else if (type_is(type, "thinking", "reasoning", NULL) && string_of(part, "thinking")) {
        tg_doc_text(b->doc, indent, "thinking:");
        tg_doc_text(b->doc, indent + BODY_INDENT, string_of(part, "thinking"));
    } else if (type_is(type, "image", "image_url", "input_image")) {
        tg_doc_text(b->doc, indent, "[image]");
    } else if (type_is(type, "function_call", NULL, NULL)) {
        render_text_args_call(b, indent, string_of(part, "name"), item_of(part, "arguments"),
                              string_of(part, "call_id"));
    } else {
        add_json(b, indent, part);
    }
}

static void render_content(struct builder *b, int indent, const cJSON *content)
{
    const cJSON *part;
    if (!content || cJSON_IsNull(content))
        return;
    if (cJSON_IsString(content))
        tg_doc_text(b->doc, indent, content->valuestring);
    else if (cJSON_IsArray(content))
        cJSON_ArrayForEach(part, content) render_part(b, indent, part);
    else
        render_part(b, indent, content);
}

static void render_message_body(struct builder *b, const cJSON *msg)
{
    const char *type = string_of(msg, "type");
    if (type_is(type, "function_call", NULL, NULL)) { /* a Responses API item */
        render_part(b, BODY_INDENT, msg);
        return;
    }
    if (type_is(type, "function_call_output", NULL, NULL)) {
        render_result(b, BODY_INDENT, msg);
        return;
    }
    render_content(b, BODY_INDENT, item_of(msg, "content"));
    const cJSON *call, *calls = item_of(msg, "tool_calls");
    cJSON_ArrayForEach(call, array_or_null(calls)) {
        const cJSON *fn = item_of(call, "function");
        render_text_args_call(b, BODY_INDENT, string_of(fn, "name"), item_of(fn, "arguments"), string_of(call, "id"));
    }
    const cJSON *fn = item_of(msg, "function_call");
    if (cJSON_IsObject(fn))
        render_text_args_call(b, BODY_INDENT, string_of(fn, "name"), item_of(fn, "arguments"), NULL);
}

static const char *role_of(const cJSON *msg)
{
    const char *role = string_of(msg, "role"), *type = string_of(msg, "type");
    if (role)
        return role;
    if (type_is(type, "function_call", NULL, NULL))
        return "assistant";
    if (type_is(type, "function_call_output", NULL, NULL))
        return "tool";
    return "user"; /* the Responses API's input as a plain string */
}

static bool is_system(const cJSON *msg)
{
    const char *role = string_of(msg, "role");
    return role && (!strcmp(role, "system") || !strcmp(role, "developer"));
}

/* Whether a message holds anything but results shown under their calls. */
static bool has_own_content(const struct builder *b, const cJSON *msg)
{
    if (result_id(msg))
        return !shown_under_call(b, msg);
    const cJSON *content = item_of(msg, "content"), *part;
    if (!cJSON_IsArray(content))
        return true;
    cJSON_ArrayForEach(part, content) {
        if (!result_id(part) || !shown_under_call(b, part))
            return true;
    }
    return cJSON_GetArraySize(content) == 0 || item_of(msg, "tool_calls");
}

static bool same_as_previous(const struct builder *b, size_t index)
{
    return b->facts && b->facts->same && index < b->facts->nsame && b->facts->same[index];
}

static void title_section(struct builder *b, size_t s, const char *what, bool same)
{
    char size[32], title[256];
    tg_format_size(tg_doc_section_size(b->doc, s), size, sizeof size);
    snprintf(title, sizeof title, "%s · %s%s", what, size, same ? " · same as in the previous request" : "");
    tg_doc_set_title(b->doc, s, title);
}

static size_t add_message(struct builder *b, int level, const cJSON *msg, bool same, bool folded)
{
    size_t s = tg_doc_section(b->doc, level, TG_DOC_MESSAGE, "", folded);
    b->level = level;
    render_message_body(b, msg);
    b->level = 0;
    char what[96];
    snprintf(what, sizeof what, "%.80s", role_of(msg));
    title_section(b, s, what, same);
    return s;
}

/* ---- system, tools ---- */

static size_t count_system_blocks(const cJSON *prompt)
{
    size_t n = 0;
    const cJSON *msg;
    cJSON_ArrayForEach(msg, prompt) {
        if (!is_system(msg))
            continue;
        const cJSON *content = item_of(msg, "content");
        n += cJSON_IsArray(content) ? (size_t)cJSON_GetArraySize(content) : 1;
    }
    return n;
}

static void add_system(struct builder *b)
{
    size_t total = count_system_blocks(b->prompt), n = 0, index = 0;
    const cJSON *msg;
    cJSON_ArrayForEach(msg, b->prompt) {
        bool same = same_as_previous(b, index++);
        if (!is_system(msg))
            continue;
        const cJSON *content = item_of(msg, "content"), *part;
        cJSON_ArrayForEach(part, array_or_null(content)) {
            size_t s = tg_doc_section(b->doc, 1, TG_DOC_SYSTEM, "", true);
            render_part(b, BODY_INDENT, part);
            char what[64];
            snprintf(what, sizeof what, "system %zu/%zu", ++n, total);
            title_section(b, s, what, same);
        }
        if (!cJSON_IsArray(content)) {
            size_t s = tg_doc_section(b->doc, 1, TG_DOC_SYSTEM, "", true);
            render_content(b, BODY_INDENT, content);
            char what[64];
            snprintf(what, sizeof what, "system %zu/%zu", ++n, total);
            title_section(b, s, what, same);
        }
    }
}

static const cJSON *tools_of(const cJSON *log)
{
    const cJSON *tools = item_of(log, "tools");
    if (!cJSON_IsArray(tools))
        tools = item_of(item_of(log, "full_request"), "tools");
    return cJSON_IsArray(tools) && cJSON_GetArraySize(tools) > 0 ? tools : NULL;
}

/* Its name; else its type for the Responses API's built-ins (web_search,
 * tool_search); else the one key of Gemini's ({"googleSearch": {}}). */
static const char *tool_name(const cJSON *tool, const cJSON *def)
{
    const char *name = string_of(def, "name"), *type = string_of(tool, "type");
    if (name)
        return name;
    if (type && strcmp(type, "function") != 0)
        return type;
    if (cJSON_IsObject(tool) && cJSON_GetArraySize(tool) == 1 && tool->child->string)
        return tool->child->string;
    return "(unnamed tool)";
}

static void add_tool(struct builder *b, const cJSON *tool)
{
    const cJSON *fn = item_of(tool, "function");
    const cJSON *def = cJSON_IsObject(fn) ? fn : tool;
    const char *description = string_of(def, "description");
    const cJSON *schema = item_of(def, "input_schema"), *format = item_of(def, "format");
    if (!schema)
        schema = item_of(def, "parameters");
    if (!schema)
        schema = item_of(def, "parametersJsonSchema"); /* Gemini */
    size_t s = tg_doc_section(b->doc, 2, TG_DOC_TOOL, "", true);
    if (description)
        tg_doc_text(b->doc, 6, description);
    if (schema) {
        tg_doc_text(b->doc, 6, "parameters:");
        add_json(b, 8, schema);
    }
    if (cJSON_IsObject(format)) { /* a free-text tool's grammar (Codex's apply_patch) */
        tg_doc_text(b->doc, 6, "format:");
        if (string_of(format, "definition"))
            tg_doc_text(b->doc, 8, string_of(format, "definition"));
        else
            add_json(b, 8, format);
    }
    if (!description && !schema && !cJSON_IsObject(format))
        add_json(b, 6, tool);
    char what[96];
    snprintf(what, sizeof what, "%.80s", tool_name(tool, def));
    title_section(b, s, what, false);
}

static void add_tools(struct builder *b, const cJSON *tools)
{
    size_t group = tg_doc_section(b->doc, 1, TG_DOC_GROUP, "", false);
    const cJSON *tool;
    cJSON_ArrayForEach(tool, tools) add_tool(b, tool);
    char what[64];
    snprintf(what, sizeof what, "tools · %d offered (Enter opens one)", cJSON_GetArraySize(tools));
    title_section(b, group, what, false);
}

/* ---- fields and cost ---- */

static void add_field(struct builder *b, const char *label, const cJSON *log, const char *name)
{
    const cJSON *item = item_of(log, name);
    if (!item || cJSON_IsNull(item))
        return;
    char *value = cJSON_IsString(item) ? strdup(item->valuestring) : cJSON_PrintUnformatted(item);
    if (!value)
        return;
    struct strbuf line = STRBUF_INIT;
    strbuf_printf(&line, "%-14s %s", label, value);
    if (line.data)
        tg_doc_text(b->doc, 0, line.data);
    strbuf_free(&line);
    free(value);
}

static void add_fields(struct builder *b, const cJSON *log)
{
    static const char *const fields[][2] = {
        {"id", "unique_id"}, {"time", "timestamp"}, {"started", "start_time"}, {"developer", "customer_identifier"},
        {"name", "customer_name"}, {"key", "organization_key_name"}, {"key id", "organization_key_id"},
        {"model", "model"}, {"provider", "provider_id"}, {"latency s", "latency"}, {"ttft s", "ttft"},
        {"status", "status_code"}, {"error", "error_message"}, {"thread", "thread_identifier"},
        {"trace", "trace_unique_id"}, {"metadata", "metadata"},
    };
    tg_doc_section(b->doc, 0, TG_DOC_PLAIN, NULL, false);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        add_field(b, fields[i][0], log, fields[i][1]);
}

/* A per-token price in USD (the gateway's prompt_unit_price) as pico-dollars. */
static int64_t pico_of(const cJSON *log, const char *name)
{
    const cJSON *v = item_of(log, name);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1 ? (int64_t)(v->valuedouble * 1e12 + 0.5)
                                                                         : -1;
}

static void cost_line(struct builder *b, const char *what, int64_t tokens, int64_t pico)
{
    char per_m[48], part[48], line[200];
    tg_nanos_format_plain(pico * PICO_PER_NANO, per_m, sizeof per_m); /* per million tokens */
    tg_nanos_format_plain((tokens * pico + PICO_PER_NANO / 2) / PICO_PER_NANO, part, sizeof part);
    snprintf(line, sizeof line, "%-12s %12lld tok  x $%s / 1M  = $%s", what, (long long)tokens, per_m, part);
    tg_doc_text(b->doc, BODY_INDENT, line);
}

static void add_cost(struct builder *b, const cJSON *log)
{
    const struct tg_request_facts *f = b->facts;
    char money[48], title[160];
    tg_nanos_format_plain(f->cost, money, sizeof money);
    static const char *const sources[] = {"from the gateway", "estimated by tollgate", "unpriced: model not in the table",
                                          "failed request, no cost given: not charged"};
    size_t kinds = sizeof sources / sizeof sources[0];
    snprintf(title, sizeof title, "cost $%s (%s)", money,
             sources[f->cost_kind >= 0 && (size_t)f->cost_kind < kinds ? f->cost_kind : 0]);
    tg_doc_section(b->doc, 0, TG_DOC_PLAIN, title, false);
    if (f->cost_kind == TG_COST_NOT_CHARGED)
        return; /* nothing was charged: a split of what it would have cost misleads */
    struct tg_price price = f->table ? *f->table : (struct tg_price){-1, -1, -1, -1};
    int64_t in = pico_of(log, "prompt_unit_price"), out = pico_of(log, "completion_unit_price");
    bool gateway_prices = in >= 0 && out >= 0;
    if (gateway_prices) {
        price.output_pico = out;
        if (!f->table)
            price.cache_read_pico = price.cache_creation_pico = in;
        price.input_pico = in;
    }
    if (!gateway_prices && !f->table) {
        tg_doc_text(b->doc, BODY_INDENT, "no price known for this model: the split cannot be shown");
        return;
    }
    const struct tg_token_counts *t = &f->tokens;
    int64_t uncached = t->prompt - t->cache_read - t->cache_creation;
    cost_line(b, "input", uncached > 0 ? uncached : 0, price.input_pico);
    cost_line(b, "cache read", t->cache_read, price.cache_read_pico);
    cost_line(b, "cache write", t->cache_creation, price.cache_creation_pico);
    cost_line(b, "output", t->completion, price.output_pico);
    char source[200];
    if (gateway_prices)
        snprintf(source, sizeof source, "price: the gateway's unit prices (prompt_unit_price, completion_unit_price)%s",
                 f->table ? "; cache prices from the pricing table" : "");
    else
        snprintf(source, sizeof source, "price: the pricing table, for %.80s%s", f->table_model ? f->table_model : "?",
                 f->cost_kind == 0 ? " (the total is the gateway's)" : "");
    tg_doc_text(b->doc, BODY_INDENT, source);
}

/* ---- the whole ---- */

/* The last user message with words of its own (not only tool results). */
static int last_user_message(const struct builder *b)
{
    int i = 0, last = -1;
    const cJSON *msg;
    cJSON_ArrayForEach(msg, b->prompt) {
        if (!strcmp(role_of(msg), "user") && has_own_content(b, msg))
            last = i;
        i++;
    }
    return last;
}

static void add_prompt(struct builder *b, const cJSON *log, size_t *focus)
{
    size_t group = tg_doc_section(b->doc, 0, TG_DOC_GROUP, "PROMPT", false);
    add_system(b);
    const cJSON *tools = tools_of(log);
    cJSON *flat = tg_shapes_flat_tools(tools); /* Gemini's: one entry per function */
    if (tools)
        add_tools(b, flat ? flat : tools);
    cJSON_Delete(flat);
    int open_from = last_user_message(b), i = 0;
    const cJSON *msg;
    cJSON_ArrayForEach(msg, b->prompt) {
        int index = i++;
        if (is_system(msg) || !has_own_content(b, msg))
            continue;
        size_t s = add_message(b, 1, msg, same_as_previous(b, (size_t)index), index < open_from);
        if (index == open_from)
            *focus = s;
    }
    char title[96], size[32];
    tg_format_size(tg_doc_section_size(b->doc, group), size, sizeof size);
    snprintf(title, sizeof title, "PROMPT · %d messages · %s", cJSON_GetArraySize(b->prompt), size);
    tg_doc_set_title(b->doc, group, title);
}

struct tg_doc *tg_request_document(const cJSON *log, const struct tg_request_facts *facts, size_t *focus)
{
    struct tg_doc *doc = tg_doc_new();
    if (!doc)
        return NULL;
    cJSON *prompt = NULL, *completion = NULL;
    tg_log_messages(log, &prompt, &completion);
    if (!prompt)
        prompt = tg_shapes_gemini_prompt(log);
    if (!completion)
        completion = tg_shapes_gemini_completion(log);
    tg_shapes_normalise(prompt);
    tg_shapes_normalise(completion);
    struct builder b = {doc, prompt, facts, 0};
    add_fields(&b, log);
    add_cost(&b, log);
    *focus = 0;
    if (facts->pruned) {
        tg_doc_section(doc, 0, TG_DOC_PLAIN, NULL, false);
        tg_doc_text(doc, 0, "\nbody pruned: `tollgate prune` dropped this request's prompt and response;\n"
                            "its row, cost and tokens are kept.");
        cJSON_Delete(prompt);
        cJSON_Delete(completion);
        return doc;
    }
    *focus = SIZE_MAX;
    add_prompt(&b, log, focus);
    size_t response = tg_doc_section(doc, 0, TG_DOC_GROUP, "RESPONSE", false);
    struct builder rb = {doc, completion, NULL, 0};
    const cJSON *msg;
    cJSON_ArrayForEach(msg, completion) add_message(&rb, 1, msg, false, false);
    if (!completion)
        tg_doc_text(doc, BODY_INDENT, "(no response in the log)");
    if (*focus == SIZE_MAX)
        *focus = response;
    cJSON_Delete(prompt);
    cJSON_Delete(completion);
    return doc;
}

char *tg_json_for_terminal(const char *raw, size_t len, size_t *out_len)
{
    struct strbuf out = STRBUF_INIT;
    const unsigned char *s = (const unsigned char *)raw;
    for (size_t i = 0; i < len; i++) {
        unsigned c = s[i];
        if (c == 0xC2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] < 0xA0)
            c = s[++i]; /* a C1 control, U+0080..U+009F */
        else if ((c >= 0x20 && c != 0x7f) || c == '\n' || c == '\t' || c == '\r') {
            strbuf_putc(&out, (char)c);
            continue;
        }
        strbuf_printf(&out, "\\u%04x", c);
    }
    *out_len = out.len;
    if (out.failed) {
        strbuf_free(&out);
        return NULL;
    }
    return out.data ? strbuf_detach(&out) : strdup("");
}
