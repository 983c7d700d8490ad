#include "base/jsontree.h"

#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"

static int compare_keys(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

void tg_json_write_canonical(const cJSON *item, struct strbuf *out)
{
    if (cJSON_IsObject(item)) {
        size_t n = (size_t)cJSON_GetArraySize(item), i = 0;
        const cJSON **children = malloc((n ? n : 1) * sizeof *children);
        if (!children) {
            out->failed = 1;
            return;
        }
        const cJSON *child;
        cJSON_ArrayForEach(child, item) children[i++] = child;
        qsort(children, n, sizeof *children, compare_keys);
        strbuf_putc(out, '{');
        for (i = 0; i < n; i++) {
            if (i)
                strbuf_putc(out, ',');
            strbuf_json_string(out, children[i]->string);
            strbuf_putc(out, ':');
            tg_json_write_canonical(children[i], out);
        }
        strbuf_putc(out, '}');
        free(children);
    } else if (cJSON_IsArray(item)) {
        strbuf_putc(out, '[');
        const cJSON *child;
        int first = 1;
        cJSON_ArrayForEach(child, item) {
            if (!first)
                strbuf_putc(out, ',');
            first = 0;
            tg_json_write_canonical(child, out);
        }
        strbuf_putc(out, ']');
    } else if (cJSON_IsString(item)) {
        strbuf_json_string(out, item->valuestring);
    } else if (cJSON_IsNumber(item)) {
        strbuf_printf(out, "%.17g", item->valuedouble);
    } else if (cJSON_IsTrue(item)) {
        strbuf_puts(out, "true");
    } else if (cJSON_IsFalse(item)) {
        strbuf_puts(out, "false");
    } else {
        strbuf_puts(out, "null");
    }
}

int tg_json_find_bad_utf8(const cJSON *item, struct strbuf *path)
{
    if (item->string && !tg_utf8_valid(item->string, strlen(item->string)))
        return 1;
    if (cJSON_IsString(item) && !tg_utf8_valid(item->valuestring, strlen(item->valuestring)))
        return 1;
    int index = 0;
    const cJSON *child;
    cJSON_ArrayForEach(child, item) {
        size_t mark = path->len;
        if (cJSON_IsArray(item))
            strbuf_printf(path, "[%d]", index);
        else if (child->string && tg_utf8_valid(child->string, strlen(child->string)))
            strbuf_printf(path, "%s%s", mark ? "." : "", child->string);
        else
            strbuf_printf(path, "%s(key)", mark ? "." : "");
        if (tg_json_find_bad_utf8(child, path))
            return 1;
        path->len = mark;
        path->data[mark] = '\0';
        index++;
    }
    return 0;
}
