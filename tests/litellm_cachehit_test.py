#!/usr/bin/env python3
"""LiteLLM's cache hits, pushed and pulled: LiteLLM renames each hit
"<id>_cache_hit<time.time()>" once for the pushed payload and once for the
spend log, with two clock readings, so the ids never match; every hit of one
cached response shares <id>. tollgate names a hit by <id> and its start time,
so a hit pushed and pulled is stored once and two hits stay two."""
import json
from datetime import timedelta

import litellm_test as lt
from harness import expect, main


def cache_hits(call, starts):
    """Hits of call's cached response at the given start times, as (payload, spend log row) pairs."""
    payload, row = call
    hits = []
    for n, start in enumerate(starts):
        end = start + timedelta(milliseconds=40)
        p = dict(payload, id=f"{payload['id']}_cache_hit{start.timestamp() + 0.000211:.6f}", cache_hit=True,
                 response_cost=0.0, startTime=start.timestamp(), endTime=end.timestamp(),
                 completionStartTime=end.timestamp())
        # the spend log's own reading of the clock, a moment later; its times to the millisecond
        r = dict(row, request_id=f"{row['request_id']}_cache_hit{start.timestamp() + 0.003917 + n:.6f}",
                 cache_hit="True", spend=0.0,
                 startTime=start.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                 endTime=end.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                 completionStartTime=end.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
        hits.append((p, r))
    return hits


@lt.with_env
def test_a_cache_hit_pushed_and_pulled_is_stored_once(env):
    calls = lt.make_calls(3)
    first_start = lt.NOW - timedelta(minutes=30)
    hits = cache_hits(calls[0], [first_start, first_start + timedelta(seconds=7, milliseconds=250)])
    payloads = [c[0] for c in calls] + [h[0] for h in hits]
    rows = [c[1] for c in calls] + [h[1] for h in hits]
    collector = env.start_collector()
    rc, out = env.post(payloads, "json_array")
    expect(rc == 0 and '"stored":5' in out, out)
    env.stop_collector(collector)
    env.start_proxy()
    env.proxy_post("/_spend_logs", rows)
    rc, out, err = env.run("sync", "--gateway", "litellm", "--since", "2026-11-24")
    expect(rc == 0, err)
    expect("5 logs: 0 new, 5 duplicates, 0 rejected" in out, out)
    total = env.report()["total"]
    expect(total["requests"] == 5, total)
    expect(lt.cents(total["cost"]) == lt.cents(lt.cost_sum([c[0] for c in calls])), total)


@lt.with_env
def test_pulled_cache_hits_are_named_by_their_start(env):
    calls = lt.make_calls(2)
    start = lt.NOW - timedelta(minutes=20)
    hits = cache_hits(calls[1], [start, start + timedelta(seconds=1)])
    env.start_proxy()
    env.proxy_post("/_spend_logs", [c[1] for c in calls] + [h[1] for h in hits])
    rc, out, err = env.run("sync", "--gateway", "litellm", "--since", "2026-11-24")
    expect(rc == 0 and "4 logs: 4 new, 0 duplicates" in out, out + err)
    rc, out, err = env.run("index", "--search", "fix bug 1")
    expect(rc == 0, out + err)
    stable = [f"chatcmpl-1_cache_hit@{int((start + timedelta(seconds=k)).timestamp() * 1000)}" for k in (0, 1)]
    expect(all(s in out for s in stable) and "chatcmpl-1 " in out, out)
    rc, out, err = env.run("report", "--format", "json")
    expect(rc == 0 and json.loads(out)["total"]["requests"] == 4, out + err)

if __name__ == "__main__":
    main("litellmcachehit", globals())
