/* The detail's document model: wrapping by display width, folding, search,
 * and a log rendered as sections with tool calls as calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "query/document.h"
#include "query/requestdoc.h"

/* Every row's text joined by '|' (rows of one line and of the next alike). */
static char *rows_of(struct tg_doc *doc)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t r = 0; r < tg_doc_row_count(doc); r++) {
        size_t len;
        int indent;
        const char *text = tg_doc_row_text(doc, r, &len, &indent);
        strbuf_append(&sb, text, len);
        strbuf_putc(&sb, '|');
    }
    return strbuf_detach(&sb);
}

static void test_wraps_by_display_width(void **state)
{
    (void)state;
    struct tg_doc *doc = tg_doc_new();
    tg_doc_section(doc, 0, TG_DOC_PLAIN, NULL, false);
    tg_doc_text(doc, 0, "山田山田山田山田山田山田"); /* 12 wide characters, 24 columns */
    tg_doc_text(doc, 0, "one two three four five");
    tg_doc_text(doc, 0, "e\xcc\x81" "e\xcc\x81" "e\xcc\x81" "e\xcc\x81" "e\xcc\x81" "e\xcc\x81" "e\xcc\x81" "e\xcc\x81"
                        "e\xcc\x81" "e\xcc\x81"); /* ten e + combining acute: 10 columns */
    assert_int_equal(tg_doc_layout(doc, 10, true), 3 + 3 + 1);
    char *rows = rows_of(doc);
    assert_string_equal(rows, "山田山田山|田山田山田|山田|one two |three four |five|"
                              "e\xcc\x81" "e\xcc\x81" "e\xcc\x81" "e\xcc\x81" "e\xcc\x81" "e\xcc\x81" "e\xcc\x81"
                              "e\xcc\x81" "e\xcc\x81" "e\xcc\x81" "|");
    free(rows);
    assert_int_equal(tg_doc_layout(doc, 10, false), 3); /* no wrap: a row per line */
    assert_int_equal(tg_doc_width("山田ab", strlen("山田ab")), 6);
    tg_doc_free(doc);
}

static void test_lines_tabs_and_controls(void **state)
{
    (void)state;
    struct tg_doc *doc = tg_doc_new();
    tg_doc_section(doc, 0, TG_DOC_PLAIN, NULL, false);
    tg_doc_text(doc, 2, "a\tb\r\n\tc\x1b[2Jd");
    tg_doc_layout(doc, 80, true);
    char *rows = rows_of(doc);
    assert_string_equal(rows, "a   b|    c\\x1b[2Jd|");
    free(rows);
    size_t len;
    int indent;
    tg_doc_row_text(doc, 0, &len, &indent);
    assert_int_equal(indent, 2);
    tg_doc_free(doc);
}

static struct tg_doc *folded_doc(void)
{
    struct tg_doc *doc = tg_doc_new();
    tg_doc_section(doc, 0, TG_DOC_GROUP, "PROMPT", false);
    tg_doc_section(doc, 1, TG_DOC_TOOL, "Read", true);
    tg_doc_text(doc, 4, "reads a file; the needle is here");
    tg_doc_section(doc, 1, TG_DOC_MESSAGE, "user", false);
    tg_doc_text(doc, 2, "hello\nNeedle again");
    tg_doc_section(doc, 0, TG_DOC_GROUP, "RESPONSE", false);
    tg_doc_text(doc, 2, "bye");
    return doc;
}

static void test_folding(void **state)
{
    (void)state;
    struct tg_doc *doc = folded_doc();
    assert_int_equal(tg_doc_layout(doc, 80, true), 7); /* PROMPT Read user hello Needle RESPONSE bye */
    tg_doc_toggle(doc, 0);                               /* PROMPT folds what is under it */
    assert_int_equal(tg_doc_layout(doc, 80, true), 3);
    assert_int_equal(tg_doc_row_of_section(doc, 1), SIZE_MAX);
    tg_doc_toggle_all(doc); /* something is open: fold everything */
    assert_int_equal(tg_doc_layout(doc, 80, true), 2);
    tg_doc_toggle_all(doc); /* all folded: open everything */
    assert_int_equal(tg_doc_layout(doc, 80, true), 8);
    assert_int_equal(tg_doc_section_size(doc, 0), strlen("reads a file; the needle is here") + strlen("hello\nNeedle again"));
    struct strbuf sb = STRBUF_INIT;
    tg_doc_section_copy(doc, 0, &sb);
    assert_string_equal(sb.data, "PROMPT\n  Read\n    reads a file; the needle is here\n  user\n  hello\n  Needle again\n");
    strbuf_free(&sb);
    tg_doc_free(doc);
}

