/* --redact on the secrets people paste besides API keys: Stripe, Slack,
 * Google, JWTs, URLs with a password, PASSWORD=... assignments, GitLab,
 * Hugging Face and npm tokens; a key written with JSON escapes
 * (sk\u002dproj-...) is masked all the same, since the log's strings are
 * matched decoded; and code that merely names a token or password is left
 * alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log/logmodel.h"
#include "log/redact.h"

static void expect_masked(const char *text, const char *want)
{
    char *out;
    size_t len;
    int n = tg_redact(text, strlen(text), &out, &len);
    assert_true(n >= 0);
    const char *got = n ? out : text;
    if (strcmp(got, want) != 0)
        fail_msg("redact(%s)\n  got  %s\n  want %s", text, got, want);
    if (n)
        free(out);
}

static void test_more_kinds(void **state)
{
    (void)state;
    expect_masked("stripe sk_live_51HbCdEfGhIjKlMnOpQrStUv ok", "stripe sk_live_[REDACTED] ok");
    expect_masked("rk_live_51HbCdEfGhIjKlMnOpQrStUv", "rk_live_[REDACTED]");
    expect_masked("sk_test_4eC39HqLyjWDarjtT1zdp7dc", "sk_test_[REDACTED]");
    expect_masked("SLACK=xoxb-2048-4096-AbCdEfGhIjKl", "SLACK=xoxb-[REDACTED]");
    expect_masked("token xoxp-1234567890-abcdefghij", "token xoxp-[REDACTED]");
    expect_masked("maps AIzaSyA-1234567890abcdefghijklmnopqrstu", "maps AIza[REDACTED]");
    expect_masked("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end",
                  "jwt [REDACTED] end");
    expect_masked("DATABASE_URL: postgres://app:hunter2pass@db.internal:5432/app",
                  "DATABASE_URL: postgres://app:[REDACTED]@db.internal:5432/app");
    expect_masked("git clone https://x-access-token:s3cr3tvalue@github.com/o/r",
                  "git clone https://x-access-token:[REDACTED]@github.com/o/r");
    expect_masked("redis://:only-a-password@cache:6379", "redis://:[REDACTED]@cache:6379");
    expect_masked("PASSWORD=correct-horse", "PASSWORD=[REDACTED]");
    expect_masked("export DB_PASSWORD=hunter2 && run", "export DB_PASSWORD=[REDACTED] && run");
    expect_masked("client_secret: \"a b c d e\"", "client_secret: \"[REDACTED]\"");
    expect_masked("{\"password\": \"hunter2\"}", "{\"password\": \"[REDACTED]\"}");
    expect_masked("Password: hunter2", "Password: [REDACTED]");
    expect_masked("GITHUB_TOKEN=abc123def456ghi", "GITHUB_TOKEN=[REDACTED]");
    expect_masked("gitlab glpat-AbCdEfGhIjKlMnOpQrSt", "gitlab glpat-[REDACTED]");
    expect_masked("hf hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", "hf hf_[REDACTED]");
    expect_masked("npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "npm_[REDACTED]");
    expect_masked("whsec_AbCdEfGhIjKlMnOpQrSt", "whsec_[REDACTED]");
}

static void test_code_and_prose_stay(void **state)
{
    (void)state;
    const char *const keep[] = {
        "token = next_token(p);", "if password == expected:", "password = getpass()", "self.token = self.tokens[0]",
        "password = user_password;", "max_tokens: 4096", "time_to_first_token: 0.52", "PASSWORD=${DB_PASS}",
        "password: <your password>", "https://user@example.com/x", "http://host:8080/a@b", "hf_model_name",
        "npm_config_cache", "the xox-box", "eyJhbGciOi", "reset your password: here", "token: abc",
        "password: null", "AIza-short", "sk_live_short", "glpat-short", "mailto:someone@example.com",
        "PASSWORD=[REDACTED]",
    };
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        expect_masked(keep[i], keep[i]);
}

/* The log as --redact stores it: parsed, masked, and still the same JSON. */
static char *redacted_log(const char *json, int *masked)
{
    struct tg_log log;
    struct tg_log_error lerr;
    struct tg_log_parse_options on = {.redact = true};
    int rc = tg_log_parse_text(json, strlen(json), &on, &log, &lerr);
    if (rc != 0)
        fail_msg("parse: %s", lerr.message);
    cJSON *doc = cJSON_ParseWithLength(log.raw, log.raw_len);
    assert_non_null(doc);
    cJSON_Delete(doc);
    char *raw = strndup(log.raw, log.raw_len);
    *masked = strcmp(raw, json) != 0;
    tg_log_free(&log);
    return raw;
}

