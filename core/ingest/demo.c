#include "ingest/demo.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/timeutil.h"

#define MAX_ACTIVE_THREADS 24
#define MAX_TURNS 40

struct rng {
    uint64_t state;
};

/* splitmix64: small, fast, and the same sequence on every machine */
static uint64_t next_u64(struct rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double uniform(struct rng *r)
{
    return (double)(next_u64(r) >> 11) / 9007199254740992.0;
}

static int below(struct rng *r, int n)
{
    return (int)(uniform(r) * n);
}

static const char *pick(struct rng *r, const char *const *list, int n)
{
    return list[below(r, n)];
}
#define PICK(r, list) pick(r, list, (int)(sizeof list / sizeof list[0]))

struct model {
    const char *name, *provider;
    double in, out, cache_read, cache_write; /* dollars per million tokens */
    bool priced;
    double seconds_base; /* slower models take longer */
};

static const struct model models[] = {
    {"claude-sonnet-4-5", "anthropic", 3, 15, 0.3, 3.75, true, 2.0},
    {"claude-opus-4-6", "anthropic", 5, 25, 0.5, 6.25, true, 4.0},
    {"claude-3-5-haiku", "anthropic", 0.8, 4, 0.08, 1.0, true, 0.8},
    {"gpt-5.5", "openai", 5, 30, 0.5, 5, true, 3.0},
    {"gemini-3-pro-preview", "google_gemini_ai", 2, 12, 0.2, 2, true, 2.5},
    {"gemini-2.5-flash", "google_gemini_ai", 0.3, 2.5, 0.03, 0.3, true, 0.9},
    {"gemini-2.0-flash", "google_gemini_ai", 0.1, 0.4, 0.025, 0.1, true, 0.6},
    {"local/qwen3-coder", "openai_compatible", 0, 0, 0, 0, false, 1.5},
};
enum { SONNET, OPUS, HAIKU, GPT55, GEMINI3, FLASH25, FLASH20, LOCAL };

struct agent {
    const char *name;
    int models[3];
    double shares[3];
};

static const struct agent agents[] = {
    {"claude-code", {SONNET, OPUS, HAIKU}, {0.72, 0.18, 0.10}},
    {"codex-cli", {GPT55, GPT55, GPT55}, {1.0, 0, 0}},
    {"gemini-cli", {GEMINI3, FLASH25, FLASH20}, {0.45, 0.40, 0.15}},
    {"opencode", {SONNET, FLASH25, GPT55}, {0.5, 0.3, 0.2}},
};

struct developer {
    const char *id, *name, *email;
    int agent;
    int keys;
};

static const struct developer developers[] = {
    {"alice", "Alice Martin", "alice@example.com", 0, 2},
    {"bob", "Bob Okafor", "bob@example.com", 1, 1},
    {"carol", "Carol Nguyen", "carol@example.com", 0, 2},
    {"dave", "Dave Kowalski", "dave@example.com", 2, 1},
    {"erin", "Erin Walsh", "erin@example.com", 0, 1},
    {"frank", "Frank Silva", "frank@example.com", 3, 2},
    {"gina", "Gina Rossi", "gina@example.com", 1, 1},
    {"hiro", "Hiro Tanaka", "hiro@example.com", 0, 2},
    {"ines", "Inês Carvalho", "ines@example.com", 2, 1},
    {"jamal", "Jamal Bakr", "jamal@example.com", 0, 1},
    {"yamada", "山田 太郎", "yamada@example.jp", 3, 1},
    {"zoe", "Zoë Müller", "zoe@example.de", 0, 2},
};
#define NDEVS ((int)(sizeof developers / sizeof developers[0]))

static const char *const repos[] = {"payments-api", "web-dashboard", "ingest-worker", "mobile-app", "infra"};
static const char *const branches[] = {"main", "feat/retry-backoff", "fix/flaky-parser-test", "feat/csv-export",
                                       "chore/deps", "fix/null-deref", "feat/sso"};
static const char *const files[] = {"src/parser.c", "src/http/client.ts", "internal/queue/worker.go",
                                    "app/models/invoice.py", "lib/retry.rs", "tests/test_parser.py",
                                    "Makefile", "README.md", "src/components/Table.tsx"};
static const char *const asks[] = {
    "Fix the failing test in %s", "Add retries with backoff to %s", "Why does %s leak memory under load?",
    "Refactor %s so the error paths are explicit", "Write unit tests for %s",
    "The CI job fails on %s with a timeout, can you look?", "Explain what %s does and simplify it",
    "Port %s to the new logging API"};
static const char *const replies[] = {
    "I found the problem: the buffer in %s is reused after it is freed. Here is a fix.",
    "The test fails because %s compares floats for equality. I changed it to an epsilon check.",
    "I added exponential backoff with jitter to %s and a test for the retry limit.",
    "Done. %s now returns an error instead of exiting, and the caller reports it.",
    "The timeout comes from %s waiting on a lock held by the writer; I moved the write out of it."};
static const char *const tools[] = {"read_file", "run_shell", "edit_file", "grep", "list_dir"};
static const char *const shell_outputs[] = {
    "make: *** [Makefile:42: test] Error 1\\nFAIL tests/test_parser.py::test_unicode - AssertionError",
    "collected 214 items\\n214 passed in 3.21s", "src/parser.c:118:5: warning: unused variable 'n'",
    "fatal: not a git repository (or any of the parent directories): .git",
    "PASS  src/components/Table.test.tsx (4.1 s)"};
static const char system_prompt[] =
    "You are a coding agent working in the user's repository. Use the tools to read files, run commands "
    "and edit code. Keep changes small and explain them.";

/* For agent-sized messages: what real coding agents send is kilobytes of
 * system prompt and whole files as tool output, not one-line examples. */
static const char *const guidance[] = {
    "Read the relevant files before you change anything, and keep the diff as small as the task allows.",
    "When a command fails, read its output in full before trying again; never retry blindly.",
    "Prefer the project's existing helpers and conventions over new abstractions.",
    "Run the tests that cover the code you touched, then the whole suite if it is fast.",
    "Never print secrets, tokens or private keys, even when a file you read contains them.",
    "Explain each change in one or two sentences: what was wrong and why the fix is right.",
    "If the request is ambiguous, state the assumption you made and go on with it.",
    "Do not edit generated files, lockfiles or vendored code unless asked to.",
    "Use the edit tool for changes and the shell tool only for commands that do not modify files.",
    "Keep functions short, name things for what they do, and delete dead code you find on the way.",
};
/* '@' stands for an identifier, '#' for a number. */
static const char *const code_lines[] = {
    "static int parse_@(const char *text, size_t len, struct @ *out)",
    "    if (len > MAX_@_LEN) return -1; /* # */", "    for (size_t i = 0; i < n_@; i++) {",
    "        total += items[i].@ * #;", "    }", "    return 0;", "}",
    "def @(self, value, retries=#):", "        raise ValueError(f\"bad @: {value!r}\")",
    "    const @ = await fetch(`/api/v1/@/${id}`, { timeout: # });",
    "func (w *Worker) @(ctx context.Context) error {", "\tif err := w.queue.Push(@, #); err != nil {",
    "// @ keeps the last # entries so a retry never reads a stale one", "import { @ } from './@';",
    "    assert result.@ == #", "#define @_LIMIT #",
};
static const char *const idents[] = {"buffer", "header", "retry", "invoice", "queue", "parser", "token", "session",
                                     "cursor", "backoff", "payload", "config", "handler", "schema", "widget"};

static char *make_system_text(bool large)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, system_prompt);
    for (int section = 1; large && section <= 8; section++) {
        strbuf_printf(&sb, "\n\n## Part %d\n", section);
        for (size_t i = 0; i < sizeof guidance / sizeof guidance[0]; i++)
            strbuf_printf(&sb, "%d.%zu %s\n", section, i + 1, guidance[(i + (size_t)section * 3) % 10]);
    }
    return strbuf_detach(&sb);
}

