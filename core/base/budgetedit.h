/* Editing the budgets of the config file (base/budgetconf.h reads them): a
 * line of [budgets] or [teams] added, replaced or removed, every other line
 * kept as it was. The whole file is replaced atomically (a temp file beside
 * it, fsync, rename, fsync of the directory), mode 0600, so a crash leaves
 * the old file or the new one and a file holding gateway keys stays private. */
#ifndef TG_BUDGETEDIT_H
#define TG_BUDGETEDIT_H

#include <stddef.h>

#include "base/budgetconf.h"

/* Adds or replaces b's line in [budgets]; removes it (returns 1 when
 * there was none); sets a team's members (none: removes the team). Each
 * rewrites the whole file atomically, mode 0600, creating it and its
 * directory when missing. 0, or -1 with err. */
int tg_budget_config_set(const char *path, const struct tg_budget *b, char *err, size_t errlen);
int tg_budget_config_unset(const char *path, enum tg_budget_scope scope, const char *name, char *err, size_t errlen);
int tg_budget_config_set_team(const char *path, const char *team, const char *const *members, size_t count,
                              char *err, size_t errlen);

#endif
