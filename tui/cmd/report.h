/* `tollgate report`: spend by developer, key, model, day or hour. Its options, help and
 * printing; the work itself is in core/. */
#ifndef TG_CMD_REPORT_H
#define TG_CMD_REPORT_H

#include "cli.h"

extern const struct command_entry cmd_report_entry;

#endif