#define LOG_WITH(content) \
    "{\"unique_id\":\"r1\",\"timestamp\":\"2026-11-23T10:00:00Z\",\"model\":\"gpt-5.5\"," \
    "\"prompt_messages\":[{\"role\":\"user\",\"content\":\"" content "\"}]}"

static void test_json_escapes_do_not_hide_a_key(void **state)
{
    (void)state;
    static const char *const logs[] = {
        LOG_WITH("key sk\\u002dproj-AbCdEfGhIjKlMnOpQrStUvWx here"),
        LOG_WITH("\\u0073k-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx"),
        LOG_WITH("line one\\nsk-proj-AbCdEfGhIjKlMnOpQrStUvWx"), /* after an escaped newline */
        LOG_WITH("AKIA\\u0049OSFODNN7EXAMPLE"),
        LOG_WITH("postgres:\\/\\/app:hunter2pass@db:5432\\/app"),
        LOG_WITH("{\\\"password\\\": \\\"hunter2\\\"}"), /* JSON pasted into a prompt */
        LOG_WITH("ghp\\u005fabcdefghijklmnopqrstuvwxyz0123456789"),
    };
    static const char *const secrets[] = {"AbCdEfGh", "AbCdEfGh", "AbCdEfGh", "IOSFODNN7", "hunter2", "hunter2",
                                          "abcdefghijklmnop"};
    for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
        int masked;
        char *raw = redacted_log(logs[i], &masked);
        if (!masked || strstr(raw, secrets[i]) || !strstr(raw, "[REDACTED]"))
            fail_msg("not masked: %s\n  stored %s", logs[i], raw);
        free(raw);
    }
}

static void test_json_members_named_as_secrets(void **state)
{
    (void)state;
    const char *log =
        "{\"unique_id\":\"r2\",\"timestamp\":\"2026-11-23T10:00:00Z\",\"model\":\"gpt-5.5\",\"time_to_first_token\":0.5,"
        "\"metadata\":{\"db_password\":\"pw\",\"Authorization\":\"Basic dXNlcjpw\",\"session_token\":\"t0k\","
        "\"x-api-key\":\"abc\",\"note\":\"plain words\",\"token\":null,\"empty_secret\":\"\"}}";
    int masked;
    char *raw = redacted_log(log, &masked);
    assert_true(masked);
    assert_non_null(strstr(raw, "\"db_password\":\"[REDACTED]\""));
    assert_non_null(strstr(raw, "\"Authorization\":\"Basic [REDACTED]\""));
    assert_non_null(strstr(raw, "\"session_token\":\"[REDACTED]\""));
    assert_non_null(strstr(raw, "\"x-api-key\":\"[REDACTED]\""));
    assert_non_null(strstr(raw, "\"note\":\"plain words\""));
    assert_non_null(strstr(raw, "\"token\":null"));
    assert_non_null(strstr(raw, "\"time_to_first_token\":0.5"));
    assert_non_null(strstr(raw, "\"empty_secret\":\"\""));
    free(raw);
}

/* A log with nothing to mask is stored byte for byte, escapes and all. */
static void test_clean_log_is_untouched(void **state)
{
    (void)state;
    const char *log = LOG_WITH("caf\\u00e9 \\\"quoted\\\" \\/path\\ttab \\ud83d\\ude80 task-force ask-me");
    int masked;
    char *raw = redacted_log(log, &masked);
    assert_false(masked);
    assert_string_equal(raw, log);
    free(raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_more_kinds),
        cmocka_unit_test(test_code_and_prose_stay),
        cmocka_unit_test(test_json_escapes_do_not_hide_a_key),
        cmocka_unit_test(test_json_members_named_as_secrets),
        cmocka_unit_test(test_clean_log_is_untouched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
