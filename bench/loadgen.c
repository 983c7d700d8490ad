/* Load for the collector: C connections on loopback, each a thread sending
 * POSTs back to back over one keep-alive connection, every log unique. Prints
 * logs/s and request latency percentiles.
 * usage: loadgen PORT LOGS.jsonl CONNECTIONS LOGS_PER_POST SECONDS */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct shared {
    int port, per_post;
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

static void *run(void *arg)
{
    struct worker *w = arg;
    struct shared *s = w->s;
    int fd = connect_to(s->port);
    if (fd < 0)
        return NULL;
    size_t cap = 1 << 20;
    char *body = malloc(64 << 20), *resp = malloc(cap), head[256];
    double stop = now() + s->seconds;
    const char *path = s->per_post == 1 ? "/api/request-logs/create/" : "/v1/logs";
    while (now() < stop) {
        long first = take_lines(s, s->per_post);
        if (first < 0)
            break;
        size_t len = 0;
        if (s->per_post > 1)
            body[len++] = '[';
        for (int i = 0; i < s->per_post; i++) {
            if (i)
                body[len++] = ',';
            memcpy(body + len, s->lines[first + i], s->lens[first + i]);
            len += s->lens[first + i];
        }
        if (s->per_post > 1)
            body[len++] = ']';
        int hl = snprintf(head, sizeof head,
                          "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\n\r\n", path, len);
        double t0 = now();
        if (send_all(fd, head, (size_t)hl) || send_all(fd, body, len)) {
            w->errors++;
            break;
        }
        int status = read_response(fd, resp, cap);
        double dt = now() - t0;
        if (status != 200 && status != 201) {
            w->errors++;
            if (status < 0)
                break;
            continue;
        }
        if (w->nlat == w->cap) {
            w->cap = w->cap ? w->cap * 2 : 4096;
            w->latencies = realloc(w->latencies, (size_t)w->cap * sizeof *w->latencies);
        }
        w->latencies[w->nlat++] = dt;
        w->posts++;
        w->logs += s->per_post;
    }
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
    if (argc != 6) {
        fprintf(stderr, "usage: loadgen PORT LOGS.jsonl CONNECTIONS LOGS_PER_POST SECONDS\n");
        return 2;
    }
    struct shared s = {.port = atoi(argv[1]), .per_post = atoi(argv[4]), .seconds = atof(argv[5])};
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
    struct worker *w = calloc((size_t)conns, sizeof *w);
    pthread_t *t = calloc((size_t)conns, sizeof *t);
    double t0 = now();
    for (int i = 0; i < conns; i++) {
        w[i].s = &s;
        pthread_create(&t[i], NULL, run, &w[i]);
    }
    long logs = 0, posts = 0, errors = 0, nlat = 0;
    for (int i = 0; i < conns; i++) {
        pthread_join(t[i], NULL);
        logs += w[i].logs;
        posts += w[i].posts;
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
    double p50 = nlat ? all[nlat / 2] : 0, p99 = nlat ? all[(long)((double)nlat * 0.99)] : 0;
    printf("%d connections, %d logs/POST: %ld logs in %ld POSTs, %.1f s: %.0f logs/s, %.0f POSTs/s, "
           "p50 %.2f ms, p99 %.2f ms, %ld errors\n",
           conns, s.per_post, logs, posts, elapsed, (double)logs / elapsed, (double)posts / elapsed, p50 * 1e3,
           p99 * 1e3, errors);
    return errors ? 1 : 0;
}
