#include "query/preview.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/sanitize.h"
#include "log/logmodel.h"

/* The text of a message's content: a string, or the text parts of a list. */
static const char *content_text(const cJSON *content)
{
    if (cJSON_IsString(content))
        return content->valuestring;
    const cJSON *part;
    const char *text = NULL;
    cJSON_ArrayForEach(part, content) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (cJSON_IsString(t) && *t->valuestring)
            text = t->valuestring; /* the last part: what was just typed, after any reminders */
    }
    return text;
}

static const char *last_user_text(const cJSON *messages)
{
    const char *text = NULL;
    const cJSON *msg;
    cJSON_ArrayForEach(msg, messages) {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(msg, "role");
        if (!cJSON_IsString(role) || strcmp(role->valuestring, "user") != 0)
            continue;
        const char *t = content_text(cJSON_GetObjectItemCaseSensitive(msg, "content"));
        if (t && *t)
            text = t;
    }
    return text;
}

/* White space runs become one space; the rest is left for the sanitiser. */
static void squeeze(const char *in, char *out, size_t len)
{
    size_t n = 0;
    bool space = true; /* drops leading white space */
    for (const char *p = in; *p && n + 1 < len; p++) {
        if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
            if (!space)
                out[n++] = ' ';
            space = true;
            continue;
        }
        out[n++] = *p;
        space = false;
    }
    /* a cut in the middle of a character drops the part of it that fits */
    size_t lead = n;
    while (lead > 0 && ((unsigned char)out[lead - 1] & 0xC0) == 0x80)
        lead--;
    if (lead > 0 && (unsigned char)out[lead - 1] >= 0xC0) {
        unsigned char c = (unsigned char)out[lead - 1];
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (n - (lead - 1) < need)
            n = lead - 1;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

int tg_request_preview(struct tg_store *store, int64_t request_id, char *buf, size_t len)
{
    char *raw = NULL, err[200];
    size_t raw_len;
    buf[0] = '\0';
    if (tg_store_body_of(store, request_id, false, &raw, &raw_len, err, sizeof err) != 0)
        return -1;
    cJSON *obj = cJSON_ParseWithLength(raw, raw_len);
    free(raw);
    if (!obj)
        return -1;
    cJSON *prompt = NULL, *completion = NULL;
    tg_log_messages(obj, &prompt, &completion);
    const char *text = last_user_text(prompt);
    int rc = -1;
    if (text) {
        char flat[1024];
        squeeze(text, flat, sizeof flat);
        tg_sanitize(flat, buf, len);
        rc = 0;
    }
    cJSON_Delete(prompt);
    cJSON_Delete(completion);
    cJSON_Delete(obj);
    return rc;
}
