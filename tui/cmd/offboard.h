/* `tollgate offboard`: the leaver flow from the command line. Its options,
 * help and printing; the use case is core/ops/offboard. */
#ifndef TG_CMD_OFFBOARD_H
#define TG_CMD_OFFBOARD_H

#include "cli.h"

extern const struct command_entry cmd_offboard_entry;

#endif
