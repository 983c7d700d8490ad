/* `tollgate keys`: list gateway keys with spend; revoke one. Its options, help and
 * printing; the work itself is in core/. */
#ifndef TG_CMD_KEYS_H
#define TG_CMD_KEYS_H

#include "cli.h"

extern const struct command_entry cmd_keys_entry;

#endif
