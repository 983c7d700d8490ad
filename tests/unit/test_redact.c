/* --redact: each kind of secret masked, look-alikes left alone, the JSON still
 * valid, the stored body and the search text masked, and the id the same as
 * without redaction (a retry is a duplicate). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ingest/ingest.h"
#include "log/redact.h"
#include "store/store.h"

static char *masked(const char *text)
{
    char *out;
    size_t len;
    int n = tg_redact(text, strlen(text), &out, &len);
    assert_true(n >= 0);
    return n ? out : strdup(text);
}

static void expect_masked(const char *text, const char *want)
{
    char *got = masked(text);
    if (strcmp(got, want) != 0)
        fail_msg("redact(%s)\n  got  %s\n  want %s", text, got, want);
    free(got);
}

static void test_each_kind(void **state)
{
    (void)state;
    expect_masked("key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx_yz-0123 here", "key sk-ant-[REDACTED] here");
    expect_masked("sk-proj-AbCdEfGhIjKlMnOpQrSt", "sk-proj-[REDACTED]");
    expect_masked("(sk-AbCdEfGhIjKlMnOpQrSt)", "(sk-[REDACTED])");
    expect_masked("id AKIAIOSFODNN7EXAMPLE.", "id AKIA[REDACTED].");
    expect_masked("ASIAY34FZKBOKMUTVV7A", "ASIA[REDACTED]");
    expect_masked("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                  "aws_secret_access_key = [REDACTED]");
    expect_masked("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "token ghp_[REDACTED]");
    expect_masked("github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz", "github_pat_[REDACTED]");
    expect_masked("-H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig'", "-H 'Authorization: Bearer [REDACTED]'");
    expect_masked("bearer abcdefgh12345678", "bearer [REDACTED]");
    expect_masked("{\"authorization\":\"Basic dXNlcjpwYXNzd29yZA==\"}", "{\"authorization\":\"Basic [REDACTED]\"}");
    expect_masked("x-api-key: 0123456789abcdef0123", "x-api-key: [REDACTED]");
    expect_masked("a\\n-----BEGIN RSA PRIVATE KEY-----\\nMIIEow\\nIBAA\\n-----END RSA PRIVATE KEY-----\\nb",
                  "a\\n-----BEGIN PRIVATE KEY-----[REDACTED]\\nb");
    expect_masked("-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNza", "-----BEGIN PRIVATE KEY-----[REDACTED]");
}

static void test_look_alikes_stay(void **state)
{
    (void)state;
    const char *const keep[] = {
        "task-force-with-a-long-name-here", "sk-short", "ask-AbCdEfGhIjKlMnOpQrSt", "AKIA123", "AKIAIOSFODNN7EXAMPLEXX",
        "the bearer of bad news", "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----",
        "ghp_short", "authorization is needed",
    };
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        expect_masked(keep[i], keep[i]);
    char *out = (char *)1;
    size_t len = 1;
    assert_int_equal(tg_redact("nothing here", 12, &out, &len), 0);
    assert_null(out);
}

static const char LOG[] =
    "{\"timestamp\":\"2026-11-23T10:00:00Z\",\"model\":\"gpt-5.5\",\"customer_identifier\":\"alice\","
    "\"prompt_messages\":[{\"role\":\"user\",\"content\":\"use sk-ant-api03-SECRETSECRETSECRET0123 and "
    "\\n-----BEGIN PRIVATE KEY-----\\nSECRETPEMBODY\\n-----END PRIVATE KEY-----\\n\"}],"
    "\"completion_message\":{\"role\":\"assistant\",\"content\":\"Authorization: Bearer SECRETBEARER99\"},"
    "\"error_message\":\"upstream said: bad key sk-SECRETSECRETSECRETSECRET\"}";

static void test_stored_log_is_masked_with_the_original_id(void **state)
{
    (void)state;
    char dir[] = "/tmp/tg-redact-XXXXXX", path[64], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.db", dir);
    struct tg_store *store;
    assert_int_equal(tg_store_open(path, 0, &store, err, sizeof err), 0);

    struct tg_log plain, red;
    struct tg_log_error lerr;
    struct tg_log_parse_options off = {0}, on = {.redact = true};
    assert_int_equal(tg_log_parse_text(LOG, strlen(LOG), &off, &plain, &lerr), 0);
    assert_int_equal(tg_log_parse_text(LOG, strlen(LOG), &on, &red, &lerr), 0);
    assert_string_equal(plain.log_id, red.log_id); /* the id is the original's */
    assert_null(strstr(red.raw, "SECRET"));
    assert_null(strstr(red.error_message, "SECRET"));
    assert_non_null(strstr(red.raw, "sk-ant-[REDACTED]"));
    cJSON *doc = cJSON_ParseWithLength(red.raw, red.raw_len);
    assert_non_null(doc);
    cJSON_Delete(doc);

    struct tg_ingest_options o = {.redact = true};
    struct tg_ingest *ingest = tg_ingest_new(store, NULL, &o, NULL, NULL);
    assert_int_equal(tg_ingest_text(ingest, LOG, strlen(LOG), 1, err, sizeof err), 0);
    assert_int_equal(tg_ingest_text(ingest, LOG, strlen(LOG), 2, err, sizeof err), 0); /* a retry */
    assert_int_equal(tg_ingest_finish(ingest, err, sizeof err), 0);
    struct tg_ingest_counts c = tg_ingest_counts(ingest);
    assert_int_equal(c.imported, 1);
    assert_int_equal(c.duplicates, 1);
    tg_ingest_free(ingest);

    char *raw;
    size_t len;
    assert_int_equal(tg_store_raw_log(store, red.log_id, &raw, &len, err, sizeof err), 0);
    assert_null(strstr(raw, "SECRET"));
    assert_non_null(strstr(raw, "Bearer [REDACTED]"));
    free(raw);
    tg_log_free(&plain);
    tg_log_free(&red);
    tg_store_close(store);
    const char *const suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/t.db%s", dir, suffix[i]);
        unlink(path);
    }
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_kind),
        cmocka_unit_test(test_look_alikes_stay),
        cmocka_unit_test(test_stored_log_is_masked_with_the_original_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