/* A file or command output of 20 to 160 numbered lines, as plain text. */
static void put_file_text(struct strbuf *sb, struct rng *r)
{
    int lines = 20 + below(r, 140);
    for (int i = 0; i < lines; i++) {
        strbuf_printf(sb, "%4d  ", i + 1);
        for (const char *c = PICK(r, code_lines); *c; c++) {
            if (*c == '@')
                strbuf_puts(sb, PICK(r, idents));
            else if (*c == '#')
                strbuf_printf(sb, "%d", below(r, 5000));
            else
                strbuf_putc(sb, *c);
        }
        strbuf_putc(sb, '\n');
    }
}

/* Two to eight sentences of explanation. */
static void put_reply_text(struct strbuf *sb, struct rng *r, const char *file)
{
    int sentences = 2 + below(r, 7);
    for (int i = 0; i < sentences; i++) {
        strbuf_printf(sb, PICK(r, replies), file);
        strbuf_putc(sb, ' ');
        strbuf_puts(sb, PICK(r, guidance));
        strbuf_putc(sb, ' ');
    }
}

struct thread {
    bool active;
    int dev, key, model, turns, length;
    uint64_t id;
    int64_t context_tokens;
    bool pending_tool; /* the last completion asked for a tool: the next message is its result */
    char tool_call_id[32];
    char file[64];
    char *messages[2 * MAX_TURNS + 2]; /* rendered JSON messages after the system one */
    int nmessages;
};

