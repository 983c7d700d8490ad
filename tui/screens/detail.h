/* A request's detail, over the Requests screen: its fields, the prompt
 * messages and the response as text; next / previous request, its thread, and
 * export of the stored log. */
#ifndef TG_SCREENS_DETAIL_H
#define TG_SCREENS_DETAIL_H

#include <stdint.h>

#include "screens/screen.h"

extern const struct screen_ops detail_screen;

/* Shows the request with this row id over the current screen. */
void detail_open(struct ui *ui, int64_t row_id);

/* Frees what the detail holds, when the screens close. */
void detail_free(void);

#endif
