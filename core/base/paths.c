#include "base/paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int under_home(const char *xdg_var, const char *fallback, const char *leaf, char *buf,
                      size_t len, char *err, size_t errlen)
{
    const char *base = getenv(xdg_var);
    int n;
    if (base && *base == '/') {
        n = snprintf(buf, len, "%s/%s", base, leaf);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home) {
            snprintf(err, errlen, "neither %s nor HOME is set: pass --db PATH", xdg_var);
            return -1;
        }
        n = snprintf(buf, len, "%s/%s/%s", home, fallback, leaf);
    }
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, errlen, "path too long under %s", xdg_var);
        return -1;
    }
    return 0;
}

int tg_paths_default_db(char *buf, size_t len, char *err, size_t errlen)
{
    const char *env = getenv("TOLLGATE_DB");
    if (env && *env) {
        if ((size_t)snprintf(buf, len, "%s", env) >= len) {
            snprintf(err, errlen, "TOLLGATE_DB is too long");
            return -1;
        }
        return 0;
    }
    return under_home("XDG_DATA_HOME", ".local/share", "tollgate/tollgate.db", buf, len, err, errlen);
}

int tg_paths_config_dir(char *buf, size_t len, char *err, size_t errlen)
{
    return under_home("XDG_CONFIG_HOME", ".config", "tollgate", buf, len, err, errlen);
}

int tg_paths_make_parent(const char *file, char *err, size_t errlen)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s", file) >= sizeof path) {
        snprintf(err, errlen, "path too long: %s", file);
        return -1;
    }
    char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    *slash = '\0';
    /* mkdir each prefix in turn: "a", "a/b", "a/b/c" */
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create directory %s: %s", path, strerror(errno));
            return -1;
        }
        *p = saved;
        if (saved == '\0')
            return 0;
    }
}
