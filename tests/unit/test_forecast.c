/* Budgets' arithmetic: the forecast's projection (a steady burn is a straight
 * line with no range, a spike widens the range, working hours repeat), days
 * until a budget runs out, the tiers at their exact edges, amounts parsed to
 * the nano-dollar, the periods, and the config file edited in place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/budgetconf.h"
#include "base/budgetedit.h"
#include "base/timeutil.h"
#include "ops/budget.h"
#include "query/forecast.h"

#define DOLLAR ((double)TG_NANOS_PER_DOLLAR)
/* 2026-11-16T00:00:00Z, a Monday at midnight */
#define MONDAY_MS 1794787200000LL

static void steady(struct tg_burn_history *h, int64_t now_ms, double per_hour)
{
    memset(h, 0, sizeof *h);
    h->current_hour = now_ms / TG_HOUR_MS;
    h->current_fraction = (double)(now_ms % TG_HOUR_MS) / TG_HOUR_MS;
    for (int i = 0; i < TG_FORECAST_SHAPE_HOURS; i++)
        h->hourly[i] = per_hour;
}

static void test_steady_burn_is_a_straight_line(void **state)
{
    (void)state;
    struct tg_burn_history h;
    struct tg_projection p;
    steady(&h, MONDAY_MS, 1 * DOLLAR);
    int64_t end = MONDAY_MS + 15 * TG_DAY_MS; /* December 1st */
    tg_forecast_project(&h, end, &p);
    assert_true(p.rest > 360 * DOLLAR - 1 && p.rest < 360 * DOLLAR + 1);
    assert_true(p.high - p.low < 1); /* no spread: every day was what was expected */
    /* half an hour into the hour: half of it is still to come */
    steady(&h, MONDAY_MS + TG_HOUR_MS / 2, 2 * DOLLAR);
    tg_forecast_project(&h, MONDAY_MS + 3 * TG_HOUR_MS, &p);
    assert_true(p.rest > 5 * DOLLAR - 1 && p.rest < 5 * DOLLAR + 1);
}

static void test_a_spike_widens_the_range(void **state)
{
    (void)state;
    struct tg_burn_history h;
    struct tg_projection calm, spiky;
    int64_t end = MONDAY_MS + 15 * TG_DAY_MS;
    steady(&h, MONDAY_MS, 1 * DOLLAR);
    tg_forecast_project(&h, end, &calm);
    h.hourly[TG_FORECAST_SHAPE_HOURS - 30] += 200 * DOLLAR; /* one expensive hour yesterday */
    tg_forecast_project(&h, end, &spiky);
    assert_true(spiky.high - spiky.low > 100 * DOLLAR);
    assert_true(spiky.low < spiky.rest && spiky.rest < spiky.high);
    assert_true(calm.high - calm.low < 1);
}

static void test_working_hours_repeat(void **state)
{
    (void)state;
    /* $10 an hour from 9 to 17 on weekdays, nothing else, for the whole history */
    struct tg_burn_history h;
    steady(&h, MONDAY_MS, 0);
    int64_t base = h.current_hour - TG_FORECAST_SHAPE_HOURS;
    for (int i = 0; i < TG_FORECAST_SHAPE_HOURS; i++) {
        int64_t hour = base + i;
        int weekday = (int)(((hour / 24) + 3) % 7); /* 0 = Monday */
        int hod = (int)(hour % 24);
        if (weekday < 5 && hod >= 9 && hod < 17)
            h.hourly[i] = 10 * DOLLAR;
    }
    struct tg_projection p;
    tg_forecast_project(&h, MONDAY_MS + TG_DAY_MS, &p); /* Monday: 8 working hours */
    assert_true(p.rest > 80 * DOLLAR - 1 && p.rest < 80 * DOLLAR + 1);
    tg_forecast_project(&h, MONDAY_MS + 7 * TG_DAY_MS, &p); /* a week: 40 hours */
    assert_true(p.rest > 400 * DOLLAR - 1 && p.rest < 400 * DOLLAR + 1);
    assert_true(p.high - p.low < 1);
    /* Saturday costs nothing */
    tg_forecast_project(&h, MONDAY_MS + 5 * TG_DAY_MS, &p);
    double to_friday = p.rest;
    tg_forecast_project(&h, MONDAY_MS + 6 * TG_DAY_MS, &p);
    assert_true(p.rest - to_friday < 1);
}

