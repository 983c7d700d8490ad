/* The collector's connection cap and request deadline, on socket pairs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ingest/conntrack.h"

static void test_cap_counts_and_gives_back(void **state)
{
    (void)state;
    struct tg_conntrack *t;
    char err[128];
    assert_int_equal(tg_conntrack_new(30, 0, &t, err, sizeof err), -1);
    assert_int_equal(tg_conntrack_new(30, 2, &t, err, sizeof err), 0);
    assert_true(tg_conntrack_admit(t));
    struct tg_conn *a = tg_conntrack_open(t, -1);
    assert_true(tg_conntrack_admit(t));
    struct tg_conn *b = tg_conntrack_open(t, -1);
    assert_false(tg_conntrack_admit(t));
    assert_false(tg_conntrack_admit(t));
    struct tg_conntrack_stats s = tg_conntrack_stats(t);
    assert_int_equal(s.open, 2);
    assert_int_equal(s.refused, 2);
    tg_conntrack_close(t, a);
    assert_true(tg_conntrack_admit(t)); /* the slot came back */
    struct tg_conn *c = tg_conntrack_open(t, -1);
    tg_conntrack_close(t, b);
    tg_conntrack_close(t, c);
    tg_conntrack_close(t, NULL);
    assert_int_equal(tg_conntrack_stats(t).open, 0);
    tg_conntrack_free(t);
}

/* True when the peer of fd sees the end of the stream within a second. */
static bool peer_sees_eof(int peer)
{
    struct timeval tv = {1, 0};
    setsockopt(peer, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char c;
    return recv(peer, &c, 1, 0) == 0;
}

static void test_deadline_shuts_down_unless_held(void **state)
{
    (void)state;
    int late[2], held[2], rearmed[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, late), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, held), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, rearmed), 0);
    struct tg_conntrack *t;
    char err[128];
    assert_int_equal(tg_conntrack_new(1, 10, &t, err, sizeof err), 0);
    struct tg_conn *conns[3];
    int fds[3] = {late[0], held[0], rearmed[0]};
    for (int i = 0; i < 3; i++) {
        assert_true(tg_conntrack_admit(t));
        conns[i] = tg_conntrack_open(t, fds[i]);
    }
    tg_conntrack_hold(t, conns[1]);
    usleep(700000);
    tg_conntrack_rearm(t, conns[2]); /* answered at 0.7 s: due at 1.7 s */
    usleep(700000);
    /* at 1.4 s: only the one past its deadline is shut */
    assert_true(peer_sees_eof(late[1]));
    assert_int_equal(tg_conntrack_stats(t).timed_out, 1);
    struct timeval tv = {0, 100000};
    setsockopt(held[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char c;
    assert_int_equal(recv(held[1], &c, 1, 0), -1); /* still open: nothing, no EOF */
    assert_true(peer_sees_eof(rearmed[1]));        /* shut once 1.7 s passed */
    assert_int_equal(tg_conntrack_stats(t).timed_out, 2);
    for (int i = 0; i < 3; i++)
        tg_conntrack_close(t, conns[i]);
    tg_conntrack_free(t);
    int all[] = {late[0], late[1], held[0], held[1], rearmed[0], rearmed[1]};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        close(all[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_counts_and_gives_back),
        cmocka_unit_test(test_deadline_shuts_down_unless_held),
    };
    return cmocka_run_group_tests_name("conntrack", tests, NULL, NULL);
}
