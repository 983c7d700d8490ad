#ifndef TG_CMD_DEMO_H
#define TG_CMD_DEMO_H

#include "cli.h"

extern const char cmd_demo_usage[];
int cmd_demo(int argc, char **argv, struct cli_common *common);

#endif
