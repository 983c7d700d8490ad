/* The list panel behind Developers, Keys and Models: one spend table drawn
 * from a column table per screen (the columns are data, not code), with a
 * cursor, a name filter, sorting, Enter to see the requests of a row and R to
 * revoke (a key, or all of a developer's keys). */
#ifndef TG_SCREENS_TABLE_H
#define TG_SCREENS_TABLE_H

#include "screens/screen.h"

extern const struct screen_ops developers_screen, keys_screen, models_screen;

/* Frees what the panel holds, when the screens close. */
void table_free(void);

#endif
