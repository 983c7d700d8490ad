/* `tollgate migrate`: convert bodies stored whole by an older tollgate. Its options, help and
 * printing; the work itself is in core/. */
#ifndef TG_CMD_MIGRATE_H
#define TG_CMD_MIGRATE_H

#include "cli.h"

extern const struct command_entry cmd_migrate_entry;

#endif