struct generator {
    const struct tg_demo_options *opt;
    struct rng rng;
    char *system_text; /* the system prompt every log starts with */
    struct thread threads[MAX_ACTIVE_THREADS];
    uint64_t next_thread;
    struct strbuf line;
};

static int choose_model(struct generator *g, int dev)
{
    if (uniform(&g->rng) < 0.005)
        return LOCAL;
    const struct agent *a = &agents[developers[dev].agent];
    double x = uniform(&g->rng), acc = 0;
    for (int i = 0; i < 3; i++) {
        acc += a->shares[i];
        if (x < acc)
            return a->models[i];
    }
    return a->models[0];
}

/* How likely a request is at this moment: a team working 08-18 UTC on weekdays. */
static double activity(int64_t ms)
{
    int64_t day = ms / TG_DAY_MS;
    int hour = (int)((ms % TG_DAY_MS) / TG_HOUR_MS);
    int weekday = (int)((day + 4) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
    double h = hour >= 8 && hour < 18 ? 1.0 : (hour >= 6 && hour < 21 ? 0.35 : 0.05);
    if (hour == 12)
        h = 0.6; /* lunch */
    return (weekday == 0 || weekday == 6) ? h * 0.2 : h;
}

static int compare_ms(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t *draw_timestamps(struct generator *g)
{
    long n = g->opt->requests;
    int64_t *ts = malloc((size_t)(n ? n : 1) * sizeof *ts);
    if (!ts)
        return NULL;
    int64_t span = (int64_t)g->opt->days * TG_DAY_MS;
    int64_t start = g->opt->end_ms - span;
    for (long i = 0; i < n;) {
        int64_t t = start + (int64_t)(uniform(&g->rng) * (double)span);
        if (uniform(&g->rng) < activity(t))
            ts[i++] = t;
    }
    qsort(ts, (size_t)n, sizeof *ts, compare_ms);
    return ts;
}

static void uuid(struct rng *r, char *out)
{
    uint64_t a = next_u64(r), b = next_u64(r);
    snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
             (unsigned)a & 0xfff, (unsigned)((b >> 48) & 0x3fff) | 0x8000,
             (unsigned long long)(b & 0xffffffffffffULL));
}

static void key_id(const struct tg_demo_options *opt, int dev, int key, char *out)
{
    struct rng r = {opt->seed * 1000003ULL + (uint64_t)dev * 31 + (uint64_t)key + 7};
    uuid(&r, out);
}

static int weighted_length(struct generator *g)
{
    /* mostly short sessions, a long tail up to MAX_TURNS */
    double x = uniform(&g->rng);
    int n = 1 + (int)(-log(1 - x * 0.999) * 6.0);
    return n > MAX_TURNS ? MAX_TURNS : n;
}

static struct thread *start_thread(struct generator *g, struct thread *t)
{
    memset(t, 0, sizeof *t);
    t->active = true;
    t->dev = below(&g->rng, NDEVS);
    t->key = below(&g->rng, developers[t->dev].keys);
    t->model = choose_model(g, t->dev);
    t->length = weighted_length(g);
    t->id = ++g->next_thread;
    t->context_tokens = 2500 + below(&g->rng, 4000);
    snprintf(t->file, sizeof t->file, "%s", PICK(&g->rng, files));
    return t;
}

static void end_thread(struct thread *t)
{
    for (int i = 0; i < t->nmessages; i++)
        free(t->messages[i]);
    t->active = false;
}

static struct thread *thread_for_next_request(struct generator *g)
{
    int active = 0, free_slot = -1;
    for (int i = 0; i < MAX_ACTIVE_THREADS; i++) {
        if (g->threads[i].active)
            active++;
        else if (free_slot < 0)
            free_slot = i;
    }
    if (free_slot >= 0 && (active == 0 || uniform(&g->rng) < 0.15))
        return start_thread(g, &g->threads[free_slot]);
    int nth = below(&g->rng, active);
    for (int i = 0; i < MAX_ACTIVE_THREADS; i++) {
        if (g->threads[i].active && nth-- == 0)
            return &g->threads[i];
    }
    return start_thread(g, &g->threads[0]);
}

static char *render_text_message(const char *role, const char *fmt, const char *arg)
{
    char text[512];
    snprintf(text, sizeof text, fmt, arg);
    struct strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "{\"role\":");
    strbuf_json_string(&sb, role);
    strbuf_puts(&sb, ",\"content\":");
    strbuf_json_string(&sb, text);
    strbuf_putc(&sb, '}');
    return strbuf_detach(&sb);
}

