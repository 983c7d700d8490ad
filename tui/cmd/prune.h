#ifndef TG_CMD_PRUNE_H
#define TG_CMD_PRUNE_H

#include "cli.h"

extern const char cmd_prune_usage[];
int cmd_prune(int argc, char **argv, struct cli_common *common);

extern const char cmd_migrate_usage[];
int cmd_migrate(int argc, char **argv, struct cli_common *common);

#endif
