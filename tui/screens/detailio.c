#define _XOPEN_SOURCE_EXTENDED 1
#define _DEFAULT_SOURCE 1
#include "screens/detailio.h"

#include <errno.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/sanitize.h"
#include "base/strbuf.h"

static void base64(const char *text, size_t len, struct strbuf *out)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < len ? (unsigned)s[i + 1] << 8 : 0) | (i + 2 < len ? s[i + 2] : 0);
        char four[4] = {digits[v >> 18 & 63], digits[v >> 12 & 63], i + 1 < len ? digits[v >> 6 & 63] : '=',
                        i + 2 < len ? digits[v & 63] : '='};
        strbuf_append(out, four, 4);
    }
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A new file only this user may read, in $TMPDIR (else /tmp). */
static int temp_file(const char *what, const char *suffix, char *path, size_t len)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    snprintf(path, len, "%s/tollgate-%s-XXXXXX%s", dir, what, suffix);
    int fd = mkstemps(path, (int)strlen(suffix)); /* 0600 */
    if (fd >= 0)
        fchmod(fd, 0600);
    return fd;
}

static void say_path(const char *verb, const char *path, char *msg, size_t msglen)
{
    char shown[512];
    tg_sanitize(path, shown, sizeof shown);
    snprintf(msg, msglen, "%s %s", verb, shown);
}

int detailio_copy(const char *text, size_t len, char *msg, size_t msglen)
{
    if (!getenv("TOLLGATE_NO_OSC52") && isatty(STDOUT_FILENO)) {
        struct strbuf seq = STRBUF_INIT;
        strbuf_puts(&seq, "\033]52;c;");
        base64(text, len, &seq);
        strbuf_puts(&seq, "\a");
        int rc = seq.failed ? -1 : write_all(STDOUT_FILENO, seq.data, seq.len);
        strbuf_free(&seq);
        snprintf(msg, msglen, rc == 0 ? "copied %zu bytes to the clipboard (OSC 52; TOLLGATE_NO_OSC52=1 writes a file)"
                                      : "could not write to the terminal", len);
        return rc;
    }
    char path[4200];
    int fd = temp_file("copy", ".txt", path, sizeof path);
    if (fd < 0) {
        snprintf(msg, msglen, "could not create a file to copy to: %s", strerror(errno));
        return -1;
    }
    int rc = write_all(fd, text, len);
    close(fd);
    say_path(rc == 0 ? "copied to" : "could not write", path, msg, msglen);
    return rc;
}

static int run_pager(const char *path)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (!getenv("PAGER") || !*getenv("PAGER"))
            setenv("PAGER", "less", 1);
        execl("/bin/sh", "sh", "-c", "$PAGER \"$1\"", "sh", path, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return 0;
}

int detailio_page(const char *text, size_t len, char *msg, size_t msglen)
{
    char path[4200];
    int fd = temp_file("log", ".json", path, sizeof path);
    if (fd < 0) {
        snprintf(msg, msglen, "could not create a file for the pager: %s", strerror(errno));
        return -1;
    }
    int rc = write_all(fd, text, len);
    fchmod(fd, 0400); /* read-only: the pager shows, it does not edit the store's copy */
    close(fd);
    if (rc == 0) {
        def_prog_mode();
        endwin();
        rc = run_pager(path);
        reset_prog_mode();
        refresh();
    }
    unlink(path);
    snprintf(msg, msglen, rc == 0 ? "" : "could not run the pager");
    return rc;
}
