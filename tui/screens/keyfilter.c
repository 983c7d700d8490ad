#include "screens/keyfilter.h"

#include <stdio.h>
#include <stdlib.h>

#include "ops/keyhygiene.h"

static struct {
    struct tg_key_findings findings;
    int shown; /* 0: every key; else the finding kind + 1 */
} kf;

/* Per kind: the status bar's name, and what an empty table says is missing. */
static const struct {
    const char *name, *none;
} kinds[TG_KEY_NFINDINGS] = {
    [TG_KEY_DORMANT] = {"dormant", "no dormant keys (no request in %d days)"},
    [TG_KEY_SHARED] = {"shared", "no shared keys (used by more than one developer in %d days)"},
    [TG_KEY_NEVER_USED] = {"never used", "no never-used keys (the gateway lists none that no log named)"},
    [TG_KEY_USED_AFTER_REVOCATION] = {"used after revocation", "no keys used after revocation"},
};

int keyfilter_load(struct tg_store *store, int64_t now_ms, char *err, size_t errlen)
{
    keyfilter_free();
    return tg_key_hygiene(store, now_ms, TG_KEY_DORMANT_DAYS, &kf.findings, err, errlen);
}

void keyfilter_free(void)
{
    tg_key_findings_free(&kf.findings);
}

bool keyfilter_passes(int64_t key_row)
{
    if (kf.shown == 0)
        return true;
    for (size_t i = 0; i < kf.findings.count; i++) {
        const struct tg_key_finding *f = &kf.findings.items[i];
        if ((int)f->kind == kf.shown - 1 && f->key_row == key_row)
            return true;
    }
    return false;
}

void keyfilter_cycle(bool back)
{
    kf.shown = (kf.shown + (back ? TG_KEY_NFINDINGS : 1)) % (TG_KEY_NFINDINGS + 1);
}

bool keyfilter_on(void)
{
    return kf.shown != 0;
}

const char *keyfilter_name(void)
{
    return kf.shown ? kinds[kf.shown - 1].name : "";
}

void keyfilter_empty_text(char *buf, size_t len)
{
    if (!kf.shown) {
        snprintf(buf, len, "no keys");
        return;
    }
    snprintf(buf, len, kinds[kf.shown - 1].none, TG_KEY_DORMANT_DAYS); /* the formats are the table's */
}
