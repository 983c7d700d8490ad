#ifndef TG_CMD_INDEX_H
#define TG_CMD_INDEX_H

#include "cli.h"

extern const char cmd_index_usage[];
int cmd_index(int argc, char **argv, struct cli_common *common);

#endif
