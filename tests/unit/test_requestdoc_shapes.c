/* The detail document of the shapes other agents send: Gemini CLI's parts,
 * function calls and nested tool declarations, a raw Gemini request and
 * response, and Codex's Responses API items and built-in tools, read as
 * Claude Code's do (tools by name, calls as calls, results under them).
 * Fixtures are written by hand in the clients' shapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "query/document.h"
#include "query/requestdoc.h"

static char *document_text(const char *json, size_t *focus_kind_out)
{
    cJSON *log = cJSON_Parse(json);
    assert_non_null(log);
    struct tg_request_facts facts = {.tokens = {100, 10, 0, 0}, .cost = 1000, .cost_kind = 0};
    size_t focus;
    struct tg_doc *doc = tg_request_document(log, &facts, &focus);
    cJSON_Delete(log);
    assert_non_null(doc);
    if (focus_kind_out)
        *focus_kind_out = tg_doc_section_kind(doc, focus);
    struct strbuf sb = STRBUF_INIT;
    tg_doc_copy_all(doc, &sb);
    tg_doc_free(doc);
    return strbuf_detach(&sb);
}

/* What the gateway logs for Gemini CLI: parts kept as the message content. */
static const char GEMINI_LOG[] =
    "{\"model\":\"gemini-2.5-pro\",\"provider_id\":\"google_gemini_ai\","
    "\"tools\":[{\"functionDeclarations\":["
    "{\"name\":\"read_file\",\"description\":\"Reads a file.\",\"parametersJsonSchema\":{\"type\":\"object\","
    "\"properties\":{\"absolute_path\":{\"type\":\"string\"}}}},"
    "{\"name\":\"run_shell_command\",\"description\":\"Runs a command.\",\"parameters\":{\"type\":\"OBJECT\"}}]}],"
    "\"prompt_messages\":[{\"role\":\"system\",\"content\":\"You are a CLI agent.\"},"
    "{\"role\":\"user\",\"content\":[{\"text\":\"<session_context>cwd</session_context>\"},"
    "{\"text\":\"summarise app.py\"}]},"
    "{\"role\":\"model\",\"content\":[{\"text\":\"Reading it.\"},{\"functionCall\":{\"name\":\"read_file\","
    "\"args\":{\"absolute_path\":\"/src/app.py\",\"opts\":{\"window\":{\"lines\":[1,2,3,4,5,6,7,8,9,10,11,12,13,"
    "14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30]}}}},\"thoughtSignature\":\"sig\"}]},"
    "{\"role\":\"user\",\"content\":[{\"functionResponse\":{\"name\":\"read_file\","
    "\"response\":{\"output\":\"def main():\\n    pass\\n\"}}}]}],"
    "\"completion_message\":{\"role\":\"model\",\"content\":[{\"text\":\"It defines main.\"}]}}";

static void test_gemini_parts_read_as_text_calls_and_results(void **state)
{
    (void)state;
    size_t focus_kind;
    char *text = document_text(GEMINI_LOG, &focus_kind);
    assert_null(strstr(text, "\"functionCall\""));
    assert_null(strstr(text, "\"functionResponse\""));
    assert_null(strstr(text, "\"text\":"));
    assert_null(strstr(text, "thoughtSignature"));
    assert_non_null(strstr(text, "  summarise app.py\n"));
    assert_non_null(strstr(text, "  Reading it.\n"));
    const char *call = strstr(text, "read_file(absolute_path=\"/src/app.py\", ...)");
    assert_non_null(call);
    assert_non_null(strstr(call, "\"window\": {")); /* the long argument pretty-printed with spaces */
    const char *result = strstr(call, "result:\n");
    assert_non_null(result);
    assert_non_null(strstr(result, "      def main():\n")); /* the output itself, under the call */
    assert_null(strstr(result, "\"output\""));
    /* role "model" is the assistant, and the response is text too */
    assert_null(strstr(text, "model ·"));
    assert_non_null(strstr(text, "assistant · "));
    assert_non_null(strstr(text, "  It defines main.\n"));
    /* the message holding only the response is not shown again: the user's words are the focus */
    assert_int_equal(focus_kind, TG_DOC_MESSAGE);
    free(text);
}

