/* The ? screen: every key of the screen it was opened over, drawn from that
 * screen's binding table (and the keys that work everywhere), so the help
 * says exactly what the keys do; wrapped to the width, scrolled with the
 * arrows and pages. Any other key closes it. */
#ifndef TG_SCREENS_HELP_H
#define TG_SCREENS_HELP_H

#include "screens/screen.h"

extern const struct screen_ops help_screen;

void help_open(struct ui *ui);

#endif
