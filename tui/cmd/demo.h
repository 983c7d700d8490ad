/* `tollgate demo`: write a synthetic team history into the db. Its options, help and
 * printing; the work itself is in core/. */
#ifndef TG_CMD_DEMO_H
#define TG_CMD_DEMO_H

#include "cli.h"

extern const struct command_entry cmd_demo_entry;

#endif
