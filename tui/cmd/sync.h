#ifndef TG_CMD_SYNC_H
#define TG_CMD_SYNC_H

#include "cli.h"

extern const char cmd_sync_usage[];
int cmd_sync(int argc, char **argv, struct cli_common *common);

#endif
