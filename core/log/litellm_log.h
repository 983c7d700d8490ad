/* A LiteLLM proxy's request log read into the log model. Two shapes carry the
 * same call: the StandardLoggingPayload its generic API logger pushes (id,
 * response_cost, startTime as epoch seconds, metadata.user_api_key_*) and a
 * LiteLLM_SpendLogs row its /spend/logs API returns (request_id, spend,
 * startTime as ISO text, api_key, user, team_id). Both become one log in the
 * gateway shape logmodel reads, so pushed and pulled copies of a call get the
 * same id (the call id) and deduplicate. The stored log is that converted
 * object: messages as prompt_messages, the response's choices as
 * completion_message(s), LiteLLM's metadata kept under metadata. */
#ifndef TG_LITELLM_LOG_H
#define TG_LITELLM_LOG_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "log/logmodel.h"

/* Which of the log's people tollgate calls its developer (customer_identifier). */
enum tg_litellm_developer {
    TG_LITELLM_DEV_USER = 0, /* the key's user_id, else its user's e-mail, else the end user */
    TG_LITELLM_DEV_EMAIL,    /* the key's user's e-mail, else user_id, else the end user */
    TG_LITELLM_DEV_END_USER, /* the end user (the `user` a client sends), else user_id */
    TG_LITELLM_DEV_TEAM,     /* the key's team alias, else team id */
};

/* "user", "email", "end_user" or "team" into *out; -1 for anything else. */
int tg_litellm_developer_parse(const char *name, enum tg_litellm_developer *out);

/* Builds the gateway-shape log for one LiteLLM log object. A new object the
 * caller deletes, or NULL with err filled (not an object, or no memory). */
cJSON *tg_litellm_convert(const cJSON *litellm, enum tg_litellm_developer developer, struct tg_log_error *err);

/* Converts and parses one LiteLLM log object. Returns 0, or -1 with err; out
 * is then empty. */
int tg_litellm_parse_object(const cJSON *litellm, enum tg_litellm_developer developer,
                            const struct tg_log_parse_options *options, struct tg_log *out, struct tg_log_error *err);

/* The same from JSON text holding one object (len bytes, not NUL-terminated). */
int tg_litellm_parse_text(const char *text, size_t len, enum tg_litellm_developer developer,
                          const struct tg_log_parse_options *options, struct tg_log *out, struct tg_log_error *err);

#endif
