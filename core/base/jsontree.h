/* Walks over a parsed JSON tree (cJSON): its canonical text, so the same
 * document hashes the same whichever order its members came in, and the
 * path of the first string holding invalid UTF-8, so an error can name it. */
#ifndef TG_JSONTREE_H
#define TG_JSONTREE_H

#include <cjson/cJSON.h>

#include "base/strbuf.h"

/* Object keys sorted, no spaces, numbers as %.17g; out->failed on no memory. */
void tg_json_write_canonical(const cJSON *item, struct strbuf *out);

/* 1 when a string or key under item holds invalid UTF-8, with its dotted path
 * ("messages[2].content", "(key)" for a bad key) appended to path; else 0. */
int tg_json_find_bad_utf8(const cJSON *item, struct strbuf *path);

#endif
