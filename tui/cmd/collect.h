#ifndef TG_CMD_COLLECT_H
#define TG_CMD_COLLECT_H

#include "cli.h"

extern const char cmd_collect_usage[];
int cmd_collect(int argc, char **argv, struct cli_common *common);

#endif
