/* `tollgate sync`: pull logs from the gateway's log API, resumably. Its options, help and
 * printing; the work itself is in core/. */
#ifndef TG_CMD_SYNC_H
#define TG_CMD_SYNC_H

#include "cli.h"

extern const struct command_entry cmd_sync_entry;

#endif
