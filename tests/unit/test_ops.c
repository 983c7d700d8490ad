/* The use cases the commands and the screens share (core/ops): refreshing
 * keys from the gateway, a key's shown status, the sync loop's policy, and
 * the db's size and VACUUM for prune. Run against a fake gateway. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/keys.h"
#include "ops/prune.h"
#include "ops/sync.h"
#include "store/store.h"
#include "store_fixture.h"

/* The fake gateway: each call to list_logs is one page of logs, or a failure
 * once the pages run out; list_keys lists two keys or fails. */
struct fake {
    struct tg_gateway gw;
    int pages_per_round; /* pages before the round's failure (or its end) */
    int page_in_round;
    int logs_per_page;
    int next_log;
    bool fail_rounds, refuse, fail_keys;
    int rounds;
};

static int fake_list_logs(struct tg_gateway *gw, const char *start_iso, const char *end_iso, int page,
                          int page_size, struct tg_log_page *out, struct tg_gateway_error *err)
{
    (void)start_iso, (void)end_iso, (void)page_size;
    struct fake *f = (struct fake *)gw;
    memset(out, 0, sizeof *out);
    if (page == 1)
        f->page_in_round = 0, f->rounds++;
    if (f->page_in_round == f->pages_per_round && f->fail_rounds) {
        err->status = f->refuse ? 401 : 503;
        err->refused = f->refuse;
        snprintf(err->message, sizeof err->message, "fake failure %d", f->rounds);
        return -1;
    }
    out->logs = cJSON_CreateArray();
    bool last = ++f->page_in_round >= f->pages_per_round;
    for (int i = 0; i < f->logs_per_page; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"unique_id\":\"log-%d\",\"timestamp\":\"2026-11-01T00:%02d:00Z\",\"model\":\"m\","
                 "\"prompt_messages\":[{\"role\":\"user\",\"content\":\"question number %d, said at length\"}]}",
                 f->next_log, f->next_log % 60, f->next_log);
        f->next_log++;
        cJSON_AddItemToArray(out->logs, cJSON_Parse(text));
    }
    out->more = !last || f->fail_rounds;
    out->total = -1;
    return 0;
}

static int fake_list_keys(struct tg_gateway *gw, struct tg_key_list *out, struct tg_gateway_error *err)
{
    struct fake *f = (struct fake *)gw;
    memset(out, 0, sizeof *out);
    if (f->fail_keys) {
        err->status = 500;
        snprintf(err->message, sizeof err->message, "the gateway is down");
        return -1;
    }
    const char *names[] = {"alpha", "beta"};
    for (size_t i = 0; i < 2; i++) {
        struct tg_gateway_key *k = tg_key_list_add(out);
        snprintf(k->id, sizeof k->id, "id-%s", names[i]);
        snprintf(k->name, sizeof k->name, "%s", names[i]);
        k->created_ms = k->last_used_ms = -1;
    }
    return 0;
}

static int fake_revoke(struct tg_gateway *gw, const char *key_id, int also_delete, struct tg_gateway_error *err)
{
    (void)gw, (void)key_id, (void)also_delete, (void)err;
    return 0;
}

static const struct tg_gateway_ops fake_ops = {"fake", fake_list_logs, fake_list_keys, fake_revoke, NULL};

static struct fake new_fake(void)
{
    struct fake f = {.gw = {.ops = &fake_ops, .config = {.base_url = "https://gw.example/api/"}},
                     .pages_per_round = 1, .logs_per_page = 3};
    return f;
}