/* The message this turn adds: the user's ask, or the result of the tool asked for. */
static char *next_message(struct generator *g, struct thread *t, int64_t *tokens)
{
    if (t->pending_tool) {
        struct strbuf sb = STRBUF_INIT;
        if (g->opt->large_messages) {
            struct strbuf text = STRBUF_INIT;
            put_file_text(&text, &g->rng);
            strbuf_printf(&sb, "{\"role\":\"tool\",\"tool_call_id\":\"%s\",\"content\":", t->tool_call_id);
            strbuf_json_string(&sb, text.data);
            strbuf_putc(&sb, '}');
            strbuf_free(&text);
        } else {
            strbuf_printf(&sb, "{\"role\":\"tool\",\"tool_call_id\":\"%s\",\"content\":\"%s\"}", t->tool_call_id,
                          PICK(&g->rng, shell_outputs));
        }
        t->pending_tool = false;
        *tokens = 300 + below(&g->rng, 6000);
        return strbuf_detach(&sb);
    }
    *tokens = 40 + below(&g->rng, 400);
    return render_text_message("user", PICK(&g->rng, asks), t->file);
}

/* The response: text, or (half the time, while the session goes on) a tool call. */
static char *completion(struct generator *g, struct thread *t, bool last_turn)
{
    if (!last_turn && uniform(&g->rng) < 0.5) {
        snprintf(t->tool_call_id, sizeof t->tool_call_id, "call_%016llx", (unsigned long long)next_u64(&g->rng));
        const char *tool = PICK(&g->rng, tools);
        struct strbuf sb = STRBUF_INIT;
        strbuf_printf(&sb,
                      "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"%s\",\"type\":\"function\","
                      "\"function\":{\"name\":\"%s\",\"arguments\":\"{\\\"path\\\":\\\"%s\\\"}\"}}]}",
                      t->tool_call_id, tool, t->file);
        t->pending_tool = true;
        return strbuf_detach(&sb);
    }
    if (!g->opt->large_messages)
        return render_text_message("assistant", PICK(&g->rng, replies), t->file);
    struct strbuf text = STRBUF_INIT, sb = STRBUF_INIT;
    put_reply_text(&text, &g->rng, t->file);
    strbuf_puts(&sb, "{\"role\":\"assistant\",\"content\":");
    strbuf_json_string(&sb, text.data);
    strbuf_putc(&sb, '}');
    strbuf_free(&text);
    return strbuf_detach(&sb);
}

static void iso(int64_t ms, char *buf)
{
    tg_time_format_iso(ms, buf, 40);
}

struct usage {
    int64_t prompt, completion, cache_read, cache_write;
    double latency, ttft;
    int status;
    const char *error;
};

static double model_cost(const struct model *m, const struct usage *u)
{
    int64_t uncached = u->prompt - u->cache_read - u->cache_write;
    if (uncached < 0)
        uncached = 0;
    return ((double)uncached * m->in + (double)u->cache_read * m->cache_read + (double)u->cache_write * m->cache_write +
            (double)u->completion * m->out) / 1e6;
}

