#include "query/requestdoc_shapes.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A functionCall not answered yet: its functionResponse, later in the
 * conversation, is shown under it. Both strings live in the rewritten tree. */
struct pending_call {
    const char *name;
    const char *id;
};

struct pairing {
    struct pending_call *calls;
    size_t n, cap;
    unsigned made_ids; /* ids given to calls that came without one */
};

static const cJSON *item_of(const cJSON *obj, const char *name)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
}

static const char *string_of(const cJSON *obj, const char *name)
{
    const cJSON *item = item_of(obj, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Gemini's REST API spells fields in camelCase, its Python SDK's dumps in snake_case. */
static cJSON *either(const cJSON *obj, const char *camel, const char *snake)
{
    const cJSON *item = item_of(obj, camel);
    return (cJSON *)(item ? item : item_of(obj, snake));
}

static bool type_is(const cJSON *obj, const char *type)
{
    const char *t = string_of(obj, "type");
    return t && strcmp(t, type) == 0;
}

/* ---- pairing calls with their responses ---- */

static void remember_call(struct pairing *p, const char *name, const char *id)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        struct pending_call *grown = realloc(p->calls, cap * sizeof *grown);
        if (!grown)
            return; /* the call's result is then shown where it came */
        p->calls = grown;
        p->cap = cap;
    }
    p->calls[p->n++] = (struct pending_call){name, id};
}

/* The id of the call a response answers: the call with its id, else the
 * oldest unanswered call of the same name (parallel calls are answered in
 * the order they were made). NULL when none is waiting. */
static const char *claim_call(struct pairing *p, const char *id, const char *name)
{
    size_t found = p->n;
    for (size_t i = 0; id && i < p->n && found == p->n; i++)
        if (p->calls[i].id && strcmp(p->calls[i].id, id) == 0)
            found = i;
    for (size_t i = 0; name && i < p->n && found == p->n; i++)
        if (p->calls[i].name && strcmp(p->calls[i].name, name) == 0)
            found = i;
    if (found == p->n)
        return NULL;
    const char *call_id = p->calls[found].id;
    memmove(p->calls + found, p->calls + found + 1, (p->n - found - 1) * sizeof *p->calls);
    p->n--;
    return call_id;
}

/* ---- Gemini parts ---- */

static cJSON *text_block(const char *type, const char *field, const char *text)
{
    cJSON *block = cJSON_CreateObject();
    cJSON_AddStringToObject(block, "type", type);
    cJSON_AddStringToObject(block, field, text ? text : "");
    return block;
}

static cJSON *call_block(cJSON *call, struct pairing *p)
{
    const char *id = string_of(call, "id"), *name = string_of(call, "name");
    char made[40];
    if (!id || !*id) {
        snprintf(made, sizeof made, "gemini-call-%u", ++p->made_ids);
        id = made;
    }
    cJSON *block = cJSON_CreateObject();
    cJSON_AddStringToObject(block, "type", "tool_use");
    cJSON *id_item = cJSON_AddStringToObject(block, "id", id);
    cJSON *name_item = cJSON_AddStringToObject(block, "name", name ? name : "?");
    cJSON *args = cJSON_DetachItemFromObjectCaseSensitive(call, "args");
    if (args)
        cJSON_AddItemToObject(block, "input", args);
    if (id_item && name_item)
        remember_call(p, name_item->valuestring, id_item->valuestring);
    return block;
}

/* {"output": "text"} (what Gemini CLI sends) shows as the text itself; an
 * {"error": ...} marks the result an error; anything else as JSON. */
static void add_response_body(cJSON *block, cJSON *response)
{
    cJSON *error = cJSON_DetachItemFromObjectCaseSensitive(response, "error");
    if (error) {
        cJSON_AddTrueToObject(block, "is_error");
        cJSON_AddItemToObject(block, "content", error);
        cJSON_Delete(response);
        return;
    }
    const cJSON *only = cJSON_IsObject(response) && cJSON_GetArraySize(response) == 1 ? response->child : NULL;
    if (only && cJSON_IsString(only) && (!strcmp(only->string, "output") || !strcmp(only->string, "content"))) {
        cJSON_AddStringToObject(block, "content", only->valuestring);
        cJSON_Delete(response);
        return;
    }
    cJSON_AddItemToObject(block, "content", response);
}

static cJSON *result_block(cJSON *response_part, struct pairing *p)
{
    const char *id = string_of(response_part, "id"), *name = string_of(response_part, "name");
    const char *call_id = claim_call(p, id, name);
    char made[40];
    if (!call_id && !(call_id = id)) { /* answers no call in the log: shown where it is */
        snprintf(made, sizeof made, "gemini-result-%u", ++p->made_ids);
        call_id = made;
    }
    cJSON *block = cJSON_CreateObject();
    cJSON_AddStringToObject(block, "type", "tool_result");
    cJSON_AddStringToObject(block, "tool_use_id", call_id);
    cJSON *response = cJSON_DetachItemFromObjectCaseSensitive(response_part, "response");
    if (response)
        add_response_body(block, response);
    return block;
}