static void test_gemini_tools_one_line_per_function(void **state)
{
    (void)state;
    char *text = document_text(GEMINI_LOG, NULL);
    assert_null(strstr(text, "(unnamed tool)"));
    assert_null(strstr(text, "functionDeclarations"));
    assert_non_null(strstr(text, "tools · 2 offered"));
    const char *read = strstr(text, "\n    read_file · ");
    assert_non_null(read);
    assert_non_null(strstr(read, "      Reads a file.\n      parameters:\n"));
    assert_non_null(strstr(read, "\"absolute_path\": {"));
    assert_non_null(strstr(text, "\n    run_shell_command · "));
    free(text);
}

/* Parallel calls with no ids are answered in order; an error response is marked. */
static void test_gemini_parallel_calls_pair_by_name_in_order(void **state)
{
    (void)state;
    char *text = document_text(
        "{\"prompt_messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"compare a and b\"}]},"
        "{\"role\":\"model\",\"content\":[{\"functionCall\":{\"name\":\"read_file\",\"args\":{\"path\":\"a\"}}},"
        "{\"functionCall\":{\"name\":\"read_file\",\"args\":{\"path\":\"b\"}}},"
        "{\"functionCall\":{\"name\":\"glob\",\"args\":{\"pattern\":\"*\"},\"id\":\"g1\"}}]},"
        "{\"role\":\"user\",\"content\":[{\"functionResponse\":{\"name\":\"glob\",\"id\":\"g1\","
        "\"response\":{\"error\":\"no access\"}}},"
        "{\"functionResponse\":{\"name\":\"read_file\",\"response\":{\"output\":\"AAA\"}}},"
        "{\"functionResponse\":{\"name\":\"read_file\",\"response\":{\"output\":\"BBB\",\"lines\":1}}}]}]}",
        NULL);
    const char *a = strstr(text, "read_file(path=\"a\")"), *b = strstr(text, "read_file(path=\"b\")");
    const char *g = strstr(text, "glob(pattern=\"*\")");
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(g);
    const char *aaa = strstr(text, "AAA"), *bbb = strstr(text, "\"output\": \"BBB\"");
    assert_non_null(aaa);
    assert_non_null(bbb); /* more than the output: the response as JSON with spaces */
    assert_true(a < aaa && aaa < b && b < bbb && bbb < g);
    assert_non_null(strstr(g, "result (error):\n      no access"));
    free(text);
}

