/* The detail's ways out of the screens: text copied to the clipboard through
 * the terminal (OSC 52, written by tollgate itself, the text base64-encoded so
 * nothing in it reaches the terminal as an escape) or, when that is off
 * (TOLLGATE_NO_OSC52, or no terminal on stdout), to a new 0600 file; and a
 * stored log opened in $PAGER from a read-only 0600 temp file removed after. */
#ifndef TG_SCREENS_DETAILIO_H
#define TG_SCREENS_DETAILIO_H

#include <stddef.h>

/* Copies text; says where into msg (for the status line). 0, or -1 with msg. */
int detailio_copy(const char *text, size_t len, char *msg, size_t msglen);

/* Shows the bytes in $PAGER (less when unset), the screens suspended meanwhile.
 * 0, or -1 with msg. */
int detailio_page(const char *text, size_t len, char *msg, size_t msglen);

#endif