static void draw_usage(struct generator *g, struct thread *t, int64_t added_tokens, struct usage *u)
{
    const struct model *m = &models[t->model];
    int64_t previous = t->context_tokens;
    t->context_tokens += added_tokens;
    u->prompt = t->context_tokens;
    /* turn 2 on: the previous context is served from the prompt cache */
    u->cache_read = t->turns > 0 ? (int64_t)((double)previous * (0.9 + 0.1 * uniform(&g->rng))) : 0;
    u->cache_write = strcmp(m->provider, "anthropic") == 0 ? u->prompt - u->cache_read : 0;
    u->completion = 50 + (int64_t)(uniform(&g->rng) * uniform(&g->rng) * 4000);
    double x = uniform(&g->rng);
    u->status = 200;
    u->error = NULL;
    if (x < 0.02) {
        u->status = 429;
        u->error = "rate limit exceeded: too many tokens per minute";
    } else if (x < 0.027) {
        static const int codes[] = {500, 502, 503, 529};
        static const char *const msgs[] = {"internal server error", "bad gateway from upstream provider",
                                           "service unavailable", "overloaded"};
        int k = below(&g->rng, 4);
        u->status = codes[k];
        u->error = msgs[k];
    }
    if (u->status != 200) {
        u->completion = 0;
        u->cache_read = u->cache_write = 0;
        u->latency = 0.1 + uniform(&g->rng) * 0.8;
        u->ttft = u->latency;
        return;
    }
    double tokens_per_second = 40 + uniform(&g->rng) * 80;
    u->ttft = 0.3 + m->seconds_base * 0.3 * uniform(&g->rng) + (double)u->prompt / 200000.0;
    u->latency = u->ttft + m->seconds_base + (double)u->completion / tokens_per_second;
    if (u->latency > 90)
        u->latency = 90;
}

static void put_tokens(struct strbuf *sb, const struct usage *u, bool in_usage_object)
{
    if (in_usage_object) {
        strbuf_printf(sb,
                      ",\"usage\":{\"prompt_tokens\":%lld,\"completion_tokens\":%lld,\"total_tokens\":%lld,"
                      "\"cache_read_input_tokens\":%lld,\"cache_creation_input_tokens\":%lld}",
                      (long long)u->prompt, (long long)u->completion, (long long)(u->prompt + u->completion),
                      (long long)u->cache_read, (long long)u->cache_write);
        return;
    }
    strbuf_printf(sb,
                  ",\"prompt_tokens\":%lld,\"completion_tokens\":%lld,\"total_request_tokens\":%lld,"
                  "\"prompt_cache_hit_tokens\":%lld,\"prompt_cache_creation_tokens\":%lld",
                  (long long)u->prompt, (long long)u->completion, (long long)(u->prompt + u->completion),
                  (long long)u->cache_read, (long long)u->cache_write);
}

static void put_messages(struct strbuf *sb, const char *system_text, const struct thread *t, const char *new_message,
                         int max_context)
{
    strbuf_puts(sb, ",\"prompt_messages\":[{\"role\":\"system\",\"content\":");
    strbuf_json_string(sb, system_text);
    strbuf_putc(sb, '}');
    int first = 0;
    if (max_context > 0 && t->nmessages + 1 > max_context)
        first = t->nmessages + 1 - max_context;
    for (int i = first; i < t->nmessages; i++) {
        strbuf_putc(sb, ',');
        strbuf_puts(sb, t->messages[i]);
    }
    strbuf_putc(sb, ',');
    strbuf_puts(sb, new_message);
    strbuf_putc(sb, ']');
}

