/* The ncurses front end: Overview, Developers, Keys, Models, Requests and a
 * request's detail, over a time window. Reads data only through core/.
 * app.c runs the loop (draw, a key or a second's idle, refresh when another
 * process wrote), the header and the status bar, the time window and the
 * switching between the screens, which are listed in one table there. */
#ifndef TG_SCREENS_APP_H
#define TG_SCREENS_APP_H

#include "screens/screen.h"
#include "store/store.h"

/* Runs until the user quits. Returns 0, or 2 when the terminal cannot be used. */
int ui_run(struct tg_store *store, const struct ui_options *options);

/* For the screens: show another screen, loading it. */
void app_switch(struct ui *ui, enum screen_id id);
/* The screen with this id, and the keys that work on every screen. */
const struct screen_ops *app_screen(enum screen_id id);
const struct binding *app_keys(void);

#endif
