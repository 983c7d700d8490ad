/* Where tollgate keeps things: the db under XDG_DATA_HOME, config under
 * XDG_CONFIG_HOME, both private to the user. */
#ifndef TG_PATHS_H
#define TG_PATHS_H

#include <stddef.h>

/* TOLLGATE_DB, else $XDG_DATA_HOME/tollgate/tollgate.db, else
 * ~/.local/share/tollgate/tollgate.db. Returns 0, or -1 with err. */
int tg_paths_default_db(char *buf, size_t len, char *err, size_t errlen);

/* $XDG_CONFIG_HOME/tollgate, else ~/.config/tollgate. */
int tg_paths_config_dir(char *buf, size_t len, char *err, size_t errlen);

/* Creates the directories above a file (mode 0700 for new ones). */
int tg_paths_make_parent(const char *file, char *err, size_t errlen);

#endif
