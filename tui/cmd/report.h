#ifndef TG_CMD_REPORT_H
#define TG_CMD_REPORT_H

#include "cli.h"

extern const char cmd_report_usage[];
int cmd_report(int argc, char **argv, struct cli_common *common);

#endif