static void test_keys_refresh_records_the_gateway_list_or_says_it_failed(void **state)
{
    struct store_fixture *fx = *state;
    struct fake f = new_fake();
    char err[512];
    f.fail_keys = true;
    assert_int_equal(tg_keys_refresh(fx->store, &f.gw, 1793491200000LL, err, sizeof err), TG_KEYS_GATEWAY_FAILED);
    assert_string_equal(err, "the gateway is down");
    struct tg_key_rows rows;
    assert_int_equal(tg_keys_list(fx->store, 1793491200000LL, NULL, &rows, err, sizeof err), 0);
    assert_int_equal(rows.count, 0);
    tg_key_rows_free(&rows);

    f.fail_keys = false;
    assert_int_equal(tg_keys_refresh(fx->store, &f.gw, 1793491200000LL, err, sizeof err), 0);
    assert_int_equal(tg_keys_list(fx->store, 1793491200000LL, NULL, &rows, err, sizeof err), 0);
    assert_int_equal(rows.count, 2);
    for (size_t i = 0; i < rows.count; i++) {
        assert_true(rows.rows[i].at_gateway);
        assert_false(tg_key_missing_at_gateway(&rows.rows[i]));
        assert_string_equal(tg_key_status(&rows.rows[i]), rows.rows[i].status);
    }
    tg_key_rows_free(&rows);
}

static void test_key_status_flags_keys_the_gateway_stopped_listing(void **state)
{
    (void)state;
    struct tg_key_row k = {.key_id = (char *)"id-1", .status = (char *)"active", .gateway_known = true};
    assert_true(tg_key_missing_at_gateway(&k));
    assert_string_equal(tg_key_status(&k), "not at gateway");
    k.status = (char *)"revoked"; /* revoked keys vanish from some gateways: that is expected */
    assert_false(tg_key_missing_at_gateway(&k));
    assert_string_equal(tg_key_status(&k), "revoked");
    k.status = (char *)"active";
    k.at_gateway = true;
    assert_false(tg_key_missing_at_gateway(&k));
    k.at_gateway = false;
    k.gateway_known = false; /* never asked: nothing to say */
    assert_false(tg_key_missing_at_gateway(&k));
    k.gateway_known = true;
    k.key_id = NULL; /* only seen in logs */
    assert_false(tg_key_missing_at_gateway(&k));
}

struct rounds_seen {
    int rounds, failures;
    atomic_int *cancel_after_failures;
    int cancel_at;
    char last_error[512];
};

static void count_round(void *ctx, const struct tg_sync_stats *round, const struct tg_gateway_error *gerr)
{
    (void)round;
    struct rounds_seen *seen = ctx;
    seen->rounds++;
    if (gerr) {
        seen->failures++;
        snprintf(seen->last_error, sizeof seen->last_error, "%s", gerr->message);
    }
    if (seen->cancel_after_failures && seen->failures >= seen->cancel_at)
        atomic_store(seen->cancel_after_failures, 1);
}

static struct tg_sync_options sync_options(const char *source, atomic_int *cancel)
{
    struct tg_sync_options o = {.source = source, .since_ms = 1793491200000LL, .page_size = 50,
                                .overlap_ms = TG_SYNC_OVERLAP_MS, .cancel = cancel};
    return o;
}

static void test_sync_once_stores_and_reports_the_failure(void **state)
{
    struct store_fixture *fx = *state;
    struct fake f = new_fake();
    f.pages_per_round = 2;
    f.fail_rounds = true;
    char source[600];
    tg_sync_source(&f.gw, source, sizeof source);
    assert_string_equal(source, "respan https://gw.example/api/");
    struct tg_sync_options o = sync_options(source, NULL);
    struct rounds_seen seen = {0};
    struct tg_sync_stats total = {0};
    assert_int_equal(tg_sync_follow(fx->store, NULL, &f.gw, &o, 0, count_round, &seen, &total), -1);
    assert_int_equal(seen.rounds, 1);
    assert_int_equal(seen.failures, 1);
    assert_string_equal(seen.last_error, "fake failure 1");
    assert_int_equal(total.pages, 2);
    assert_int_equal(total.stored, 6);
    assert_true(total.position[0] != '\0');
}

