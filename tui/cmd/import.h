/* `tollgate import`: store request logs from JSON Lines / JSON files. Its options, help and
 * printing; the work itself is in core/. */
#ifndef TG_CMD_IMPORT_H
#define TG_CMD_IMPORT_H

#include "cli.h"

extern const struct command_entry cmd_import_entry;

#endif
