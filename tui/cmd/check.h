/* `tollgate check`: for cron and CI, what needs a look (budgets over, near or
 * forecast to pass their limits; dormant, shared, never-used keys, and keys
 * used after revocation), with an exit status, and each new finding sent to a
 * command or a webhook. The work is in core/ (ops/budget, ops/keyhygiene,
 * ops/alerts). */
#ifndef TG_CMD_CHECK_H
#define TG_CMD_CHECK_H

#include "cli.h"

extern const struct command_entry cmd_check_entry;

#endif
