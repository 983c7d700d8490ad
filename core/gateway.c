#include "gateway.h"

#include <stdlib.h>
#include <string.h>

void tg_key_list_free(struct tg_key_list *list)
{
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

struct tg_gateway_key *tg_key_list_add(struct tg_key_list *list)
{
    struct tg_gateway_key *items = realloc(list->items, (list->count + 1) * sizeof *items);
    if (!items)
        return NULL;
    list->items = items;
    struct tg_gateway_key *k = &items[list->count++];
    memset(k, 0, sizeof *k);
    k->created_ms = k->last_used_ms = -1;
    return k;
}
