/* `tollgate index`: bring the full-text search index up to date. Its options, help and
 * printing; the work itself is in core/. */
#ifndef TG_CMD_INDEX_H
#define TG_CMD_INDEX_H

#include "cli.h"

extern const struct command_entry cmd_index_entry;

#endif