static void render_log(struct generator *g, struct thread *t, int64_t ts, const char *message, const char *reply,
                       const struct usage *u)
{
    struct strbuf *sb = &g->line;
    const struct developer *d = &developers[t->dev];
    const struct model *m = &models[t->model];
    char id[40], kid[40], when[40], started[40];
    uuid(&g->rng, id);
    key_id(g->opt, t->dev, t->key, kid);
    iso(ts, when);
    iso(ts - (int64_t)(u->latency * 1000), started);
    const char *model_name = m->name;
    if (t->model == GPT55 && (t->id % 3) == 0)
        model_name = "openai/gpt-5.5"; /* some clients log the provider prefix */
    strbuf_reset(sb);
    strbuf_printf(sb, "{\"unique_id\":\"%s\",\"timestamp\":\"%s\",\"start_time\":\"%s\",\"model\":\"%s\","
                      "\"provider_id\":\"%s\",\"customer_identifier\":\"%s\",\"customer_name\":",
                  id, when, started, model_name, m->provider, d->id);
    strbuf_json_string(sb, d->name);
    strbuf_printf(sb, ",\"customer_email\":\"%s\",\"organization_key_id\":\"%s\",\"organization_key_name\":\"%s-%s\"",
                  d->email, kid, d->id, t->key == 0 ? "laptop" : "ci");
    put_tokens(sb, u, uniform(&g->rng) < 0.10);
    bool omit_cost = !m->priced || uniform(&g->rng) < 0.05;
    if (!omit_cost)
        strbuf_printf(sb, ",\"cost\":%.9f", u->status == 200 ? model_cost(m, u) : 0.0);
    strbuf_printf(sb, ",\"latency\":%.3f,\"ttft\":%.3f,\"status_code\":%d", u->latency, u->ttft, u->status);
    if (u->error) {
        strbuf_puts(sb, ",\"error_message\":");
        strbuf_json_string(sb, u->error);
    }
    strbuf_printf(sb, ",\"stream\":true,\"log_type\":\"chat\",\"thread_identifier\":\"thr-%06llu\","
                      "\"metadata\":{\"agent\":\"%s\",\"repo\":\"%s\",\"branch\":\"%s\"}",
                  (unsigned long long)t->id, agents[d->agent].name, repos[t->id % 5], branches[t->id % 7]);
    put_messages(sb, g->system_text, t, message, g->opt->max_context_messages);
    if (u->status == 200) {
        strbuf_puts(sb, ",\"completion_message\":");
        strbuf_puts(sb, reply);
    }
    strbuf_putc(sb, '}');
}

/* One request of a thread: render it, then grow the thread's context. */
static int emit(struct generator *g, int64_t ts, tg_demo_sink sink, void *ctx, int *stop)
{
    struct thread *t = thread_for_next_request(g);
    bool last_turn = t->turns + 1 >= t->length;
    int64_t added;
    char *message = next_message(g, t, &added);
    struct usage u;
    draw_usage(g, t, added, &u);
    char *reply = u.status == 200 ? completion(g, t, last_turn) : NULL;
    render_log(g, t, ts, message, reply ? reply : "null", &u);
    if (g->line.failed) {
        free(message);
        free(reply);
        return -1;
    }
    *stop = sink(ctx, g->line.data, g->line.len);
    t->messages[t->nmessages++] = message;
    if (reply) {
        t->messages[t->nmessages++] = reply;
        t->context_tokens += u.completion;
    } else {
        t->pending_tool = false; /* a failed request is retried as a fresh ask */
    }
    t->turns++;
    if (t->turns >= t->length || t->nmessages >= 2 * MAX_TURNS)
        end_thread(t);
    return 0;
}

int tg_demo_generate(const struct tg_demo_options *options, tg_demo_sink sink, void *ctx, char *err,
                     size_t errlen)
{
    if (options->requests < 0 || options->days < 1 || options->max_context_messages < 0) {
        snprintf(err, errlen, "demo: requests must be >= 0, days >= 1 and context >= 0");
        return -1;
    }
    struct generator g = {.opt = options, .rng = {options->seed ^ 0x7467617465ULL}};
    int64_t *timestamps = draw_timestamps(&g);
    g.system_text = make_system_text(options->large_messages);
    if (!timestamps || !g.system_text) {
        free(timestamps);
        free(g.system_text);
        snprintf(err, errlen, "demo: out of memory");
        return -1;
    }
    int rc = 0;
    for (long i = 0; i < options->requests && rc == 0; i++) {
        int stop = 0;
        if (emit(&g, timestamps[i], sink, ctx, &stop) != 0) {
            snprintf(err, errlen, "demo: out of memory");
            rc = -1;
        } else {
            rc = stop;
        }
    }
    for (int i = 0; i < MAX_ACTIVE_THREADS; i++) {
        if (g.threads[i].active)
            end_thread(&g.threads[i]);
    }
    strbuf_free(&g.line);
    free(g.system_text);
    free(timestamps);
    return rc;
}
