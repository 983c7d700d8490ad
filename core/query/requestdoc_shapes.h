/* The request document (requestdoc.h) renders Anthropic blocks, OpenAI chat
 * messages and Responses API function_call items. This module brings the
 * other shapes agents send into those forms before it renders, so their logs
 * read the same way:
 *  - Gemini: {role, parts} contents, role "model", parts {text},
 *    {text, thought}, {functionCall {name, args, id}}, {functionResponse
 *    {name, response, id}}, {inlineData}, {fileData}, {executableCode},
 *    {codeExecutionResult}; a system instruction given as {parts}; a log that
 *    has only the raw request (contents, systemInstruction) or response
 *    (candidates); tools nested as tools[].functionDeclarations[].
 *    A functionResponse is paired with its functionCall by id, else by name
 *    in order, so the result shows under its call.
 *  - Responses API items Codex sends: reasoning (its summary as thinking),
 *    custom_tool_call / custom_tool_call_output (apply_patch's free text).
 * Everything works on trees the caller owns. */
#ifndef TG_REQUESTDOC_SHAPES_H
#define TG_REQUESTDOC_SHAPES_H

#include <cjson/cJSON.h>

/* Rewrites a message array in place into the forms requestdoc renders.
 * Messages it does not recognise are left as they are. NULL is fine. */
void tg_shapes_normalise(cJSON *messages);

/* When the log has no prompt_messages / input but its raw Gemini request
 * (top level or full_request: contents, systemInstruction): the prompt as a
 * message array, system instruction first. NULL when there is none. */
cJSON *tg_shapes_gemini_prompt(const cJSON *log);

/* Likewise the response from a raw Gemini response (full_response or top
 * level candidates[0].content). NULL when there is none. */
cJSON *tg_shapes_gemini_completion(const cJSON *log);

/* Gemini's tools (each entry holding functionDeclarations[]) flattened to one
 * entry per function, referencing the log's own items (delete the array
 * only); other entries ({googleSearch: {}}) referenced as they are. NULL when
 * no entry has functionDeclarations: the tools are used as they are. */
cJSON *tg_shapes_flat_tools(const cJSON *tools);

#endif
