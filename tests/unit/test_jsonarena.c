/* The JSON arena: trees built in a scope come from it and are released at
 * once when the scope ends; memory from outside a scope is still freed
 * normally; scopes nest; threads have their own arenas. These tests run
 * under AddressSanitizer, which also shows whether a node was really taken
 * from the arena (still readable after cJSON_Delete inside the scope) and
 * released at the end (poisoned after). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonarena.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define HAVE_ASAN 1
#endif

static const char *sample = "{\"id\":\"a\",\"model\":\"gpt-5.5\",\"prompt_messages\":[{\"role\":\"user\","
                            "\"content\":\"hello\"}],\"usage\":{\"prompt_tokens\":3},\"cost\":0.25}";

static void parse_in_scope_and_read_back(void **state)
{
    (void)state;
    tg_json_arena_install();
    tg_json_scope_begin();
    cJSON *doc = cJSON_Parse(sample);
    assert_non_null(doc);
    assert_string_equal(cJSON_GetObjectItem(doc, "model")->valuestring, "gpt-5.5");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "usage"), "prompt_tokens")->valueint, 3);
    cJSON_Delete(doc);
    tg_json_scope_end();
}

static void nodes_come_from_the_arena_and_go_with_the_scope(void **state)
{
    (void)state;
#ifdef HAVE_ASAN
    tg_json_scope_begin();
    cJSON *doc = cJSON_Parse(sample);
    assert_non_null(doc);
    cJSON *model = cJSON_GetObjectItem(doc, "model");
    cJSON_Delete(doc);
    /* malloc'd memory would be poisoned by the free; the arena keeps it until the end */
    assert_false(__asan_address_is_poisoned(model));
    tg_json_scope_end();
    assert_true(__asan_address_is_poisoned(model));
#else
    skip();
#endif
}

static void outside_a_scope_cjson_uses_the_heap(void **state)
{
    (void)state;
    cJSON *doc = cJSON_Parse(sample); /* built outside: deleted inside, it must really be freed */
    assert_non_null(doc);
    tg_json_scope_begin();
    cJSON *inner = cJSON_Parse(sample);
    cJSON_Delete(doc);
    cJSON_Delete(inner);
    tg_json_scope_end();
    char *printed = cJSON_PrintUnformatted(cJSON_GetArrayItem(NULL, 0)); /* NULL: nothing to print */
    assert_null(printed);
    cJSON *after = cJSON_CreateObject(); /* after the scope: heap again, freed normally (LeakSanitizer checks) */
    cJSON_AddNumberToObject(after, "n", 1);
    char *text = cJSON_PrintUnformatted(after);
    assert_string_equal(text, "{\"n\":1}");
    cJSON_free(text);
    cJSON_Delete(after);
}

static void inner_scopes_do_not_release_the_outer_tree(void **state)
{
    (void)state;
    tg_json_scope_begin();
    cJSON *outer = cJSON_Parse(sample);
    tg_json_scope_begin();
    cJSON *inner = cJSON_Parse("[1,2,3]");
    cJSON_Delete(inner);
    tg_json_scope_end();
    /* read after the inner end: under ASan a released arena would be poisoned */
    assert_string_equal(cJSON_GetObjectItem(outer, "id")->valuestring, "a");
    cJSON_Delete(outer);
    tg_json_scope_end();
    tg_json_scope_end(); /* one end too many is ignored */
}

/* A document far bigger than the first block: the arena grows by blocks,
 * and every node stays valid until the end of the scope. */
static void big_documents_span_blocks(void **state)
{
    (void)state;
    size_t n = 20000;
    char *text = malloc(n * 40 + 16);
    assert_non_null(text);
    size_t len = 0;
    text[len++] = '[';
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "%s{\"i\":%zu,\"s\":\"item %zu\"}", i ? "," : "", i, i);
    text[len++] = ']';
    text[len] = '\0';
    char *huge = malloc(3u << 20); /* one string bigger than any block so far */
    assert_non_null(huge);
    memset(huge, 'x', (3u << 20) - 1);
    huge[(3u << 20) - 1] = '\0';
    for (int round = 0; round < 3; round++) {
        tg_json_scope_begin();
        cJSON *doc = cJSON_Parse(text);
        assert_non_null(doc);
        assert_int_equal(cJSON_GetArraySize(doc), (int)n);
        cJSON *last = cJSON_GetArrayItem(doc, (int)n - 1);
        assert_string_equal(cJSON_GetObjectItem(last, "s")->valuestring, "item 19999");
        cJSON *big = cJSON_CreateString(huge);
        assert_non_null(big);
        assert_int_equal(strlen(big->valuestring), (3u << 20) - 1);
        cJSON_Delete(big);
        assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(doc, 0), "i")->valueint, 0);
        cJSON_Delete(doc);
        tg_json_scope_end();
    }
    free(huge);
    free(text);
}

static void *parse_many(void *arg)
{
    int *failures = arg;
    for (int i = 0; i < 2000; i++) {
        tg_json_scope_begin();
        cJSON *doc = cJSON_Parse(sample);
        if (!doc || strcmp(cJSON_GetObjectItem(doc, "model")->valuestring, "gpt-5.5") != 0)
            (*failures)++;
        cJSON_Delete(doc);
        tg_json_scope_end();
    }
    return NULL;
}

/* Each thread has its own arena, freed when the thread ends (LeakSanitizer
 * would report the blocks otherwise). */
static void threads_have_their_own_arenas(void **state)
{
    (void)state;
    pthread_t threads[4];
    int failures[4] = {0};
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, parse_many, &failures[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(failures[i], 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_in_scope_and_read_back),
        cmocka_unit_test(nodes_come_from_the_arena_and_go_with_the_scope),
        cmocka_unit_test(outside_a_scope_cjson_uses_the_heap),
        cmocka_unit_test(inner_scopes_do_not_release_the_outer_tree),
        cmocka_unit_test(big_documents_span_blocks),
        cmocka_unit_test(threads_have_their_own_arenas),
    };
    return cmocka_run_group_tests_name("jsonarena", tests, NULL, NULL);
}
