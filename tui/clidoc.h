/* What is written about the commands, all made from main.c's command table so
 * none of it drifts from what the commands accept: `tollgate --help`, the man
 * page (`tollgate --help-man`, tollgate.1) and the bash / zsh completion
 * (`tollgate completion bash|zsh`). The Makefile writes the last two at build
 * time and `make install` installs them. */
#ifndef TG_CLIDOC_H
#define TG_CLIDOC_H

#include <stddef.h>
#include <stdio.h>

#include "cli.h"

struct clidoc_table {
    const struct command_entry *const *commands; /* in the order --help lists them */
    size_t count;
    const char *version;
};

/* `tollgate --help`. */
void clidoc_help(FILE *out, const struct clidoc_table *table);

/* The man page, in roff (man(7)). */
void clidoc_man_page(FILE *out, const struct clidoc_table *table);

/* The completion script for shell "bash" or "zsh"; -1 for any other. */
int clidoc_completion(FILE *out, const char *shell, const struct clidoc_table *table);

#endif
