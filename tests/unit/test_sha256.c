/* tg_sha256 (core/base/sha256.c): the FIPS 180-2 vectors, from several
 * threads at once (the digest is fetched once, on first use). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/sha256.h"

static void hex(const unsigned char *d, char *out)
{
    for (int i = 0; i < TG_SHA256_LEN; i++)
        snprintf(out + i * 2, 3, "%02x", d[i]);
}

static void *digest_abc(void *arg)
{
    unsigned char d[TG_SHA256_LEN];
    int *ok = arg;
    char h[65];
    for (int i = 0; i < 1000; i++) {
        if (tg_sha256("abc", 3, d) != 0)
            return NULL;
    }
    hex(d, h);
    *ok = strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0;
    return NULL;
}

static void test_known_vectors(void **state)
{
    (void)state;
    unsigned char d[TG_SHA256_LEN];
    char h[65];
    assert_int_equal(tg_sha256("", 0, d), 0);
    hex(d, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_int_equal(tg_sha256(two, strlen(two), d), 0);
    hex(d, h);
    assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_threads_agree(void **state)
{
    (void)state;
    pthread_t t[4];
    int ok[4] = {0};
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, digest_abc, &ok[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_true(ok[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_threads_agree), cmocka_unit_test(test_known_vectors)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
