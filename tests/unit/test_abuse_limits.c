/* The collector's flood limits (conntrack.c: pending connections, their share,
 * per address, eviction, trust) and its body budget (budget.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ingest/budget.h"
#include "ingest/conntrack.h"

static struct sockaddr_in addr4(const char *ip)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

#define SA(a) ((const struct sockaddr *)(const void *)&(a))

static void test_per_address_limit_counts_pending_only(void **state)
{
    (void)state;
    struct tg_conntrack_limits limits = {.timeout_s = 30, .header_timeout_s = 5, .max_open = 100,
                                         .max_pending_per_address = 2};
    struct tg_conntrack *t;
    char err[128];
    assert_int_equal(tg_conntrack_new_limits(&limits, &t, err, sizeof err), 0);
    struct sockaddr_in a = addr4("127.0.0.2"), b = addr4("127.0.0.3");
    assert_true(tg_conntrack_admit_address(t, SA(a)));
    struct tg_conn *a1 = tg_conntrack_open_address(t, -1, SA(a));
    assert_true(tg_conntrack_admit_address(t, SA(a)));
    struct tg_conn *a2 = tg_conntrack_open_address(t, -1, SA(a));
    assert_false(tg_conntrack_admit_address(t, SA(a))); /* its two are taken */
    assert_true(tg_conntrack_admit_address(t, SA(b)));  /* another address is not */
    struct tg_conn *b1 = tg_conntrack_open_address(t, -1, SA(b));
    tg_conntrack_trust(t, a1); /* trusted: no longer counted against the address */
    assert_true(tg_conntrack_admit_address(t, SA(a)));
    struct tg_conn *a3 = tg_conntrack_open_address(t, -1, SA(a));
    struct tg_conntrack_stats s = tg_conntrack_stats(t);
    assert_int_equal(s.open, 4);
    assert_int_equal(s.pending, 3);
    assert_int_equal(s.refused_per_address, 1);
    tg_conntrack_close(t, a2);
    assert_true(tg_conntrack_admit_address(t, SA(a))); /* a2's place came back */
    struct tg_conn *a4 = tg_conntrack_open_address(t, -1, SA(a));
    tg_conntrack_close(t, a1);
    tg_conntrack_close(t, a3);
    tg_conntrack_close(t, a4);
    tg_conntrack_close(t, b1);
    s = tg_conntrack_stats(t);
    assert_int_equal(s.open, 0);
    assert_int_equal(s.pending, 0);
    tg_conntrack_free(t);
}

static void test_pending_share_and_eviction(void **state)
{
    (void)state;
    int pairs[4][2];
    for (int i = 0; i < 4; i++)
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]), 0);
    /* 4 slots, 1 kept for trusted: 3 pending at most */
    struct tg_conntrack_limits limits = {.timeout_s = 30, .header_timeout_s = 5, .max_open = 4,
                                         .reserved_for_trusted = 1, .evict_waiting = false};
    struct tg_conntrack *t;
    char err[128];
    assert_int_equal(tg_conntrack_new_limits(&limits, &t, err, sizeof err), 0);
    struct tg_conn *c[4];
    for (int i = 0; i < 3; i++) {
        assert_true(tg_conntrack_admit(t));
        c[i] = tg_conntrack_open(t, pairs[i][0]);
    }
    assert_false(tg_conntrack_admit(t)); /* the last slot is kept */
    assert_int_equal(tg_conntrack_stats(t).refused_pending, 1);
    tg_conntrack_trust(t, c[0]);
    assert_true(tg_conntrack_admit(t)); /* one pending fewer */
    c[3] = tg_conntrack_open(t, pairs[3][0]);
    for (int i = 0; i < 4; i++)
        tg_conntrack_close(t, c[i]);
    tg_conntrack_free(t);

    /* with eviction: the oldest pending one waiting for its headers is shut */
    limits.evict_waiting = true;
    assert_int_equal(tg_conntrack_new_limits(&limits, &t, err, sizeof err), 0);
    for (int i = 0; i < 3; i++) {
        assert_true(tg_conntrack_admit(t));
        c[i] = tg_conntrack_open(t, pairs[i][0]);
    }
    tg_conntrack_headers_in(t, c[0]); /* a request started on the oldest: not evicted */
    assert_true(tg_conntrack_admit(t));
    c[3] = tg_conntrack_open(t, pairs[3][0]);
    char byte;
    assert_int_equal(recv(pairs[1][1], &byte, 1, MSG_DONTWAIT), 0); /* c[1] shut: EOF */
    assert_int_equal(recv(pairs[0][1], &byte, 1, MSG_DONTWAIT), -1);
    assert_int_equal(tg_conntrack_stats(t).evicted, 1);
    for (int i = 0; i < 4; i++)
        tg_conntrack_close(t, c[i]);
    assert_int_equal(tg_conntrack_stats(t).open, 0);
    tg_conntrack_free(t);
    for (int i = 0; i < 4; i++) {
        close(pairs[i][0]);
        close(pairs[i][1]);
    }
}

