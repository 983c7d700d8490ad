#ifndef TG_CMD_AUDIT_H
#define TG_CMD_AUDIT_H

#include "cli.h"

extern const char cmd_audit_usage[];
int cmd_audit(int argc, char **argv, struct cli_common *common);

#endif
