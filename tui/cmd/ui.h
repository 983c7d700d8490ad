/* `tollgate ui` (and no command): opens the screens on the db, read-only.
 * Its options and help; the screens themselves are in tui/screens/. */
#ifndef TG_CMD_UI_H
#define TG_CMD_UI_H

#include "cli.h"

extern const struct command_entry cmd_ui_entry;

#endif
