/* A growable byte buffer, always NUL-terminated, for building JSON and SQL-free text. */
#ifndef TG_STRBUF_H
#define TG_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    char *data;
    size_t len;
    size_t cap;
    int failed; /* set once an allocation fails; later appends are ignored */
};

#define STRBUF_INIT {NULL, 0, 0, 0}

void strbuf_append(struct strbuf *sb, const char *data, size_t len);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
void strbuf_json_string(struct strbuf *sb, const char *s);
void strbuf_reset(struct strbuf *sb);
/* Makes room for n more bytes now, so a body of known size is not regrown. */
void strbuf_reserve(struct strbuf *sb, size_t n);
void strbuf_free(struct strbuf *sb);
/* Hands the text to the caller (free() it); the buffer is left empty. */
char *strbuf_detach(struct strbuf *sb);

#endif
