/* Load for the collector: C connections on loopback, each a thread sending
 * POSTs back to back over one keep-alive connection, every log unique (when
 * the file runs out it starts again with its ids prefixed by the round).
 * LOGS_PER_POST "mix" alternates single-log POSTs to the log-create endpoint
 * and 1-to-50-log batches to /v1/logs. Prints logs/s, request latency
 * percentiles and errors (any answer but 200/201, or a dropped connection,
 * after which the thread connects again), and MB/s of log bytes sent (the
 * bodies, 10^6 bytes). A run ends after SECONDS, or when a file of single logs
 * or fixed batches is used up: big logs (bench/agents.py posts one 120 KB log
 * per POST) are never sent twice. With "lines" after SECONDS, batches go as
 * JSON Lines (application/x-ndjson) rather than a JSON array.
 * usage: loadgen PORT LOGS.jsonl CONNECTIONS LOGS_PER_POST|mix SECONDS [lines] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct shared {
    int port, per_post; /* per_post 0: mix */
    bool lines_format;  /* batches as JSON Lines */
    double seconds;
    char **lines;
    size_t *lens;
    long nlines;
    long next_line; /* under mu */
    pthread_mutex_t mu;
};

struct worker {
    struct shared *s;
    long logs, posts, errors;
    double body_bytes;
    double *latencies;
    long nlat, cap;
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads one response; returns the status or -1. */
static int read_response(int fd, char *buf, size_t cap)
{
    size_t have = 0;
    char *end = NULL;
    while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
        ssize_t r = recv(fd, buf + have, cap - have, 0);
        if (r <= 0)
            return -1;
        have += (size_t)r;
    }
    int status = atoi(buf + 9);
    char *cl = strcasestr(buf, "Content-Length:");
    size_t body = cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
    size_t need = (size_t)(end + 4 - buf) + body;
    while (have < need) {
        ssize_t r = recv(fd, buf + have, cap - have, 0);
        if (r <= 0)
            return -1;
        have += (size_t)r;
    }
    return status;
}

static long take_lines(struct shared *s, int n)
{
    pthread_mutex_lock(&s->mu);
    long first = s->next_line;
    s->next_line += n;
    pthread_mutex_unlock(&s->mu);
    return first + n <= s->nlines ? first : -1;
}

/* The index of the next n lines, wrapping round; *round says how many times the
 * file was used up before them, so ids can be made unique again. */
static long take_wrapping(struct shared *s, int n, long *round)
{
    pthread_mutex_lock(&s->mu);
    long first = s->next_line;
    if (first + n > s->nlines) { /* wrap: skip the tail too short for n */
        first = ((first / s->nlines) + 1) * s->nlines;
    }
    s->next_line = first + n;
    pthread_mutex_unlock(&s->mu);
    *round = first / s->nlines;
    return first % s->nlines;
}

/* Appends a log, its unique_id prefixed with "rN-" after the first round. */
static size_t put_log(char *body, size_t len, const char *line, size_t n, long round)
{
    static const char key[] = "\"unique_id\":\"";
    const char *at = round ? memmem(line, n, key, sizeof key - 1) : NULL;
    if (!at) {
        memcpy(body + len, line, n);
        return len + n;
    }
    size_t head = (size_t)(at - line) + sizeof key - 1;
    memcpy(body + len, line, head);
    len += head;
    len += (size_t)sprintf(body + len, "r%ld-", round);
    memcpy(body + len, line + head, n - head);
    return len + n - head;
}

