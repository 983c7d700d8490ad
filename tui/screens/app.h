/* The ncurses front end: Overview, Developers, Keys, Models, Requests and a
 * request's detail, over a time window. Reads data only through core/. */
#ifndef TG_SCREENS_APP_H
#define TG_SCREENS_APP_H

#include "store/store.h"

struct ui_options {
    const char *db_path; /* shown in the header */
};

/* Runs until the user quits. Returns 0, or 2 when the terminal cannot be used. */
int ui_run(struct tg_store *store, const struct ui_options *options);

#endif
