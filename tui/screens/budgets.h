/* The Budgets screen: every budget of the config with its spend this period,
 * a bar of the share used coloured by tier (ok, warn, over), the period-end
 * forecast and its range, when it runs out, and the last 30 days as a
 * sparkline; then what `tollgate check` would say of the keys. Also the line
 * the Overview shows: the org's budget and the budgets closest to their limits. */
#ifndef TG_SCREENS_BUDGETS_H
#define TG_SCREENS_BUDGETS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/money.h"
#include "screens/screen.h"

extern const struct screen_ops budgets_screen;

/* For the Overview: loads the budgets (when the screen has not just done so)
 * and draws their one line at row y; nothing when there are no budgets. */
void budgets_overview_load(struct ui *ui);
void budgets_overview_draw(const struct ui *ui, int y);
/* The org's budget spread evenly over its period (this month's days, a
 * week's, a day's), for unit_ms of it: the budget line of the Overview's
 * chart of spend per day or hour. False when there is no org budget. */
bool budgets_org_per(int64_t unit_ms, tg_nanos *out);

/* Frees what the screen holds, when the screens close. */
void budgets_free(void);

#endif
