/* cJSON trees built inside a scope come from a per-thread arena instead of
 * malloc. Parsing a log builds and deletes a tree of a hundred small nodes;
 * with malloc that was a quarter of an import's CPU, most of it freeing
 * nodes one by one. Inside a scope, cJSON_Delete of an arena node does
 * nothing and the whole arena is released when the outermost scope ends.
 *
 * Rule for callers: nothing cJSON allocates inside a scope may outlive it
 * (no tree, no printed string). Memory allocated outside a scope may be
 * freed inside one and the other way round is a bug (AddressSanitizer
 * builds poison the arena when a scope ends, so it is caught). */
#ifndef TG_JSONARENA_H
#define TG_JSONARENA_H

/* Routes cJSON's allocations through the arena hooks. Call it before a
 * second thread uses cJSON (main does); scopes install it too, once. */
void tg_json_arena_install(void);

/* Scopes nest; only the outermost one's end releases the arena. */
void tg_json_scope_begin(void);
void tg_json_scope_end(void);

#endif