/* "code (PYTHON):" and the code under it, in one text block. */
static cJSON *labelled_text(const char *label, const char *detail, const char *body)
{
    size_t len = strlen(label) + (detail ? strlen(detail) : 0) + (body ? strlen(body) : 0) + 8;
    char *text = malloc(len);
    if (!text)
        return NULL;
    snprintf(text, len, "%s%s%s%s%s%s", label, detail ? " (" : "", detail ? detail : "", detail ? ")" : "",
             body ? ":\n" : "", body ? body : "");
    cJSON *block = text_block("text", "text", text);
    free(text);
    return block;
}

static cJSON *data_block(const cJSON *data, const char *what)
{
    const char *mime = string_of(data, "mimeType");
    if (!mime)
        mime = string_of(data, "mime_type");
    if (mime && !strncmp(mime, "image/", 6))
        return text_block("image", "source", "gemini");
    const char *where = string_of(data, "fileUri");
    if (!where)
        where = string_of(data, "file_uri");
    char detail[600];
    snprintf(detail, sizeof detail, "%.200s%s%.380s", mime ? mime : "?", where ? ", " : "", where ? where : "");
    return labelled_text(what, detail, NULL);
}

/* The part as requestdoc renders it, or NULL when it is not a Gemini part. */
static cJSON *convert_part(cJSON *part, struct pairing *p)
{
    if (!cJSON_IsObject(part) || item_of(part, "type"))
        return NULL;
    cJSON *call = either(part, "functionCall", "function_call");
    cJSON *response = either(part, "functionResponse", "function_response");
    const cJSON *code = either(part, "executableCode", "executable_code");
    const cJSON *outcome = either(part, "codeExecutionResult", "code_execution_result");
    const cJSON *data = either(part, "inlineData", "inline_data"), *file = either(part, "fileData", "file_data");
    const char *text = string_of(part, "text");
    if (cJSON_IsObject(call))
        return call_block(call, p);
    if (cJSON_IsObject(response))
        return result_block(response, p);
    if (text)
        return cJSON_IsTrue(item_of(part, "thought")) ? text_block("thinking", "thinking", text)
                                                      : text_block("text", "text", text);
    if (cJSON_IsObject(code))
        return labelled_text("code", string_of(code, "language"), string_of(code, "code"));
    if (cJSON_IsObject(outcome))
        return labelled_text("code result", string_of(outcome, "outcome"), string_of(outcome, "output"));
    if (cJSON_IsObject(data))
        return data_block(data, "[inline data]");
    if (cJSON_IsObject(file))
        return data_block(file, "[file]");
    return NULL;
}

static void convert_parts(cJSON *content, struct pairing *p)
{
    int i = 0;
    cJSON *part = content->child;
    while (part) {
        cJSON *next = part->next;
        cJSON *block = convert_part(part, p);
        if (block)
            cJSON_ReplaceItemInArray(content, i, block);
        part = next;
        i++;
    }
}

/* ---- messages ---- */

static void set_string(cJSON *obj, const char *name, const char *value)
{
    cJSON *item = cJSON_CreateString(value);
    if (!item)
        return;
    if (item_of(obj, name))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, name, item);
    else
        cJSON_AddItemToObject(obj, name, item);
}

static void rename_item(cJSON *obj, const char *from, const char *to)
{
    cJSON *item = cJSON_DetachItemFromObjectCaseSensitive(obj, from);
    if (item)
        cJSON_AddItemToObject(obj, to, item);
}

/* A Responses API reasoning item: its summary (or reasoning text) as
 * thinking; only encrypted content says so. */
static void convert_reasoning(cJSON *item)
{
    cJSON *blocks = cJSON_CreateArray();
    const cJSON *lists[] = {item_of(item, "summary"), item_of(item, "content")}, *part;
    for (size_t i = 0; i < 2; i++) {
        cJSON_ArrayForEach(part, (cJSON_IsArray(lists[i]) ? lists[i] : NULL)) {
            if (string_of(part, "text"))
                cJSON_AddItemToArray(blocks, text_block("thinking", "thinking", string_of(part, "text")));
        }
    }
    if (cJSON_GetArraySize(blocks) == 0)
        cJSON_AddItemToArray(blocks, text_block("text", "text", "(reasoning, encrypted)"));
    cJSON_DeleteItemFromObjectCaseSensitive(item, "summary");
    cJSON_DeleteItemFromObjectCaseSensitive(item, "content");
    cJSON_DeleteItemFromObjectCaseSensitive(item, "encrypted_content");
    cJSON_DeleteItemFromObjectCaseSensitive(item, "type");
    set_string(item, "role", "assistant");
    cJSON_AddItemToObject(item, "content", blocks);
}

