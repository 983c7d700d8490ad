#include "store/compactid.h"

#include <string.h>

/* The log types gateways send (Respan's log_type, LiteLLM's call_type
 * mapped by logmodel.c). Stored, so an entry never changes or moves: add new
 * ones at the end. Code 0 is never used (code i is names[i - 1]). */
static const char *const log_type_names[] = {
    "chat", "response", "completion", "text", "embedding", "transcription", "speech", "workflow", "task",
    "tool", "agent", "handoff", "guardrail", "function", "custom", "generation", "score", "image_generation",
};
#define LOG_TYPES ((int)(sizeof log_type_names / sizeof log_type_names[0]))

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* uppercase too: it would come back lowercase */
}

static bool dash_at(size_t i)
{
    return i == 8 || i == 13 || i == 18 || i == 23;
}

bool store_uuid_pack(const char *text, size_t len, unsigned char out[STORE_UUID_BYTES])
{
    if (len != STORE_UUID_TEXT)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < STORE_UUID_TEXT; i++) {
        if (dash_at(i)) {
            if (text[i] != '-')
                return false;
            continue;
        }
        int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
        if (hi < 0 || lo < 0 || dash_at(i + 1))
            return false;
        out[n++] = (unsigned char)(hi << 4 | lo);
        i++;
    }
    return n == STORE_UUID_BYTES;
}

void store_uuid_unpack(const unsigned char in[STORE_UUID_BYTES], char out[STORE_UUID_TEXT + 1])
{
    static const char digits[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < STORE_UUID_BYTES; i++) {
        if (dash_at(o))
            out[o++] = '-';
        out[o++] = digits[in[i] >> 4];
        out[o++] = digits[in[i] & 15];
    }
    out[o] = '\0';
}

void store_bind_compact_id(sqlite3_stmt *st, int i, const char *id)
{
    unsigned char packed[STORE_UUID_BYTES];
    if (!id || !*id)
        sqlite3_bind_null(st, i);
    else if (store_uuid_pack(id, strlen(id), packed))
        sqlite3_bind_blob(st, i, packed, STORE_UUID_BYTES, SQLITE_TRANSIENT);
    else
        sqlite3_bind_text(st, i, id, -1, SQLITE_STATIC);
}

static int log_type_code(const char *type, size_t len)
{
    for (int i = 0; i < LOG_TYPES; i++)
        if (strlen(log_type_names[i]) == len && memcmp(log_type_names[i], type, len) == 0)
            return i + 1;
    return 0;
}

void store_bind_log_type(sqlite3_stmt *st, int i, const char *type)
{
    int code = type ? log_type_code(type, strlen(type)) : 0;
    if (!type || !*type)
        sqlite3_bind_null(st, i);
    else if (code)
        sqlite3_bind_int(st, i, code);
    else
        sqlite3_bind_text(st, i, type, -1, SQLITE_STATIC);
}

static void sql_id_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_BLOB && sqlite3_value_bytes(argv[0]) == STORE_UUID_BYTES) {
        char text[STORE_UUID_TEXT + 1];
        store_uuid_unpack(sqlite3_value_blob(argv[0]), text);
        sqlite3_result_text(ctx, text, STORE_UUID_TEXT, SQLITE_TRANSIENT);
        return;
    }
    sqlite3_result_value(ctx, argv[0]);
}

static void sql_id_pack(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    unsigned char packed[STORE_UUID_BYTES];
    if (sqlite3_value_type(argv[0]) == SQLITE_TEXT &&
        store_uuid_pack((const char *)sqlite3_value_text(argv[0]), (size_t)sqlite3_value_bytes(argv[0]), packed)) {
        sqlite3_result_blob(ctx, packed, STORE_UUID_BYTES, SQLITE_TRANSIENT);
        return;
    }
    sqlite3_result_value(ctx, argv[0]);
}

static void sql_log_type_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_INTEGER) {
        sqlite3_int64 code = sqlite3_value_int64(argv[0]);
        if (code >= 1 && code <= LOG_TYPES) {
            sqlite3_result_text(ctx, log_type_names[code - 1], -1, SQLITE_STATIC);
            return;
        }
    }
    sqlite3_result_value(ctx, argv[0]);
}

static void sql_log_type_code(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_TEXT) {
        int code = log_type_code((const char *)sqlite3_value_text(argv[0]), (size_t)sqlite3_value_bytes(argv[0]));
        if (code) {
            sqlite3_result_int(ctx, code);
            return;
        }
    }
    sqlite3_result_value(ctx, argv[0]);
}

int store_compact_register_functions(sqlite3 *db)
{
    static const struct {
        const char *name;
        void (*fn)(sqlite3_context *, int, sqlite3_value **);
    } fns[] = {{"tg_id_text", sql_id_text},
               {"tg_id_pack", sql_id_pack},
               {"tg_log_type_text", sql_log_type_text},
               {"tg_log_type_code", sql_log_type_code}};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (sqlite3_create_function(db, fns[i].name, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                    fns[i].fn, NULL, NULL) != SQLITE_OK)
            return -1;
    return 0;
}
