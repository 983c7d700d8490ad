#include "log/redact.h"

#include <stdbool.h>
#include <stdint.h>
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

static bool is_slack_char(char c)
{
    return is_alnum(c) || c == '-';
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

/* One of kinds, then at least min characters that ok accepts; the kind is kept. */
static bool prefixed(const char *s, size_t len, const char *const *kinds, size_t nkinds, bool (*ok)(char),
                     size_t min, struct hit *h)
{
    for (size_t i = 0; i < nkinds; i++) {
        size_t k = strlen(kinds[i]);
        if (!has_prefix(s, len, kinds[i]))
            continue;
        size_t n = k + run_of(s + k, len - k, ok);
        if (n >= k + min) {
            *h = (struct hit){n, kinds[i], k};
            return true;
        }
    }
    return false;
}

#define PREFIXED(s, len, kinds, ok, min, h) prefixed(s, len, kinds, sizeof kinds / sizeof kinds[0], ok, min, h)

static bool github_token(const char *s, size_t len, struct hit *h)
{
    static const char *const kinds[] = {"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"};
    return PREFIXED(s, len, kinds, is_key_char, 20, h);
}

static bool gitlab_token(const char *s, size_t len, struct hit *h)
{
    static const char *const kinds[] = {"glpat-", "gldt-", "glrt-", "glptt-"};
    return PREFIXED(s, len, kinds, is_key_char, 20, h);
}

/* Stripe secret and restricted keys, and webhook signing secrets. */
static bool stripe_key(const char *s, size_t len, struct hit *h)
{
    static const char *const kinds[] = {"sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"};
    return PREFIXED(s, len, kinds, is_alnum, 16, h);
}

/* Slack bot, user, app-level and refresh tokens. */
static bool slack_token(const char *s, size_t len, struct hit *h)
{
    static const char *const kinds[] = {"xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxe-", "xoxs-", "xapp-"};
    return PREFIXED(s, len, kinds, is_slack_char, 10, h);
}

/* Hugging Face (hf_ and 34 letters) and npm (npm_ and 36) access tokens. */
static bool hf_or_npm_token(const char *s, size_t len, struct hit *h)
{
    static const char *const kinds[] = {"hf_", "npm_"};
    return PREFIXED(s, len, kinds, is_alnum, 30, h);
}

/* Google API keys: AIza and 35 more. */
static bool google_key(const char *s, size_t len, struct hit *h)
{
    static const char *const kinds[] = {"AIza"};
    return PREFIXED(s, len, kinds, is_key_char, 35, h);
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

/* A JSON Web Token: base64url header and payload, both JSON objects (so both
 * start "eyJ"), and the signature if there is one. */
static bool jwt(const char *s, size_t len, struct hit *h)
{
    if (!has_prefix(s, len, "eyJ"))
        return false;
    size_t a = run_of(s, len, is_key_char);
    if (a < 10 || a >= len || s[a] != '.' || !has_prefix(s + a + 1, len - a - 1, "eyJ"))
        return false;
    size_t b = run_of(s + a + 1, len - a - 1, is_key_char);
    if (b < 10)
        return false;
    size_t n = a + 1 + b;
    if (n < len && s[n] == '.')
        n += 1 + run_of(s + n + 1, len - n - 1, is_key_char);
    *h = (struct hit){n, "", 0};
    return true;
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

/* Characters of a URL's user info (RFC 3986: unreserved, sub-delims, %, :). */
static bool is_userinfo_char(char c)
{
    return is_alnum(c) || (c && strchr("-._~!$&'()*+,;=%:", c));
}

/* scheme://user:password@host: the password goes (a long user name alone, as
 * in https://TOKEN@host, goes too). text[at] is the ':' of "://". */
static bool url_credentials(const char *text, size_t at, size_t len, struct hit *h)
{
    const char *s = text + at;
    size_t rest = len - at;
    if (!has_prefix(s, rest, "://"))
        return false;
    size_t scheme = 0;
    while (scheme < at && scheme < 32 && (is_alnum(text[at - 1 - scheme]) || text[at - 1 - scheme] == '+'))
        scheme++;
    if (scheme < 2)
        return false;
    size_t i = 3, colon = 0;
    while (i < rest && i < 3 + 512 && is_userinfo_char(s[i])) {
        if (s[i] == ':' && !colon)
            colon = i;
        i++;
    }
    if (i >= rest || s[i] != '@')
        return false;
    if (colon && i > colon + 1)
        *h = (struct hit){i, s, colon + 1};
    else if (!colon && i - 3 >= 16)
        *h = (struct hit){i, s, 3};
    else
        return false;
    return true;
}

/* Names whose value is a secret, as the end of a longer name too
 * (DB_PASSWORD, client_secret, x-api-key, aws_secret_access_key). */
enum label_kind { LABEL_NONE, LABEL_SECRET, LABEL_TOKEN, LABEL_AUTHORIZATION };

static enum label_kind label_kind(const char *name, size_t n)
{
    static const struct {
        const char *suffix;
        enum label_kind kind;
    } labels[] = {
        {"password", LABEL_SECRET},   {"passwd", LABEL_SECRET},     {"passphrase", LABEL_SECRET},
        {"secret", LABEL_SECRET},     {"api_key", LABEL_SECRET},    {"api-key", LABEL_SECRET},
        {"apikey", LABEL_SECRET},     {"access_key", LABEL_SECRET}, {"secret_key", LABEL_SECRET},
        {"private_key", LABEL_SECRET}, {"token", LABEL_TOKEN},      {"authorization", LABEL_AUTHORIZATION},
    };
    if (n == 0 || n > 64)
        return LABEL_NONE;
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        size_t k = strlen(labels[i].suffix);
        if (n >= k && strncasecmp(name + n - k, labels[i].suffix, k) == 0)
            return labels[i].kind;
    }
    return LABEL_NONE;
}

static bool all_caps_name(const char *name, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

/* Values that name no secret: empty words, placeholders, a mask already. */
static bool placeholder(const char *v, size_t n)
{
    static const char *const words[] = {"null", "true", "false", "none", "undefined", "nil"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (n == strlen(words[i]) && strncasecmp(v, words[i], n) == 0)
            return true;
    }
    return n == 0 || v[0] == '$' || v[0] == '<' || v[0] == '{' || v[0] == '*' || v[0] == '%' ||
           has_prefix(v, n, MASK);
}

/* user_password, self.token: a name in code, not a secret. */
static bool identifier_like(const char *v, size_t n)
{
    bool joined = false;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (c == '_' || c == '.')
            joined = true;
        else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return false;
    }
    return joined;
}

static bool ends_unquoted_value(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\'' || c == '\\' || c == ',' ||
           c == ';' || c == '&' || c == '<' || c == '>' || c == ')' || c == ']' || c == '}' || c == '(' ||
           c == '[' || c == '{' || (unsigned char)c < 0x20;
}

/* The name before the ':' or '=' at text[at], back over closing quotes, a
 * backslash and spaces. */
static enum label_kind label_before(const char *text, size_t at, bool *env_style)
{
    size_t i = at, skipped = 0;
    while (i > 0 && skipped < 3 && (text[i - 1] == ' ' || text[i - 1] == '"' || text[i - 1] == '\'' ||
                                     text[i - 1] == '\\')) {
        i--;
        skipped++;
    }
    size_t end = i;
    while (i > 0 && end - i <= 64 && (is_key_char(text[i - 1]) || text[i - 1] == '.'))
        i--;
    *env_style = skipped == 0 && text[at] == '=' && all_caps_name(text + i, end - i);
    return label_kind(text + i, end - i);
}

/* NAME=value, "name": "value", name: value, where NAME ends with a secret's
 * label: the value goes, the separator (and an Authorization scheme) stay.
 * text[at] is the ':' or '='. */
static bool assignment(const char *text, size_t at, size_t len, struct hit *h)
{
    if (at == 0 || (text[at] == '=' && (text[at - 1] == '=' || text[at - 1] == '!' || text[at - 1] == '<' ||
                                        text[at - 1] == '>')))
        return false;
    bool env_style;
    enum label_kind kind = label_before(text, at, &env_style);
    if (kind == LABEL_NONE)
        return false;
    const char *s = text + at;
    size_t rest = len - at, i = 1;
    char quote = 0;
    while (i < rest && i < 7 && (s[i] == ' ' || s[i] == '"' || s[i] == '\'' || s[i] == '\\')) {
        if (s[i] == '"' || s[i] == '\'')
            quote = s[i];
        i++;
    }
    if (i < rest && (s[i] == '=' || s[i] == ':'))
        return false; /* "==", ":=" comparisons and the like */
    if (kind == LABEL_AUTHORIZATION) {
        size_t word = run_of(s + i, rest - i, is_alnum);
        if (word > 0 && word < 16 && i + word < rest && s[i + word] == ' ')
            i += word + 1;
    }
    size_t n = 0;
    if (quote) {
        while (i + n < rest && n < 256 && s[i + n] != quote && s[i + n] != '\\' && s[i + n] != '\n')
            n++;
    } else {
        while (i + n < rest && n < 256 && !ends_unquoted_value(s[i + n]))
            n++;
        if (i + n < rest && (s[i + n] == '(' || s[i + n] == '[' || s[i + n] == '{'))
            return false; /* a call or an index in code */
        if (!env_style && identifier_like(s + i, n))
            return false;
    }
    /* prose says "your password: here"; a quoted or NAME=value one is meant */
    size_t min = env_style ? 1 : kind != LABEL_SECRET ? 8 : quote ? 3 : 6;
    if (n < min || placeholder(s + i, n))
        return false;
    *h = (struct hit){i + n, s, i};
    return true;
}

/* Bytes at which some rule may start: everything else is skipped at once. */
static const bool may_start[256] = {
    ['-'] = true, [':'] = true, ['='] = true, ['B'] = true, ['b'] = true, ['s'] = true, ['r'] = true,
    ['A'] = true, ['g'] = true, ['x'] = true, ['h'] = true, ['n'] = true, ['e'] = true, ['w'] = true,
};

static bool match_at(const char *text, size_t at, size_t len, struct hit *h)
{
    const char *s = text + at;
    size_t rest = len - at;
    switch (s[0]) {
    case '-': return pem_block(s, rest, h);
    case ':': return url_credentials(text, at, len, h) || assignment(text, at, len, h);
    case '=': return assignment(text, at, len, h);
    case 'B': case 'b':
        if (bearer(s, rest, h))
            return true;
        break;
    default: break;
    }
    if (!starts_word(text, at))
        return false;
    switch (s[0]) {
    case 's': return api_key(s, rest, h) || stripe_key(s, rest, h);
    case 'r': case 'w': return stripe_key(s, rest, h);
    case 'A': return aws_key_id(s, rest, h) || google_key(s, rest, h);
    case 'g': return github_token(s, rest, h) || gitlab_token(s, rest, h);
    case 'x': return slack_token(s, rest, h);
    case 'h': case 'n': return hf_or_npm_token(s, rest, h);
    case 'e': return jwt(s, rest, h);
    default: return false;
    }
}

/* Masks text[0, len) into sb (reset first) when it holds a secret; returns
 * how many, and leaves sb empty when none. */
static int scan(const char *text, size_t len, struct strbuf *sb)
{
    strbuf_reset(sb);
    size_t copied = 0;
    int found = 0;
    for (size_t at = 0; at < len; at++) {
        struct hit h;
        if (!may_start[(unsigned char)text[at]] || !match_at(text, at, len, &h))
            continue;
        strbuf_append(sb, text + copied, at - copied);
        strbuf_append(sb, h.keep, h.keep_len);
        strbuf_puts(sb, MASK);
        copied = at + h.len;
        at = copied - 1;
        found++;
    }
    if (found)
        strbuf_append(sb, text + copied, len - copied);
    return found;
}

int tg_redact(const char *text, size_t len, char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    struct strbuf sb = STRBUF_INIT;
    int found = scan(text, len, &sb);
    if (found == 0 || sb.failed) {
        strbuf_free(&sb);
        return found == 0 ? 0 : -1;
    }
    *out_len = sb.len;
    *out = strbuf_detach(&sb);
    return found;
}

/* ---- JSON: each string decoded, masked, and written back only if it changed */

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static long hex4(const char *s, size_t left)
{
    if (left < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(s[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static void put_utf8(struct strbuf *sb, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) { b[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { b[0] = (char)(0xC0 | cp >> 6); b[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | cp >> 12); b[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | cp >> 18); b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    strbuf_append(sb, b, n);
}

/* The text of the JSON string body s[0, n) (no quotes), escapes decoded; a
 * lone surrogate becomes U+FFFD. */
static void decode_string(const char *s, size_t n, struct strbuf *sb)
{
    strbuf_reset(sb);
    size_t i = 0;
    while (i < n) {
        const char *bs = memchr(s + i, '\\', n - i);
        size_t plain = bs ? (size_t)(bs - (s + i)) : n - i;
        strbuf_append(sb, s + i, plain);
        i += plain;
        if (i + 1 >= n)
            break;
        char e = s[i + 1];
        i += 2;
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *k = strchr(from, e);
        if (e && k) {
            strbuf_putc(sb, to[k - from]);
            continue;
        }
        long cp = e == 'u' ? hex4(s + i, n - i) : -1;
        if (cp < 0)
            continue; /* not valid JSON: the caller's parse check refuses it */
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u') {
            long lo = hex4(s + i + 2, n - i - 2);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
        }
        put_utf8(sb, cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : (uint32_t)cp);
    }
}

/* Index of the quote that closes the string opened before s[from]. */
static size_t string_end(const char *raw, size_t len, size_t from)
{
    size_t i = from;
    for (;;) {
        const char *q = memchr(raw + i, '"', len - i);
        if (!q)
            return len;
        size_t at = (size_t)(q - raw), slashes = 0;
        while (at - slashes > from && raw[at - slashes - 1] == '\\')
            slashes++;
        if (slashes % 2 == 0)
            return at;
        i = at + 1;
    }
}

static size_t skip_space(const char *raw, size_t len, size_t i)
{
    while (i < len && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r'))
        i++;
    return i;
}

struct json_redaction {
    struct strbuf out, decoded, masked;
    size_t copied;
    int found;
};

/* The value of a member whose name says it is a secret ("password": "...",
 * "Authorization": "Basic ..."), when no rule masked it already. */
static int mask_whole_value(enum label_kind kind, const char *v, size_t n, struct strbuf *masked)
{
    size_t keep = 0;
    if (kind == LABEL_AUTHORIZATION) {
        size_t word = run_of(v, n, is_alnum);
        if (word > 0 && word < 16 && word < n && v[word] == ' ')
            keep = word + 1;
    }
    if (placeholder(v + keep, n - keep))
        return 0;
    strbuf_reset(masked);
    strbuf_append(masked, v, keep);
    strbuf_puts(masked, MASK);
    return 1;
}

static int redact_json(const char *raw, size_t len, char **out, size_t *out_len)
{
    struct json_redaction r = {STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, 0, 0};
    enum label_kind value_kind = LABEL_NONE;
    size_t value_at = SIZE_MAX; /* where the string value of a secret-named member opens */
    for (size_t i = 0; i < len;) {
        const char *q = memchr(raw + i, '"', len - i);
        if (!q)
            break;
        size_t open = (size_t)(q - raw), end = string_end(raw, len, open + 1);
        const char *text = raw + open + 1;
        size_t n = end - open - 1;
        if (memchr(text, '\\', n)) {
            decode_string(text, n, &r.decoded);
            text = r.decoded.data ? r.decoded.data : "";
            n = r.decoded.len;
        }
        int hits = scan(text, n, &r.masked);
        size_t after = skip_space(raw, len, end + 1);
        if (hits == 0 && open == value_at)
            hits = mask_whole_value(value_kind, text, n, &r.masked);
        if (after < len && raw[after] == ':') { /* a member's name */
            value_kind = label_kind(text, n);
            size_t v = skip_space(raw, len, after + 1);
            value_at = value_kind != LABEL_NONE && v < len && raw[v] == '"' ? v : SIZE_MAX;
        }
        if (hits > 0) {
            strbuf_append(&r.out, raw + r.copied, open - r.copied);
            strbuf_json_string(&r.out, r.masked.data);
            r.copied = end + 1;
            r.found += hits;
        }
        i = end + 1;
    }
    bool failed = r.out.failed || r.decoded.failed || r.masked.failed;
    strbuf_free(&r.decoded);
    strbuf_free(&r.masked);
    if (r.found == 0 || failed) {
        strbuf_free(&r.out);
        return failed ? -1 : 0;
    }
    if (r.copied < len)
        strbuf_append(&r.out, raw + r.copied, len - r.copied);
    if (r.out.failed) {
        strbuf_free(&r.out);
        return -1;
    }
    *out_len = r.out.len;
    *out = strbuf_detach(&r.out);
    return r.found;
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
    int n = redact_json(log->raw, log->raw_len, &masked, &len);
    if (n < 0)
        return -1;
    if (n > 0) {
        cJSON *check = cJSON_ParseWithLength(masked, len);
        cJSON_Delete(check);
        if (!check) { /* never expected (each string is written whole): refused rather than stored broken */
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