static void test_days_left(void **state)
{
    (void)state;
    struct tg_burn_history h;
    struct tg_forecast f = {0};
    steady(&h, MONDAY_MS, 1 * DOLLAR);
    tg_forecast_project(&h, MONDAY_MS + 15 * TG_DAY_MS, &f.projection);
    f.current_hour = h.current_hour;
    f.spent = 12 * TG_NANOS_PER_DOLLAR;
    double days = tg_forecast_days_left(&f, 60 * TG_NANOS_PER_DOLLAR); /* 48 hours to go */
    assert_true(days > 2.0 - 1e-9 && days < 2.0 + 1e-9);
    assert_true(tg_forecast_days_left(&f, 12 * TG_NANOS_PER_DOLLAR) == 0);
    steady(&h, MONDAY_MS, 0);
    tg_forecast_project(&h, MONDAY_MS + TG_DAY_MS, &f.projection);
    assert_true(tg_forecast_days_left(&f, 60 * TG_NANOS_PER_DOLLAR) < 0); /* nothing burns */
}

static void test_tiers_at_their_edges(void **state)
{
    (void)state;
    tg_nanos budget = 200 * TG_NANOS_PER_DOLLAR;
    assert_int_equal(tg_budget_tier_of(160 * TG_NANOS_PER_DOLLAR - 1, budget, 80, 100), TG_TIER_OK);
    assert_int_equal(tg_budget_tier_of(160 * TG_NANOS_PER_DOLLAR, budget, 80, 100), TG_TIER_WARN);
    assert_int_equal(tg_budget_tier_of(budget - 1, budget, 80, 100), TG_TIER_WARN);
    assert_int_equal(tg_budget_tier_of(budget, budget, 80, 100), TG_TIER_OVER);
    /* no overflow at the largest budgets */
    tg_nanos huge = 1000000000LL * TG_NANOS_PER_DOLLAR;
    assert_int_equal(tg_budget_tier_of(huge, huge, 80, 1000), TG_TIER_WARN);
}

