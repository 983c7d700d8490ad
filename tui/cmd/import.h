#ifndef TG_CMD_IMPORT_H
#define TG_CMD_IMPORT_H

#include "cli.h"

extern const char cmd_import_usage[];
int cmd_import(int argc, char **argv, struct cli_common *common);

#endif
