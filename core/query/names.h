/* Whether a developer, key or model that a filter names is one the store has
 * seen, and when not, the closest names it has: so a typo such as
 * `report --developer alcie` is an error naming 'alice', not an empty report. */
#ifndef TG_NAMES_H
#define TG_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/suggest.h"
#include "store/store.h"

enum tg_name_kind { TG_NAME_DEVELOPER, TG_NAME_KEY, TG_NAME_MODEL };

struct tg_name_check {
    bool known;                        /* a developer's identifier, a key's name or id, a model as logged */
    size_t count;                      /* when not: the closest known names, best first */
    char *closest[TG_SUGGEST_MAX];
    int64_t known_total;               /* how many names of this kind the store has */
};

/* Exact, as the spend filters match. Returns 0 with *out filled (free it with
 * tg_name_check_free), or -1 with err. */
int tg_names_check(struct tg_store *store, enum tg_name_kind kind, const char *name, struct tg_name_check *out,
                   char *err, size_t errlen);
void tg_name_check_free(struct tg_name_check *check);

/* "developer", "key", "model" */
const char *tg_name_kind_label(enum tg_name_kind kind);

#endif
