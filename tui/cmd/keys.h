#ifndef TG_CMD_KEYS_H
#define TG_CMD_KEYS_H

#include "cli.h"

extern const char cmd_keys_usage[];
int cmd_keys(int argc, char **argv, struct cli_common *common);

#endif
