/* The one-line editor on the bottom line: the / filter, the : commands and
 * the typed confirmation of a revocation. UTF-8 aware; Backspace takes a whole
 * character, ctrl-U clears the line. */
#ifndef TG_SCREENS_LINEEDIT_H
#define TG_SCREENS_LINEEDIT_H

#include <stdbool.h>
#include <stddef.h>

/* Edits buf (which may hold a starting text) after the prompt. True on Enter,
 * false when cancelled with Esc (buf then holds whatever was typed). */
bool lineedit_read(const char *prompt, char *buf, size_t len);

#endif