static void test_following_goes_on_after_a_failure_until_cancelled(void **state)
{
    struct store_fixture *fx = *state;
    struct fake f = new_fake();
    f.fail_rounds = true;
    atomic_int cancel = 0;
    struct tg_sync_options o = sync_options("respan test", &cancel);
    struct rounds_seen seen = {.cancel_after_failures = &cancel, .cancel_at = 2};
    struct tg_sync_stats total = {0};
    /* every 1 s: the second failure cancels, so it ends without the wait */
    tg_sync_follow(fx->store, NULL, &f.gw, &o, 1, count_round, &seen, &total);
    assert_int_equal(seen.rounds, 2);
    assert_int_equal(f.rounds, 2);
    assert_int_equal(total.pages, 2);
    assert_int_equal(total.received, 6);
    assert_int_equal(total.stored, 6); /* the fake sends new logs each round */
}

static void test_following_stops_when_the_gateway_refuses_the_key(void **state)
{
    struct store_fixture *fx = *state;
    struct fake f = new_fake();
    f.fail_rounds = true;
    f.refuse = true;
    atomic_int cancel = 0;
    struct tg_sync_options o = sync_options("respan test", &cancel);
    struct rounds_seen seen = {0};
    struct tg_sync_stats total = {0};
    assert_int_equal(tg_sync_follow(fx->store, NULL, &f.gw, &o, 3600, count_round, &seen, &total), -1);
    assert_int_equal(seen.rounds, 1);
    assert_int_equal(f.rounds, 1);
}

static void test_a_cancelled_round_is_not_a_failure(void **state)
{
    struct store_fixture *fx = *state;
    struct fake f = new_fake();
    atomic_int cancel = 1; /* set before it starts, as a signal would */
    struct tg_sync_options o = sync_options("respan test", &cancel);
    struct rounds_seen seen = {0};
    struct tg_sync_stats total = {0};
    assert_int_equal(tg_sync_follow(fx->store, NULL, &f.gw, &o, 3600, count_round, &seen, &total), 0);
    assert_int_equal(seen.rounds, 1);
    assert_int_equal(seen.failures, 0);
    assert_int_equal(total.pages, 0);
}

static void test_db_size_and_vacuum(void **state)
{
    struct store_fixture *fx = *state;
    struct fake f = new_fake();
    f.pages_per_round = 40;
    f.logs_per_page = 50;
    struct tg_sync_options o = sync_options("respan test", NULL);
    struct tg_sync_stats total = {0};
    assert_int_equal(tg_sync_follow(fx->store, NULL, &f.gw, &o, 0, NULL, NULL, &total), 0);
    assert_int_equal(total.stored, 2000);
    char err[512];
    struct tg_db_size full, pruned, vacuumed;
    assert_int_equal(tg_prune_db_size(fx->store, &full, err, sizeof err), 0);
    assert_true(full.file_bytes > 0);
    struct tg_prune_options all = {.requests_before_ms = 4102444800000LL}; /* 2100 */
    struct tg_prune_counts counts;
    assert_int_equal(tg_prune_run(fx->store, &all, NULL, NULL, &counts, err, sizeof err), 0);
    assert_int_equal(counts.requests, 2000);
    assert_int_equal(tg_prune_db_size(fx->store, &pruned, err, sizeof err), 0);
    assert_true(pruned.free_bytes > 0);
    assert_int_equal(tg_prune_vacuum(fx->store, err, sizeof err), 0);
    assert_int_equal(tg_prune_db_size(fx->store, &vacuumed, err, sizeof err), 0);
    assert_int_equal(vacuumed.free_bytes, 0);
    assert_true(vacuumed.file_bytes < pruned.file_bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keys_refresh_records_the_gateway_list_or_says_it_failed,
                                        store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test(test_key_status_flags_keys_the_gateway_stopped_listing),
        cmocka_unit_test_setup_teardown(test_sync_once_stores_and_reports_the_failure, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_following_goes_on_after_a_failure_until_cancelled, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_following_stops_when_the_gateway_refuses_the_key, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_cancelled_round_is_not_a_failure, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_db_size_and_vacuum, store_fixture_setup, store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
