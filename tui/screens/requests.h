/* Requests: the window's requests newest first, a page at a time by keyset so
 * any history is shown with constant memory; the filter line (/), follow mode,
 * and the drill-downs from the tables and from a request's thread. */
#ifndef TG_SCREENS_REQUESTS_H
#define TG_SCREENS_REQUESTS_H

#include "query/browse.h"
#include "query/filter.h"
#include "screens/screen.h"

extern const struct screen_ops requests_screen;

/* Shows the requests whose field is exactly `name` (set as a value, never
 * re-parsed as text); Esc goes back to the screen shown now. */
void requests_drill_down(struct ui *ui, enum tg_filter_field field, const char *name);

/* Shows every request of a thread, over all time. */
void requests_show_thread(struct ui *ui, const char *thread);

/* The request under the cursor, or NULL. */
const struct tg_request_row *requests_selected(void);

/* The free text the list is searched for ("" when none): the detail shows
 * its first hit. */
const char *requests_search_text(void);

/* Moves the cursor, fetching neighbouring rows past either end of the page. */
void requests_step(struct ui *ui, int delta);

#endif
