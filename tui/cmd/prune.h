/* `tollgate prune`: drop bodies or requests past a retention age. Its options, help and
 * printing; the work itself is in core/. */
#ifndef TG_CMD_PRUNE_H
#define TG_CMD_PRUNE_H

#include "cli.h"

extern const struct command_entry cmd_prune_entry;

#endif