/* A log holding only the raw Gemini bodies: systemInstruction, contents, candidates. */
static void test_raw_gemini_request_and_response(void **state)
{
    (void)state;
    char *text = document_text(
        "{\"full_request\":{\"systemInstruction\":{\"parts\":[{\"text\":\"Be brief.\"},{\"text\":\"Be kind.\"}]},"
        "\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hello there\"},"
        "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"iVBORw0\"}}]}],"
        "\"tools\":[{\"googleSearch\":{}},{\"function_declarations\":[{\"name\":\"lookup\"}]}]},"
        "\"full_response\":{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":["
        "{\"text\":\"pondering\",\"thought\":true},{\"text\":\"hi\"},"
        "{\"executableCode\":{\"language\":\"PYTHON\",\"code\":\"print(1)\"}}]}}]}}",
        NULL);
    assert_non_null(strstr(text, "system 1/2"));
    assert_non_null(strstr(text, "  Be brief.\n"));
    assert_non_null(strstr(text, "system 2/2"));
    assert_non_null(strstr(text, "  hello there\n  [image]\n"));
    assert_non_null(strstr(text, "tools · 2 offered"));
    assert_non_null(strstr(text, "\n    googleSearch · "));
    assert_non_null(strstr(text, "\n    lookup · "));
    const char *response = strstr(text, "RESPONSE");
    assert_non_null(response);
    assert_non_null(strstr(response, "assistant · "));
    assert_non_null(strstr(response, "thinking:\n    pondering\n  hi\n"));
    assert_non_null(strstr(response, "code (PYTHON):\n  print(1)"));
    assert_null(strstr(text, "(no response in the log)"));
    free(text);
}

/* Codex: built-in tools by their type, a free-text tool's grammar, reasoning
 * items and apply_patch calls with their outputs under them. */
static void test_codex_items_and_builtin_tools(void **state)
{
    (void)state;
    char *text = document_text(
        "{\"log_type\":\"response\",\"tools\":[{\"type\":\"function\",\"name\":\"exec_command\","
        "\"description\":\"Runs a command.\",\"parameters\":{\"type\":\"object\"}},"
        "{\"type\":\"custom\",\"name\":\"apply_patch\",\"description\":\"Edits files.\","
        "\"format\":{\"type\":\"grammar\",\"syntax\":\"lark\",\"definition\":\"start: begin_patch hunk+\"}},"
        "{\"type\":\"tool_search\",\"description\":\"Finds tools.\",\"parameters\":{\"type\":\"object\"}},"
        "{\"type\":\"web_search\",\"external_web_access\":true}],"
        "\"input\":\"[{\\\"type\\\":\\\"message\\\",\\\"role\\\":\\\"developer\\\",\\\"content\\\":"
        "[{\\\"type\\\":\\\"input_text\\\",\\\"text\\\":\\\"You are Codex.\\\"}]},"
        "{\\\"type\\\":\\\"message\\\",\\\"role\\\":\\\"user\\\",\\\"content\\\":[{\\\"type\\\":\\\"input_text\\\","
        "\\\"text\\\":\\\"fix the typo\\\"}]},"
        "{\\\"type\\\":\\\"reasoning\\\",\\\"summary\\\":[{\\\"type\\\":\\\"summary_text\\\",\\\"text\\\":"
        "\\\"Need a patch.\\\"}],\\\"encrypted_content\\\":\\\"gAAAA\\\"},"
        "{\\\"type\\\":\\\"reasoning\\\",\\\"summary\\\":[],\\\"encrypted_content\\\":\\\"gAAAB\\\"},"
        "{\\\"type\\\":\\\"custom_tool_call\\\",\\\"call_id\\\":\\\"c1\\\",\\\"name\\\":\\\"apply_patch\\\","
        "\\\"input\\\":\\\"*** Begin Patch\\\\n*** End Patch\\\"},"
        "{\\\"type\\\":\\\"custom_tool_call_output\\\",\\\"call_id\\\":\\\"c1\\\",\\\"output\\\":\\\"Done!\\\"}]\"}",
        NULL);
    assert_null(strstr(text, "(unnamed tool)"));
    assert_non_null(strstr(text, "\n    tool_search · "));
    assert_non_null(strstr(text, "\n    web_search · "));
    assert_non_null(strstr(text, "      format:\n        start: begin_patch hunk+\n"));
    assert_null(strstr(text, "gAAAA"));
    assert_null(strstr(text, "\"reasoning\""));
    assert_non_null(strstr(text, "thinking:\n    Need a patch.\n"));
    assert_non_null(strstr(text, "(reasoning, encrypted)"));
    const char *call = strstr(text, "apply_patch(...)\n    *** Begin Patch\n    *** End Patch\n");
    assert_non_null(call);
    assert_non_null(strstr(call, "result:\n      Done!"));
    assert_null(strstr(text, "custom_tool_call"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemini_parts_read_as_text_calls_and_results),
        cmocka_unit_test(test_gemini_tools_one_line_per_function),
        cmocka_unit_test(test_gemini_parallel_calls_pair_by_name_in_order),
        cmocka_unit_test(test_raw_gemini_request_and_response),
        cmocka_unit_test(test_codex_items_and_builtin_tools),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
