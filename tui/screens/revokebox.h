/* R on Keys or Developers: the impact in a box (what is about to be cut off),
 * the name typed out to confirm, then the revocation on a job thread while a
 * spinner turns. Esc stops waiting, not the revocation: the job runner keeps
 * it and the screens show its result when it ends (or wait for it on quit). */
#ifndef TG_SCREENS_REVOKEBOX_H
#define TG_SCREENS_REVOKEBOX_H

#include <stdbool.h>

#include "screens/screen.h"

enum revoke_scope {
    REVOKE_KEY,       /* the key with this name (or id) */
    REVOKE_DEVELOPER, /* every active key of this developer: see ops/offboard.h */
};

/* True when the revocation ended while the user waited: the screen should
 * load again to show it. */
bool revokebox_run(struct ui *ui, enum revoke_scope scope, const char *name);

#endif
