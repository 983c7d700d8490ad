/* `tollgate collect`: run the HTTP collector the gateway pushes logs to. Its options, help and
 * printing; the work itself is in core/. */
#ifndef TG_CMD_COLLECT_H
#define TG_CMD_COLLECT_H

#include "cli.h"

extern const struct command_entry cmd_collect_entry;

#endif