static void test_search_reveals_and_highlights(void **state)
{
    (void)state;
    struct tg_doc *doc = folded_doc();
    tg_doc_set_folded(doc, 0, true);
    tg_doc_layout(doc, 80, true);
    assert_int_equal(tg_doc_search(doc, "NEEDLE"), 2); /* any case, folded sections too */
    assert_int_equal(tg_doc_row_of_hit(doc, 0), SIZE_MAX);
    size_t hit = tg_doc_next_hit(doc, 0, 0);
    assert_int_equal(hit, 0);
    tg_doc_reveal(doc, hit); /* opens PROMPT and Read */
    tg_doc_layout(doc, 80, true);
    size_t row = tg_doc_row_of_hit(doc, 0);
    assert_int_equal(row, 2);
    size_t from[4], to[4];
    assert_int_equal(tg_doc_row_hits(doc, row, from, to, 4), 1);
    assert_int_equal(from[0], strlen("reads a file; the "));
    assert_int_equal(to[0], from[0] + 6);
    assert_int_equal(tg_doc_next_hit(doc, row, 1), 1);
    assert_int_equal(tg_doc_next_hit(doc, tg_doc_row_of_hit(doc, 1), 1), 0); /* wraps around */
    assert_int_equal(tg_doc_next_hit(doc, row, -1), 1);
    /* a hit cut by wrapping is highlighted on both rows */
    tg_doc_layout(doc, 22, true);
    row = tg_doc_row_of_hit(doc, 0);
    size_t n1 = tg_doc_row_hits(doc, row, from, to, 4), n2 = tg_doc_row_hits(doc, row + 1, from + 1, to + 1, 3);
    assert_int_equal(n1 + n2, n1 && n2 ? 2 : 1);
    tg_doc_free(doc);
}

static struct tg_doc *render(const char *json, size_t *focus)
{
    cJSON *log = cJSON_Parse(json);
    assert_non_null(log);
    static const struct tg_price price = {3000000, 15000000, 300000, 3750000}; /* $3, $15, $0.30, $3.75 a million */
    struct tg_request_facts facts = {.tokens = {1000, 100, 600, 100}, .cost = 1000000, .cost_kind = 0,
                                     .table = &price, .table_model = "m"};
    struct tg_doc *doc = tg_request_document(log, &facts, focus);
    cJSON_Delete(log);
    assert_non_null(doc);
    return doc;
}

static char *all_text(struct tg_doc *doc)
{
    struct strbuf sb = STRBUF_INIT;
    tg_doc_copy_all(doc, &sb);
    return strbuf_detach(&sb);
}

