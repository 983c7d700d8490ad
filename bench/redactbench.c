/* Times --redact on the bodies it runs on: `tg_redact_log` (what import,
 * collect and sync call on every log) on an agent-sized log of about 116 KB
 * and on a small one of about 1.5 KB, both from the demo generator (so no
 * secret in them: the common case), and the big one again with six
 * secrets planted in its messages (some written with JSON escapes).
 * Usage: redactbench [ROUNDS]   (prints one line per body) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/demo.h"
#include "log/logmodel.h"
#include "log/redact.h"

struct pick {
    size_t want;
    char *json;
    size_t len;
};

struct picks {
    struct pick big, small;
};

static void keep_closest(struct pick *p, const char *json, size_t len)
{
    size_t d_new = len > p->want ? len - p->want : p->want - len;
    size_t d_old = p->len > p->want ? p->len - p->want : p->want - p->len;
    if (p->json && d_new >= d_old)
        return;
    free(p->json);
    p->json = strndup(json, len);
    p->len = len;
}

static int sink(void *ctx, const char *json, size_t len)
{
    struct picks *p = ctx;
    keep_closest(&p->big, json, len);
    keep_closest(&p->small, json, len);
    return 0;
}

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Each round redacts a fresh copy of the parsed log's text. */
static void time_body(const char *what, const char *json, size_t len, int rounds)
{
    struct tg_log log;
    struct tg_log_error lerr;
    struct tg_log_parse_options plain = {0};
    if (tg_log_parse_text(json, len, &plain, &log, &lerr) != 0) {
        fprintf(stderr, "%s: does not parse: %s\n", what, lerr.message);
        exit(2);
    }
    char *original = log.raw;
    size_t original_len = log.raw_len;
    double *us = malloc(sizeof *us * (size_t)rounds);
    int masked = 0;
    for (int i = 0; i < rounds; i++) {
        log.raw = malloc(original_len + 1);
        memcpy(log.raw, original, original_len + 1);
        log.raw_len = original_len;
        double t0 = now_us();
        masked = tg_redact_log(&log);
        us[i] = now_us() - t0;
        free(log.raw);
    }
    log.raw = original;
    log.raw_len = original_len;
    qsort(us, (size_t)rounds, sizeof *us, cmp_double);
    printf("%-34s %7zu bytes  masked %2d  p50 %8.1f us  p95 %8.1f us  %6.0f MB/s\n", what, len, masked,
           us[rounds / 2], us[rounds * 95 / 100], (double)len / us[rounds / 2]);
    free(us);
    tg_log_free(&log);
}

/* The big body with secrets put into its first message's text. */
static char *with_secrets(const char *json, size_t len, size_t *out_len)
{
    static const char planted[] =
        "use sk-proj-AbCdEfGhIjKlMnOpQrStUvWx and sk\\u002dant-api03-AbCdEfGhIjKlMnOpQrSt, "
        "DATABASE_URL=postgres://app:hunter2pass@db.internal:5432/app\\n"
        "export STRIPE_KEY=sk_live_51HbCdEfGhIjKlMnOpQrStUv and PASSWORD=correct-horse \\n"
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N ";
    const char *at = strstr(json, "\"content\":\"");
    if (!at)
        return NULL;
    size_t head = (size_t)(at - json) + 11;
    char *out = malloc(len + sizeof planted);
    memcpy(out, json, head);
    memcpy(out + head, planted, sizeof planted - 1);
    memcpy(out + head + sizeof planted - 1, json + head, len - head + 1);
    *out_len = len + sizeof planted - 1;
    return out;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 2000;
    if (rounds < 20)
        rounds = 20;
    struct picks p = {.big = {.want = 116 * 1024}, .small = {.want = 1536}};
    struct tg_demo_options o = {.requests = 4000, .seed = 7, .end_ms = 1795000000000LL, .days = 3,
                                .large_messages = 1};
    char err[256];
    if (tg_demo_generate(&o, sink, &p, err, sizeof err) != 0) {
        fprintf(stderr, "demo: %s\n", err);
        return 2;
    }
    struct tg_demo_options small = {.requests = 400, .seed = 7, .end_ms = 1795000000000LL, .days = 1,
                                    .max_context_messages = 2};
    struct picks q = {.big = {.want = 1}, .small = {.want = 1536}};
    if (tg_demo_generate(&small, sink, &q, err, sizeof err) != 0) {
        fprintf(stderr, "demo: %s\n", err);
        return 2;
    }
    time_body("agent log, no secret", p.big.json, p.big.len, rounds);
    time_body("small log, no secret", q.small.json, q.small.len, rounds * 10);
    size_t len;
    char *secret = with_secrets(p.big.json, p.big.len, &len);
    if (secret)
        time_body("agent log, 6 secrets planted", secret, len, rounds);
    free(secret);
    free(p.big.json);
    free(p.small.json);
    free(q.big.json);
    free(q.small.json);
    return 0;
}
