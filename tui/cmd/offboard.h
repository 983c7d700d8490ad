#ifndef TG_CMD_OFFBOARD_H
#define TG_CMD_OFFBOARD_H

#include "cli.h"

extern const char cmd_offboard_usage[];
int cmd_offboard(int argc, char **argv, struct cli_common *common);

#endif
