/* `tollgate status`: do logs still flow? The newest log each source stored
 * (collector, import, each sync), its age, the source's last successful
 * commit, and a non-zero exit when the newest log is older than --stale. */
#ifndef TG_CMD_STATUS_H
#define TG_CMD_STATUS_H

#include "cli.h"

extern const struct command_entry cmd_status_entry;

#endif
