/* The Budgets screen: every budget of the config with its spend this period,
 * a bar of the share used coloured by tier (ok, warn, over), the period-end
 * forecast and its range, when it runs out, and the last 30 days as a
 * sparkline; then what `tollgate check` would say of the keys. Also the line
 * the Overview shows: the org's budget and the budgets closest to their limits. */
#ifndef TG_SCREENS_BUDGETS_H
#define TG_SCREENS_BUDGETS_H

#include "screens/screen.h"

extern const struct screen_ops budgets_screen;

/* For the Overview: loads the budgets (when the screen has not just done so)
 * and draws their one line at row y; nothing when there are no budgets. */
void budgets_overview_load(struct ui *ui);
void budgets_overview_draw(const struct ui *ui, int y);

/* Frees what the screen holds, when the screens close. */
void budgets_free(void);

#endif