static void test_header_deadline_is_shorter_for_pending(void **state)
{
    (void)state;
    int p[2], q[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, q), 0);
    struct tg_conntrack_limits limits = {.timeout_s = 10, .header_timeout_s = 1, .max_open = 10};
    struct tg_conntrack *t;
    char err[128];
    assert_int_equal(tg_conntrack_new_limits(&limits, &t, err, sizeof err), 0);
    assert_true(tg_conntrack_admit(t));
    struct tg_conn *silent = tg_conntrack_open(t, p[0]);
    assert_true(tg_conntrack_admit(t));
    struct tg_conn *started = tg_conntrack_open(t, q[0]);
    tg_conntrack_headers_in(t, started); /* headers in: the whole-request deadline (10 s) */
    usleep(1500000);
    char byte;
    assert_int_equal(recv(p[1], &byte, 1, MSG_DONTWAIT), 0);
    assert_int_equal(recv(q[1], &byte, 1, MSG_DONTWAIT), -1);
    assert_int_equal(tg_conntrack_stats(t).timed_out, 1);
    tg_conntrack_close(t, silent);
    tg_conntrack_close(t, started);
    tg_conntrack_free(t);
    close(p[0]), close(p[1]), close(q[0]), close(q[1]);
}

struct taker {
    struct tg_budget *budget;
    int taken;
};

static void *take_and_give(void *arg)
{
    struct taker *k = arg;
    for (int i = 0; i < 20000; i++) {
        if (tg_budget_take(k->budget, 300)) {
            k->taken++;
            tg_budget_give(k->budget, 300);
        }
    }
    return NULL;
}

static void test_budget_never_passes_its_limit(void **state)
{
    (void)state;
    struct tg_budget b;
    tg_budget_init(&b, 1000);
    assert_true(tg_budget_take(&b, 600));
    assert_false(tg_budget_take(&b, 401));
    assert_true(tg_budget_take(&b, 400));
    assert_false(tg_budget_take(&b, 1));
    assert_false(tg_budget_take(&b, SIZE_MAX)); /* no overflow */
    tg_budget_give(&b, 600);
    tg_budget_give(&b, 400);
    assert_int_equal(tg_budget_held(&b), 0);
    /* four threads at once: never more than three 300s inside 1000 */
    struct taker k[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        k[i] = (struct taker){&b, 0};
        pthread_create(&th[i], NULL, take_and_give, &k[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(tg_budget_held(&b), 0);
    tg_budget_init(&b, 0); /* no limit */
    assert_true(tg_budget_take(&b, SIZE_MAX / 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_address_limit_counts_pending_only),
        cmocka_unit_test(test_pending_share_and_eviction),
        cmocka_unit_test(test_header_deadline_is_shorter_for_pending),
        cmocka_unit_test(test_budget_never_passes_its_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