static void test_anthropic_tool_calls(void **state)
{
    (void)state;
    size_t focus;
    struct tg_doc *doc = render(
        "{\"model\":\"m\",\"tools\":[{\"name\":\"Read\",\"description\":\"reads\",\"input_schema\":{\"type\":\"object\"}}],"
        "\"prompt_messages\":[{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":\"sys one\"},"
        "{\"type\":\"text\",\"text\":\"sys two\"}]},"
        "{\"role\":\"user\",\"content\":\"look at app\"},"
        "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"Read\","
        "\"input\":{\"file_path\":\"src/app.py\",\"opts\":{\"deep\":{\"a\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30]}}}}]},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":\"\\tcode\"}]}],"
        "\"completion_message\":{\"role\":\"assistant\",\"content\":\"done\"}}",
        &focus);
    char *text = all_text(doc);
    assert_null(strchr(text, '\t'));
    assert_null(strstr(text, "\\t"));
    assert_non_null(strstr(text, "system 1/2"));
    assert_non_null(strstr(text, "system 2/2"));
    assert_non_null(strstr(text, "tools · 1 offered"));
    const char *call = strstr(text, "Read(file_path=\"src/app.py\", ...)");
    assert_non_null(call);
    const char *result = strstr(call, "result:\n");
    assert_non_null(result);
    assert_non_null(strstr(result, "        code")); /* the tab as spaces, under the call */
    assert_non_null(strstr(call, "\"deep\": {")); /* the long argument as JSON with spaces */
    /* 300 uncached input tokens at $3 a million, 600 read at $0.30, 100 written at $3.75, 100 out at $15 */
    assert_non_null(strstr(text, "input                 300 tok  x $3.000000 / 1M  = $0.000900"));
    assert_non_null(strstr(text, "cache read            600 tok  x $0.300000 / 1M  = $0.000180"));
    assert_non_null(strstr(text, "cache write           100 tok  x $3.750000 / 1M  = $0.000375"));
    assert_non_null(strstr(text, "output                100 tok  x $15.000000 / 1M  = $0.001500"));
    assert_non_null(strstr(text, "price: the pricing table, for m"));
    /* the tool result's own message is not shown again: the user message is the focus */
    assert_int_equal(tg_doc_section_kind(doc, focus), TG_DOC_MESSAGE);
    free(text);
    tg_doc_layout(doc, 80, true);
    assert_true(tg_doc_folded(doc, 1 + 2)); /* system blocks start folded (after fields, cost, PROMPT) */
    tg_doc_free(doc);
}

static void test_openai_and_responses_forms(void **state)
{
    (void)state;
    size_t focus;
    struct tg_doc *doc = render(
        "{\"prompt_messages\":[{\"role\":\"user\",\"content\":\"weather?\"},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
        "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"rain\"}]}",
        &focus);
    char *text = all_text(doc);
    const char *call = strstr(text, "get_weather(city=\"Oslo\")");
    assert_non_null(call);
    assert_non_null(strstr(call, "rain"));
    assert_null(strstr(text, "▸ tool")); /* the result is under its call, not a message of its own */
    free(text);
    tg_doc_free(doc);

    doc = render("{\"input\":\"[{\\\"role\\\":\\\"user\\\",\\\"content\\\":[{\\\"type\\\":\\\"input_text\\\","
                 "\\\"text\\\":\\\"hi there\\\"}]},{\\\"type\\\":\\\"function_call\\\",\\\"name\\\":\\\"ls\\\","
                 "\\\"arguments\\\":\\\"{}\\\",\\\"call_id\\\":\\\"f1\\\"},{\\\"type\\\":\\\"function_call_output\\\","
                 "\\\"call_id\\\":\\\"f1\\\",\\\"output\\\":\\\"a.txt\\\"}]\",\"output\":\"ok\"}",
                 &focus);
    text = all_text(doc);
    assert_non_null(strstr(text, "hi there"));
    call = strstr(text, "ls()");
    assert_non_null(call);
    assert_non_null(strstr(call, "a.txt"));
    free(text);
    tg_doc_free(doc);
}

static void test_json_for_terminal(void **state)
{
    (void)state;
    const char raw[] = "{\"a\":\"x\xc2\x9b" "31m\x7f\xc3\xa9\"}";
    size_t len;
    char *safe = tg_json_for_terminal(raw, strlen(raw), &len);
    assert_string_equal(safe, "{\"a\":\"x\\u009b31m\\u007f\xc3\xa9\"}");
    cJSON *back = cJSON_Parse(safe), *orig = cJSON_Parse(raw);
    assert_string_equal(cJSON_GetObjectItem(back, "a")->valuestring, cJSON_GetObjectItem(orig, "a")->valuestring);
    cJSON_Delete(back);
    cJSON_Delete(orig);
    free(safe);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wraps_by_display_width),
        cmocka_unit_test(test_lines_tabs_and_controls),
        cmocka_unit_test(test_folding),
        cmocka_unit_test(test_search_reveals_and_highlights),
        cmocka_unit_test(test_anthropic_tool_calls),
        cmocka_unit_test(test_openai_and_responses_forms),
        cmocka_unit_test(test_json_for_terminal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
