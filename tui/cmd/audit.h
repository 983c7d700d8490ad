/* `tollgate audit`: who revoked which key, when, and the result. Its options, help and
 * printing; the work itself is in core/. */
#ifndef TG_CMD_AUDIT_H
#define TG_CMD_AUDIT_H

#include "cli.h"

extern const struct command_entry cmd_audit_entry;

#endif
