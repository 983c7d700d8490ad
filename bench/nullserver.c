/* The collector's peer: an HTTP server on the same libmicrohttpd set-up as
 * `tollgate collect` (epoll, four event threads) that reads each request's body
 * whole, sums its length, and answers 200 with nothing stored. What bench/
 * measures the collector against: the cost of HTTP and copying the bytes.
 * usage: nullserver   (listens on 127.0.0.1, a free port; prints
 * "listening on http://127.0.0.1:PORT"; stops on SIGTERM or SIGINT and prints
 * "N requests, N bytes") */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

static atomic_long requests, bytes;

struct body {
    char *data;
    size_t len, cap;
};

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **state)
{
    (void)cls, (void)url, (void)method, (void)version;
    struct body *b = *state;
    if (!b) {
        *state = calloc(1, sizeof *b);
        return *state ? MHD_YES : MHD_NO;
    }
    if (*upload_size) { /* keep the bytes, as a server that will parse them must */
        if (b->len + *upload_size > b->cap) {
            size_t cap = b->cap ? b->cap * 2 : 65536;
            while (cap < b->len + *upload_size)
                cap *= 2;
            char *grown = realloc(b->data, cap);
            if (!grown)
                return MHD_NO;
            b->data = grown;
            b->cap = cap;
        }
        memcpy(b->data + b->len, upload, *upload_size);
        b->len += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    atomic_fetch_add(&requests, 1);
    atomic_fetch_add(&bytes, (long)b->len);
    static const char ok[] = "{\"ok\":true}";
    struct MHD_Response *r = MHD_create_response_from_buffer(sizeof ok - 1, (void *)ok, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

static void completed(void *cls, struct MHD_Connection *conn, void **state, enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)conn, (void)why;
    struct body *b = *state;
    if (b) {
        free(b->data);
        free(b);
    }
    *state = NULL;
}

int main(void)
{
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* the event threads inherit the mask */
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD, 0, NULL, NULL, handle, NULL,
                                            MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED, completed,
                                            NULL, MHD_OPTION_THREAD_POOL_SIZE, 4u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "nullserver: cannot listen\n");
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "listening on http://127.0.0.1:%u\n", (unsigned)info->port);
    int sig;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    fprintf(stderr, "%ld requests, %ld bytes\n", atomic_load(&requests), atomic_load(&bytes));
    return 0;
}