static void *run(void *arg)
{
    struct worker *w = arg;
    struct shared *s = w->s;
    int fd = connect_to(s->port);
    if (fd < 0) {
        w->errors++;
        return NULL;
    }
    size_t cap = 1 << 20;
    char *body = malloc(64 << 20), *resp = malloc(cap), head[256];
    double stop = now() + s->seconds;
    unsigned seed = (unsigned)(uintptr_t)w;
    for (long k = 0; now() < stop; k++) {
        int per_post = s->per_post;
        if (per_post == 0) /* mix: every other POST a single log, else a batch */
            per_post = k % 2 == 0 ? 1 : 1 + (int)(rand_r(&seed) % 50);
        bool single = s->per_post == 1 || (s->per_post == 0 && k % 2 == 0);
        long round = 0, first;
        if (s->per_post == 0) {
            first = take_wrapping(s, per_post, &round);
        } else if ((first = take_lines(s, per_post)) < 0) {
            break;
        }
        bool lines = !single && s->lines_format;
        size_t len = 0;
        if (!single && !lines)
            body[len++] = '[';
        for (int i = 0; i < per_post; i++) {
            if (i && !lines)
                body[len++] = ',';
            len = put_log(body, len, s->lines[first + i], s->lens[first + i], round);
            if (lines)
                body[len++] = '\n';
        }
        if (!single && !lines)
            body[len++] = ']';
        int hl = snprintf(head, sizeof head,
                          "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n"
                          "Content-Length: %zu\r\n\r\n", single ? "/api/request-logs/create/" : "/v1/logs",
                          lines ? "application/x-ndjson" : "application/json", len);
        double t0 = now();
        int status = -1;
        if (send_all(fd, head, (size_t)hl) == 0 && send_all(fd, body, len) == 0)
            status = read_response(fd, resp, cap);
        double dt = now() - t0;
        if (status != 200 && status != 201) {
            w->errors++;
            if (status < 0) { /* dropped: connect again, as a client would */
                close(fd);
                if ((fd = connect_to(s->port)) < 0)
                    break;
            }
            continue;
        }
        if (w->nlat == w->cap) {
            w->cap = w->cap ? w->cap * 2 : 4096;
            w->latencies = realloc(w->latencies, (size_t)w->cap * sizeof *w->latencies);
        }
        w->latencies[w->nlat++] = dt;
        w->posts++;
        w->logs += per_post;
        w->body_bytes += (double)len;
    }
    if (fd >= 0)
        close(fd);
    free(body);
    free(resp);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 6 && !(argc == 7 && strcmp(argv[6], "lines") == 0)) {
        fprintf(stderr, "usage: loadgen PORT LOGS.jsonl CONNECTIONS LOGS_PER_POST|mix SECONDS [lines]\n");
        return 2;
    }
    bool mix = strcmp(argv[4], "mix") == 0;
    struct shared s = {.port = atoi(argv[1]), .per_post = mix ? 0 : atoi(argv[4]), .seconds = atof(argv[5]),
                       .lines_format = argc == 7};
    if ((!mix && s.per_post < 1) || s.seconds <= 0) {
        fprintf(stderr, "loadgen: LOGS_PER_POST wants a number or mix, SECONDS a positive number\n");
        return 2;
    }
    int conns = atoi(argv[3]);
    pthread_mutex_init(&s.mu, NULL);
    FILE *f = fopen(argv[2], "r");
    if (!f)
        return 2;
    long cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t n;
    while ((n = getline(&line, &lcap, f)) > 0) {
        if (s.nlines == cap) {
            cap = cap ? cap * 2 : 65536;
            s.lines = realloc(s.lines, (size_t)cap * sizeof *s.lines);
            s.lens = realloc(s.lens, (size_t)cap * sizeof *s.lens);
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        s.lines[s.nlines] = strndup(line, (size_t)n);
        s.lens[s.nlines++] = (size_t)n;
    }
    fclose(f);
    free(line);
    if (s.nlines < 50) {
        fprintf(stderr, "loadgen: %s has fewer than 50 logs\n", argv[2]);
        return 2;
    }
    struct worker *w = calloc((size_t)conns, sizeof *w);
    pthread_t *t = calloc((size_t)conns, sizeof *t);
    double t0 = now();
    for (int i = 0; i < conns; i++) {
        w[i].s = &s;
        pthread_create(&t[i], NULL, run, &w[i]);
    }
    long logs = 0, posts = 0, errors = 0, nlat = 0;
    double body_bytes = 0;
    for (int i = 0; i < conns; i++) {
        pthread_join(t[i], NULL);
        logs += w[i].logs;
        posts += w[i].posts;
        body_bytes += w[i].body_bytes;
        errors += w[i].errors;
        nlat += w[i].nlat;
    }
    double elapsed = now() - t0;
    double *all = malloc((size_t)(nlat ? nlat : 1) * sizeof *all);
    long k = 0;
    for (int i = 0; i < conns; i++)
        for (long j = 0; j < w[i].nlat; j++)
            all[k++] = w[i].latencies[j];
    qsort(all, (size_t)nlat, sizeof *all, cmp);
    double p50 = nlat ? all[nlat / 2] : 0, p95 = nlat ? all[(long)((double)nlat * 0.95)] : 0,
           p99 = nlat ? all[(long)((double)nlat * 0.99)] : 0, max = nlat ? all[nlat - 1] : 0;
    printf("%d connections, %s logs/POST: %ld logs in %ld POSTs, %.1f s: %.0f logs/s, %.1f MB/s, %.0f POSTs/s, "
           "p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms, %ld errors\n",
           conns, argv[4], logs, posts, elapsed, (double)logs / elapsed, body_bytes / elapsed / 1e6,
           (double)posts / elapsed, p50 * 1e3, p95 * 1e3, p99 * 1e3, max * 1e3, errors);
    return errors ? 1 : 0;
}
