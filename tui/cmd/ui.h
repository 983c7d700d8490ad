#ifndef TG_CMD_UI_H
#define TG_CMD_UI_H

#include "cli.h"

extern const char cmd_ui_usage[];
int cmd_ui(int argc, char **argv, struct cli_common *common);

#endif