static void test_amounts_and_targets(void **state)
{
    (void)state;
    tg_nanos n;
    enum tg_budget_period p;
    char err[256];
    assert_int_equal(tg_budget_parse_amount("200/month", &n, &p, err, sizeof err), 0);
    assert_int_equal(n, 200 * TG_NANOS_PER_DOLLAR);
    assert_int_equal(p, TG_BUDGET_PER_MONTH);
    assert_int_equal(tg_budget_parse_amount("$1,500.50/week", &n, &p, err, sizeof err), 0);
    assert_int_equal(n, 1500500000000LL);
    assert_int_equal(p, TG_BUDGET_PER_WEEK);
    assert_int_equal(tg_budget_parse_amount("0.000000001/day", &n, &p, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(p, TG_BUDGET_PER_DAY);
    const char *bad[] = {"0", "0/month", "-5/month", "1.0000000001", "abc", "20/year", "1000000001", "", "5.5.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(tg_budget_parse_amount(bad[i], &n, &p, err, sizeof err), -1);
    enum tg_budget_scope scope;
    char *name;
    assert_int_equal(tg_budget_parse_target("alice", &scope, &name, err, sizeof err), 0);
    assert_int_equal(scope, TG_BUDGET_DEVELOPER);
    assert_string_equal(name, "alice");
    free(name);
    assert_int_equal(tg_budget_parse_target("key:ci bot", &scope, &name, err, sizeof err), 0);
    assert_int_equal(scope, TG_BUDGET_KEY);
    assert_string_equal(name, "ci bot");
    free(name);
    assert_int_equal(tg_budget_parse_target("org", &scope, &name, err, sizeof err), 0);
    assert_int_equal(scope, TG_BUDGET_ORG);
    assert_null(name);
    assert_int_equal(tg_budget_parse_target("a=b", &scope, &name, err, sizeof err), -1);
    assert_int_equal(tg_budget_parse_target("x\n", &scope, &name, err, sizeof err), -1);
}

static void test_periods(void **state)
{
    (void)state;
    int64_t start, end, t;
    tg_budget_period_bounds(TG_BUDGET_PER_MONTH, MONDAY_MS + 5 * TG_HOUR_MS, &start, &end);
    tg_time_parse_iso("2026-11-01", &t);
    assert_int_equal(start, t);
    tg_time_parse_iso("2026-12-01", &t);
    assert_int_equal(end, t);
    tg_time_parse_iso("2026-12-31T23:59:59Z", &t);
    tg_budget_period_bounds(TG_BUDGET_PER_MONTH, t, &start, &end);
    tg_time_parse_iso("2027-01-01", &t);
    assert_int_equal(end, t);
    tg_time_parse_iso("2026-11-22T23:00:00Z", &t); /* a Sunday */
    tg_budget_period_bounds(TG_BUDGET_PER_WEEK, t, &start, &end);
    assert_int_equal(start, MONDAY_MS);
    assert_int_equal(end, MONDAY_MS + 7 * TG_DAY_MS);
    tg_budget_period_bounds(TG_BUDGET_PER_DAY, MONDAY_MS + 1, &start, &end);
    assert_int_equal(start, MONDAY_MS);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, 8192);
    if (f) {
        fread(buf, 1, 8191, f);
        fclose(f);
    }
    return buf;
}

static void test_config_edits_keep_other_lines(void **state)
{
    (void)state;
    char dir[] = "/tmp/tg-budgetconf-XXXXXX", path[128], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/config", dir);
    FILE *f = fopen(path, "w");
    fputs("gateway = respan\n# my comment\n\n[budgets]\nwarn = 75%\norg = 5000/month\n\n[other]\nx = y\n", f);
    fclose(f);
    chmod(path, 0644);
    struct tg_budget b = {.scope = TG_BUDGET_DEVELOPER, .name = (char *)"alice", .period = TG_BUDGET_PER_MONTH,
                          .amount = 200 * TG_NANOS_PER_DOLLAR};
    assert_int_equal(tg_budget_config_set(path, &b, err, sizeof err), 0);
    b.amount = 250500000000LL;
    b.warn_pct = 70;
    assert_int_equal(tg_budget_config_set(path, &b, err, sizeof err), 0); /* replaced, not added */
    const char *members[] = {"alice", "bob"};
    assert_int_equal(tg_budget_config_set_team(path, "platform", members, 2, err, sizeof err), 0);
    char *text = slurp(path);
    assert_string_equal(text, "gateway = respan\n# my comment\n\n[budgets]\nwarn = 75%\norg = 5000/month\n"
                              "developer alice = 250.5/month warn 70%\n\n[other]\nx = y\n\n[teams]\n"
                              "platform = alice, bob\n");
    free(text);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    struct tg_budget_config c;
    assert_int_equal(tg_budget_config_load(path, &c, err, sizeof err), 0);
    assert_int_equal(c.count, 2);
    assert_int_equal(c.warn_pct, 75);
    assert_int_equal(tg_budget_warn_pct(&c, &c.budgets[1]), 70);
    assert_int_equal(tg_budget_alert_pct(&c, &c.budgets[1]), 100);
    assert_int_equal(tg_budget_team(&c, "platform")->count, 2);
    tg_budget_config_free(&c);
    assert_int_equal(tg_budget_config_unset(path, TG_BUDGET_DEVELOPER, "alice", err, sizeof err), 0);
    assert_int_equal(tg_budget_config_unset(path, TG_BUDGET_DEVELOPER, "alice", err, sizeof err), 1);
    f = fopen(path, "a");
    fputs("[budgets]\ndeveloper bob = lots\n", f);
    fclose(f);
    assert_int_equal(tg_budget_config_load(path, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, ":14: "));
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady_burn_is_a_straight_line),
        cmocka_unit_test(test_a_spike_widens_the_range),
        cmocka_unit_test(test_working_hours_repeat),
        cmocka_unit_test(test_days_left),
        cmocka_unit_test(test_tiers_at_their_edges),
        cmocka_unit_test(test_amounts_and_targets),
        cmocka_unit_test(test_periods),
        cmocka_unit_test(test_config_edits_keep_other_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
