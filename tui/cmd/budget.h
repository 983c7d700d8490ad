/* `tollgate budget`: list, set and unset budgets and teams in the config
 * file; list shows each budget's spend so far, tier and forecast. The work is
 * in core/ (base/budgetconf, ops/budget). */
#ifndef TG_CMD_BUDGET_H
#define TG_CMD_BUDGET_H

#include "cli.h"

extern const struct command_entry cmd_budget_entry;

#endif