/* Codex's free-text tools (apply_patch) and local shell calls read as the
 * function calls requestdoc already shows with their outputs under them. */
static void convert_responses_item(cJSON *item)
{
    if (type_is(item, "reasoning")) {
        convert_reasoning(item);
    } else if (type_is(item, "custom_tool_call")) {
        set_string(item, "type", "function_call");
        rename_item(item, "input", "arguments");
    } else if (type_is(item, "local_shell_call")) {
        set_string(item, "type", "function_call");
        if (!string_of(item, "name"))
            set_string(item, "name", "local_shell");
        rename_item(item, "action", "arguments");
    } else if (type_is(item, "custom_tool_call_output") || type_is(item, "local_shell_call_output")) {
        set_string(item, "type", "function_call_output");
    }
}

static void convert_message(cJSON *msg, struct pairing *p)
{
    if (!cJSON_IsObject(msg))
        return;
    convert_responses_item(msg);
    if (!item_of(msg, "content") && cJSON_IsArray(item_of(msg, "parts")))
        rename_item(msg, "parts", "content");
    const char *role = string_of(msg, "role");
    if (role && strcmp(role, "model") == 0)
        set_string(msg, "role", "assistant");
    cJSON *content = (cJSON *)item_of(msg, "content");
    cJSON *parts = (cJSON *)item_of(content, "parts");
    if (cJSON_IsObject(content) && cJSON_IsArray(parts)) { /* a Content object: {role, parts} */
        cJSON_ReplaceItemInObjectCaseSensitive(msg, "content", cJSON_DetachItemViaPointer(content, parts));
        content = parts;
    }
    if (cJSON_IsArray(content))
        convert_parts(content, p);
}

void tg_shapes_normalise(cJSON *messages)
{
    if (!cJSON_IsArray(messages))
        return;
    struct pairing p = {0};
    cJSON *msg;
    cJSON_ArrayForEach(msg, messages) convert_message(msg, &p);
    free(p.calls);
}

/* ---- raw Gemini bodies, tools ---- */

static const cJSON *raw_body_with(const cJSON *log, const char *raw, const char *field)
{
    if (item_of(log, field))
        return log;
    const cJSON *body = item_of(log, raw);
    return item_of(body, field) ? body : NULL;
}

cJSON *tg_shapes_gemini_prompt(const cJSON *log)
{
    const cJSON *request = raw_body_with(log, "full_request", "contents");
    const cJSON *contents = item_of(request, "contents"), *c;
    if (!cJSON_IsArray(contents))
        return NULL;
    cJSON *messages = cJSON_CreateArray();
    const cJSON *system = either(request, "systemInstruction", "system_instruction");
    if (system) {
        cJSON *msg = cJSON_CreateObject();
        cJSON_AddStringToObject(msg, "role", "system");
        cJSON_AddItemToObject(msg, "content", cJSON_Duplicate(system, 1));
        cJSON_AddItemToArray(messages, msg);
    }
    cJSON_ArrayForEach(c, contents) cJSON_AddItemToArray(messages, cJSON_Duplicate(c, 1));
    return messages;
}

cJSON *tg_shapes_gemini_completion(const cJSON *log)
{
    const cJSON *response = raw_body_with(log, "full_response", "candidates");
    const cJSON *candidates = item_of(response, "candidates");
    const cJSON *content = item_of(cJSON_IsArray(candidates) ? candidates->child : NULL, "content");
    if (!cJSON_IsObject(content))
        return NULL;
    cJSON *messages = cJSON_CreateArray();
    cJSON_AddItemToArray(messages, cJSON_Duplicate(content, 1));
    return messages;
}

static const cJSON *declarations_of(const cJSON *tool)
{
    const cJSON *decls = either(tool, "functionDeclarations", "function_declarations");
    return cJSON_IsArray(decls) ? decls : NULL;
}

cJSON *tg_shapes_flat_tools(const cJSON *tools)
{
    const cJSON *tool, *decl;
    bool gemini = false;
    cJSON_ArrayForEach(tool, (cJSON_IsArray(tools) ? tools : NULL)) gemini = gemini || declarations_of(tool);
    if (!gemini)
        return NULL;
    cJSON *flat = cJSON_CreateArray();
    cJSON_ArrayForEach(tool, tools) {
        const cJSON *decls = declarations_of(tool);
        if (!decls)
            cJSON_AddItemReferenceToArray(flat, (cJSON *)tool);
        cJSON_ArrayForEach(decl, decls) cJSON_AddItemReferenceToArray(flat, (cJSON *)decl);
    }
    return flat;
}
