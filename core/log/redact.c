#include "log/redact.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/strbuf.h"

#include <cjson/cJSON.h>

#define MASK "[REDACTED]"

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_key_char(char c)
{
    return is_alnum(c) || c == '_' || c == '-';
}

/* Characters of a bearer or header token (RFC 6750's b64token). */
static bool is_token_char(char c)
{
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
}

static size_t run_of(const char *s, size_t len, bool (*ok)(char))
{
    size_t n = 0;
    while (n < len && ok(s[n]))
        n++;
    return n;
}

/* A secret starts at a word boundary: "task-..." holds no "sk-" key. */
static bool starts_word(const char *text, size_t at)
{
    return at == 0 || !is_key_char(text[at - 1]);
}

static bool has_prefix(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(s, prefix, n) == 0;
}

static bool has_prefix_ci(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && strncasecmp(s, prefix, n) == 0;
}

/* What one rule found at a position: the secret's extent, and the text that
 * replaces it. */
struct hit {
    size_t len;
    const char *keep; /* kept before the mask, e.g. "sk-ant-" */
    size_t keep_len;
};

/* sk-..., sk-ant-..., sk-proj-...: the kind is kept, the key is not. */
static bool api_key(const char *s, size_t len, struct hit *h)
{
    if (!has_prefix(s, len, "sk-"))
        return false;
    size_t n = 3 + run_of(s + 3, len - 3, is_key_char);
    if (n < 3 + 16)
        return false;
    static const char *const kinds[] = {"sk-ant-", "sk-proj-", "sk-svcacct-", "sk-"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (has_prefix(s, n, kinds[i])) {
            *h = (struct hit){n, kinds[i], strlen(kinds[i])};
            return true;
        }
    }
    return false;
}

/* AKIA / ASIA and 16 upper-case letters or digits. */
static bool aws_key_id(const char *s, size_t len, struct hit *h)
{
    if (!has_prefix(s, len, "AKIA") && !has_prefix(s, len, "ASIA"))
        return false;
    if (len < 20 || (len > 20 && is_alnum(s[20])))
        return false;
    for (size_t i = 4; i < 20; i++) {
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    }
    *h = (struct hit){20, s, 4};
    return true;
}

static bool github_token(const char *s, size_t len, struct hit *h)
{
    static const char *const kinds[] = {"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t k = strlen(kinds[i]);
        if (!has_prefix(s, len, kinds[i]))
            continue;
        size_t n = k + run_of(s + k, len - k, is_key_char);
        if (n >= k + 20) {
            *h = (struct hit){n, kinds[i], k};
            return true;
        }
    }
    return false;
}

/* "Bearer TOKEN": the scheme is kept. */
static bool bearer(const char *s, size_t len, struct hit *h)
{
    if (!has_prefix_ci(s, len, "bearer "))
        return false;
    size_t at = 7;
    while (at < len && s[at] == ' ')
        at++;
    size_t n = run_of(s + at, len - at, is_token_char);
    if (n < 8)
        return false;
    *h = (struct hit){at + n, s, at};
    return true;
}

/* A label, then quotes, colons, equals or spaces, then an optional scheme
 * word and the value: "Authorization": "Basic dXNl...", aws_secret_access_key=... */
static bool labelled(const char *s, size_t len, const char *label, bool scheme, size_t min, struct hit *h)
{
    if (!has_prefix_ci(s, len, label))
        return false;
    size_t at = strlen(label), sep = 0;
    while (at < len && sep < 6 && (s[at] == '"' || s[at] == '\'' || s[at] == ':' || s[at] == '=' || s[at] == ' ' ||
                                   s[at] == '\\')) {
        at++;
        sep++;
    }
    if (sep == 0)
        return false;
    if (scheme) {
        size_t word = run_of(s + at, len - at, is_alnum);
        if (word > 0 && word < 16 && at + word < len && s[at + word] == ' ')
            at += word + 1;
    }
    size_t n = run_of(s + at, len - at, is_token_char);
    if (n < min)
        return false;
    *h = (struct hit){at + n, s, at};
    return true;
}

/* Whether a JSON string ends (an unescaped quote) inside s[0, n). */
static bool leaves_string(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return true;
    }
    return false;
}

/* -----BEGIN ... PRIVATE KEY----- through its END line, or to the end of the
 * JSON string when the block was cut short. */
static bool pem_block(const char *s, size_t len, struct hit *h)
{
    static const char begin[] = "-----BEGIN ";
    if (!has_prefix(s, len, begin))
        return false;
    const char *header_end = memmem(s + 11, len - 11 < 64 ? len - 11 : 64, "-----", 5);
    if (!header_end || !memmem(s, (size_t)(header_end - s), "PRIVATE KEY", 11))
        return false;
    size_t from = (size_t)(header_end - s) + 5;
    const char *end = memmem(s + from, len - from, "-----END ", 9);
    size_t n;
    if (end) {
        const char *close = memmem(end + 9, len - (size_t)(end + 9 - s), "-----", 5);
        n = close ? (size_t)(close - s) + 5 : len;
    } else {
        n = from;
        while (n < len && s[n] != '"' && !(s[n] == '\\' && n + 1 < len && s[n + 1] == '"'))
            n += s[n] == '\\' ? 2 : 1;
    }
    if (n > len)
        n = len;
    if (leaves_string(s, n))
        return false;
    *h = (struct hit){n, "-----BEGIN PRIVATE KEY-----", 27};
    return true;
}

static bool match_at(const char *text, size_t at, size_t len, struct hit *h)
{
    const char *s = text + at;
    size_t rest = len - at;
    if (pem_block(s, rest, h) || bearer(s, rest, h))
        return true;
    if (!starts_word(text, at))
        return false;
    return api_key(s, rest, h) || aws_key_id(s, rest, h) || github_token(s, rest, h) ||
           labelled(s, rest, "authorization", true, 8, h) ||
           labelled(s, rest, "aws_secret_access_key", false, 40, h) ||
           labelled(s, rest, "x-api-key", false, 16, h);
}

int tg_redact(const char *text, size_t len, char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    struct strbuf sb = STRBUF_INIT;
    size_t copied = 0;
    int found = 0;
    for (size_t at = 0; at < len;) {
        struct hit h;
        if (!match_at(text, at, len, &h)) {
            at++;
            continue;
        }
        strbuf_append(&sb, text + copied, at - copied);
        strbuf_append(&sb, h.keep, h.keep_len);
        strbuf_puts(&sb, MASK);
        at += h.len;
        copied = at;
        found++;
    }
    if (found == 0)
        return 0;
    strbuf_append(&sb, text + copied, len - copied);
    if (sb.failed) {
        strbuf_free(&sb);
        return -1;
    }
    *out_len = sb.len;
    *out = strbuf_detach(&sb);
    return found;
}

static int redact_string(char **text)
{
    if (!*text)
        return 0;
    char *masked;
    size_t len;
    int n = tg_redact(*text, strlen(*text), &masked, &len);
    if (n > 0) {
        free(*text);
        *text = masked;
    }
    return n;
}

int tg_redact_log(struct tg_log *log)
{
    char *masked;
    size_t len;
    int n = tg_redact(log->raw, log->raw_len, &masked, &len);
    if (n < 0)
        return -1;
    if (n > 0) {
        cJSON *check = cJSON_ParseWithLength(masked, len);
        cJSON_Delete(check);
        if (!check) { /* a mask inside an escape: better refused than stored broken */
            free(masked);
            return -1;
        }
        free(log->raw);
        log->raw = masked;
        log->raw_len = len;
    }
    int m = redact_string(&log->error_message);
    return m < 0 ? -1 : n + m;
}
