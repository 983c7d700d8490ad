/* The Overview: the window's totals, spend over time as a bar chart, and the
 * top developers, keys and models side by side. */
#ifndef TG_SCREENS_OVERVIEW_H
#define TG_SCREENS_OVERVIEW_H

#include "screens/screen.h"

extern const struct screen_ops overview_screen;

/* Frees what the Overview holds, when the screens close. */
void overview_free(void);

#endif
