#include "store/migrations.h"

#include <stdio.h>

#include "store/syncstate.h"

/* 12, the compact requests row (its own entry; see compactid.h): a log id or
 * thread id that is a canonical lowercase UUID is kept as its 16 bytes, not
 * 36 characters, and a known log type as a small integer. Rebuilt so the
 * three columns have no declared type: a TEXT column would turn the type's
 * integer into text, and keeps any other id as the text it was. On 50,000
 * small chat logs the rows go from 121 to 81 bytes. The indexes are those
 * of migrations 7, 8 and 10, built again on the new table. */
#define MIGRATION_12_COMPACT_REQUESTS                                                                        \
    "CREATE TABLE requests_v12("                                                                              \
    "  id INTEGER PRIMARY KEY, log_id NOT NULL, ts_ms INTEGER NOT NULL,"                                      \
    "  developer_id INTEGER, key_id INTEGER, model_id INTEGER,"                                               \
    "  status_code INTEGER NOT NULL, is_error INTEGER NOT NULL,"                                              \
    "  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,"                                   \
    "  total_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,"                                    \
    "  cache_creation_tokens INTEGER NOT NULL,"                                                               \
    "  cost_nanos INTEGER NOT NULL, cost_kind INTEGER NOT NULL,"                                              \
    "  latency_ms INTEGER, ttft_ms INTEGER, thread_id, log_type);"                                            \
    "INSERT INTO requests_v12 SELECT id, tg_id_pack(log_id), ts_ms, developer_id, key_id, model_id,"          \
    "  status_code, is_error, prompt_tokens, completion_tokens, total_tokens, cache_read_tokens,"             \
    "  cache_creation_tokens, cost_nanos, cost_kind, latency_ms, ttft_ms, tg_id_pack(thread_id),"             \
    "  tg_log_type_code(log_type) FROM requests ORDER BY id;"                                                 \
    "DROP TABLE requests;"                                                                                    \
    "ALTER TABLE requests_v12 RENAME TO requests;"                                                            \
    "CREATE INDEX requests_ts ON requests(ts_ms);"                                                            \
    "CREATE INDEX requests_refused ON requests(key_id, ts_ms) WHERE status_code IN (401, 403);"               \
    "CREATE INDEX requests_cost ON requests(cost_nanos);"                                                     \
    "CREATE INDEX requests_tokens ON requests(prompt_tokens + completion_tokens);"                            \
    "CREATE INDEX requests_latency ON requests(coalesce(latency_ms, -1));"                                    \
    "PRAGMA user_version=12;"

/* Search (13): the index holds text in its index form (runs of space and
 * JSON punctuation as one space, base64 blobs left out; query/searchtext.h) and
 * numbers its rows 1, 2, 3... A schema-11 index was given the text as it is:
 * asked in the new form it would miss, and taking rows out of it with the
 * new form would corrupt it, so it is emptied here in one transaction (fast:
 * it drops tables) and the next `tollgate index`, or the screens' indexer,
 * builds it again. Its own entry, apart from other tables' changes. */
#define MIGRATION_SEARCH_INDEX_FORM                                                                                \
    "DROP TABLE IF EXISTS search_text;"                                                                            \
    "DROP TABLE IF EXISTS search_runs;"                                                                            \
    "DROP TABLE IF EXISTS search_users;"                                                                           \
    "CREATE VIRTUAL TABLE search_text USING fts5(text, content='', detail=none, columnsize=0,"                     \
    "  tokenize='trigram');"                                                                                       \
    "CREATE TABLE search_runs(first INTEGER PRIMARY KEY, chunks INTEGER NOT NULL, prev INTEGER NOT NULL,"         \
    "  next INTEGER NOT NULL, grp INTEGER NOT NULL);"                                                              \
    "CREATE INDEX search_runs_grp ON search_runs(grp);"                                                            \
    "CREATE TABLE search_users(bucket INTEGER NOT NULL, upto INTEGER NOT NULL, users BLOB NOT NULL,"               \
    "  PRIMARY KEY(bucket, upto)) WITHOUT ROWID;"                                                             \
    "DELETE FROM sync_state WHERE source = 'search index';"

/* 14: a body in chunks is three columns of its request row (body_len, the
 * log's length; chunk_refs; body_ids, where the log's ids were left out of
 * the bytes its chunks hold: log/bodyids.h), not a row of request_bodies of its own
 * (33 bytes a small log: a rowid, a record header, raw_len, an empty
 * raw_zstd). Instant: no row is rewritten. The schema-13 bodies stay where
 * they are, in request_bodies_v13, and read as before; `request_bodies` is
 * now a view of both, so every reader sees one body per request whichever
 * table holds it, and deleting from it (prune) or inserting into it (the
 * older layouts, in tests) goes to the right table through its triggers. */
#define MIGRATION_14_BODY_IN_ROW                                                                                   \
    "ALTER TABLE request_bodies RENAME TO request_bodies_v13;"                                                     \
    "ALTER TABLE requests ADD COLUMN body_len INTEGER;"                                                            \
    "ALTER TABLE requests ADD COLUMN chunk_refs BLOB;"                                                             \
    "ALTER TABLE requests ADD COLUMN body_ids BLOB;"                                                               \
    "CREATE VIEW request_bodies(request_id, raw_zstd, raw_len, dict_id, msg_refs, chunk_refs, body_ids) AS"        \
    "  SELECT request_id, raw_zstd, raw_len, dict_id, msg_refs, chunk_refs, NULL FROM request_bodies_v13"           \
    "  UNION ALL SELECT id, x'', body_len, NULL, NULL, chunk_refs, body_ids FROM requests"                        \
    "  WHERE chunk_refs IS NOT NULL;"                                                                              \
    "CREATE TRIGGER request_bodies_delete INSTEAD OF DELETE ON request_bodies BEGIN"                               \
    "  DELETE FROM request_bodies_v13 WHERE request_id = OLD.request_id;"                                          \
    "  UPDATE requests SET body_len = NULL, chunk_refs = NULL, body_ids = NULL"                                    \
    "    WHERE id = OLD.request_id AND chunk_refs IS NOT NULL;"                                                    \
    "END;"                                                                                                         \
    "CREATE TRIGGER request_bodies_insert INSTEAD OF INSERT ON request_bodies BEGIN"                               \
    "  INSERT INTO request_bodies_v13(request_id, raw_zstd, raw_len, dict_id, msg_refs, chunk_refs)"               \
    "    VALUES(NEW.request_id, NEW.raw_zstd, NEW.raw_len, NEW.dict_id, NEW.msg_refs, NEW.chunk_refs);"            \
    "END;"                                                                                                         \
    "PRAGMA user_version=14;"

/* 15, the per-thread rollup (store/threads.h): one row per thread id with
 * its first and last time, requests, cost, lowest developer id and first
 * request, and an index by cost that also holds the times, so the Threads
 * view finds the most expensive threads of a window without reading their
 * rows. The migration itself is instant: it only notes that every request
 * stored so far (ids up to the highest) is still to count, and that newer
 * ones are counted live from there (threads.h); a writer that
 * opens the db counts them, 100,000 request ids a transaction, resumably
 * (threads.c), while readers group the requests as before. It starts from
 * nothing even where a table is left (a db whose version was set back by hand). */
#define MIGRATION_15_THREADS                                                                                     \
    "DROP TABLE IF EXISTS threads;"                                                                              \
    "DELETE FROM sync_state WHERE source IN ('threads counted up to', 'threads backfill ends at',"              \
    "  'threads live up to');"                                                                                   \
    "CREATE TABLE threads(thread_id PRIMARY KEY, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,"          \
    "  turns INTEGER NOT NULL, cost_nanos INTEGER NOT NULL, developer_id INTEGER,"                               \
    "  first_request INTEGER NOT NULL) WITHOUT ROWID;"                                                          \
    "CREATE INDEX threads_cost ON threads(cost_nanos, last_ms, first_ms);"                                      \
    "INSERT INTO sync_state(source, position, updated_ms)"                                                       \
    "  SELECT 'threads backfill ends at', max(id), 0 FROM requests HAVING max(id) IS NOT NULL;"                \
    "INSERT INTO sync_state(source, position, updated_ms)"                                                       \
    "  SELECT 'threads live up to', coalesce(max(id), 0), 0 FROM requests;"                                      \
    "PRAGMA user_version=15;"

/* 16, the sort keys in sorted runs (store/sortkeys.h): the three indexes the
 * Requests screen sorts by (cost, tokens, latency) were kept by SQLite row by
 * row, each new key at a random place, so every commit of the collector
 * rewrote most of their pages (1,600 logs a commit dirtied ~2,700 pages at 1M
 * requests: 11 MB of WAL for 0.65 MB of rows). Here they become three tables
 * of (key, request id), filled in sorted runs past a watermark; the requests
 * past it are sorted at query time. A deleted request leaves them by trigger.
 * One transaction: the indexes' rows are copied in key order, then dropped.
 * Run again over its own tables (a db set back to an older version, as the
 * tests do) it fills them afresh. */
#define MIGRATION_16_SORT_RUNS                                                                                \
    "CREATE TABLE IF NOT EXISTS sort_cost(v INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY(v, id))"       \
    "  WITHOUT ROWID;"                                                                                        \
    "DELETE FROM sort_cost;"                                                                                  \
    "CREATE TABLE IF NOT EXISTS sort_tokens(v INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY(v, id))"     \
    "  WITHOUT ROWID;"                                                                                        \
    "DELETE FROM sort_tokens;"                                                                                \
    "CREATE TABLE IF NOT EXISTS sort_latency(v INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY(v, id))"    \
    "  WITHOUT ROWID;"                                                                                        \
    "DELETE FROM sort_latency;"                                                                               \
    "INSERT INTO sort_cost SELECT cost_nanos, id FROM requests ORDER BY 1, 2;"                                \
    "INSERT INTO sort_tokens SELECT prompt_tokens + completion_tokens, id FROM requests ORDER BY 1, 2;"       \
    "INSERT INTO sort_latency SELECT coalesce(latency_ms, -1), id FROM requests ORDER BY 1, 2;"               \
    "INSERT OR REPLACE INTO sync_state(source, position, updated_ms)"                                          \
    "  SELECT 'sort keys up to', coalesce(max(id), 0), 0 FROM requests;"                                      \
    "DROP INDEX IF EXISTS requests_cost;"                                                                     \
    "DROP INDEX IF EXISTS requests_tokens;"                                                                   \
    "DROP INDEX IF EXISTS requests_latency;"                                                                  \
    "DROP TRIGGER IF EXISTS requests_sort_keys_gone;"                                                         \
    "DROP TRIGGER IF EXISTS requests_sort_keys_moved;"                                                        \
    "CREATE TRIGGER requests_sort_keys_gone AFTER DELETE ON requests BEGIN"                                   \
    "  DELETE FROM sort_cost WHERE v = old.cost_nanos AND id = old.id;"                                       \
    "  DELETE FROM sort_tokens WHERE v = old.prompt_tokens + old.completion_tokens AND id = old.id;"          \
    "  DELETE FROM sort_latency WHERE v = coalesce(old.latency_ms, -1) AND id = old.id;"                      \
    "END;"                                                                                                    \
    "CREATE TRIGGER requests_sort_keys_moved AFTER UPDATE OF cost_nanos, prompt_tokens, completion_tokens,"   \
    "  latency_ms ON requests BEGIN"                                                                          \
    "  DELETE FROM sort_cost WHERE v = old.cost_nanos AND id = old.id;"                                       \
    "  DELETE FROM sort_tokens WHERE v = old.prompt_tokens + old.completion_tokens AND id = old.id;"          \
    "  DELETE FROM sort_latency WHERE v = coalesce(old.latency_ms, -1) AND id = old.id;"                      \
    "  INSERT INTO sort_cost SELECT new.cost_nanos, new.id WHERE new.id <= (SELECT CAST(position AS INTEGER)" \
    "    FROM sync_state WHERE source = 'sort keys up to');"                                                  \
    "  INSERT INTO sort_tokens SELECT new.prompt_tokens + new.completion_tokens, new.id WHERE new.id <="      \
    "    (SELECT CAST(position AS INTEGER) FROM sync_state WHERE source = 'sort keys up to');"                \
    "  INSERT INTO sort_latency SELECT coalesce(new.latency_ms, -1), new.id WHERE new.id <="                  \
    "    (SELECT CAST(position AS INTEGER) FROM sync_state WHERE source = 'sort keys up to');"                \
    "END;"                                                                                                    \
    "PRAGMA user_version=16;"

/* Each migration is constant SQL ending with its own user_version, applied in
 * one transaction. Never edit a released migration: add the next one. */
static const char *const migrations[] = {
    /* 1: requests, bodies, dimensions, hourly rollups */
    "CREATE TABLE developers("
    "  id INTEGER PRIMARY KEY, ident TEXT NOT NULL UNIQUE, name TEXT, email TEXT,"
    "  first_seen_ms INTEGER);"
    "CREATE TABLE keys("
    "  id INTEGER PRIMARY KEY, ident TEXT NOT NULL UNIQUE, key_id TEXT, name TEXT,"
    "  developer_id INTEGER REFERENCES developers(id),"
    "  status TEXT NOT NULL DEFAULT 'unknown', first_seen_ms INTEGER);"
    "CREATE TABLE models("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, provider TEXT, first_seen_ms INTEGER);"
    "CREATE TABLE requests("
    "  id INTEGER PRIMARY KEY, log_id TEXT NOT NULL UNIQUE, ts_ms INTEGER NOT NULL,"
    "  developer_id INTEGER, key_id INTEGER, model_id INTEGER,"
    "  status_code INTEGER NOT NULL, is_error INTEGER NOT NULL,"
    "  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,"
    "  total_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,"
    "  cache_creation_tokens INTEGER NOT NULL,"
    "  cost_nanos INTEGER NOT NULL, cost_kind INTEGER NOT NULL,"
    "  latency_ms INTEGER, ttft_ms INTEGER, thread_id TEXT, log_type TEXT);"
    "CREATE INDEX requests_ts ON requests(ts_ms);"
    "CREATE TABLE body_dicts(id INTEGER PRIMARY KEY, dict BLOB NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE TABLE request_bodies("
    "  request_id INTEGER PRIMARY KEY, raw_zstd BLOB NOT NULL, raw_len INTEGER NOT NULL,"
    "  dict_id INTEGER REFERENCES body_dicts(id));"
    "CREATE TABLE rollup_hourly("
    "  hour INTEGER NOT NULL, developer_id INTEGER NOT NULL, key_id INTEGER NOT NULL,"
    "  model_id INTEGER NOT NULL, requests INTEGER NOT NULL, errors INTEGER NOT NULL,"
    "  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,"
    "  total_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,"
    "  cache_creation_tokens INTEGER NOT NULL, cost_nanos INTEGER NOT NULL,"
    "  estimated_nanos INTEGER NOT NULL, unpriced INTEGER NOT NULL, latency_hist BLOB,"
    "  PRIMARY KEY(hour, developer_id, key_id, model_id)) WITHOUT ROWID;"
    "PRAGMA user_version=1;",
    /* 2: the audit trail (revocations) and the sync position of each gateway */
    "CREATE TABLE audit("
    "  id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, actor TEXT NOT NULL,"
    "  action TEXT NOT NULL, target TEXT NOT NULL, reason TEXT, result TEXT NOT NULL,"
    "  detail TEXT);"
    "CREATE TABLE sync_state("
    "  source TEXT PRIMARY KEY, position TEXT NOT NULL, updated_ms INTEGER NOT NULL);"
    "PRAGMA user_version=2;",
    /* 3: what the gateway says of each key */
    "ALTER TABLE keys ADD COLUMN shown TEXT;"
    "ALTER TABLE keys ADD COLUMN owner_hint TEXT;"
    "ALTER TABLE keys ADD COLUMN created_ms INTEGER;"
    "ALTER TABLE keys ADD COLUMN gateway_last_used_ms INTEGER;"
    "ALTER TABLE keys ADD COLUMN gateway_seen_ms INTEGER;"
    "CREATE INDEX audit_ts ON audit(ts_ms);"
    "CREATE INDEX rollup_by_key ON rollup_hourly(key_id, hour);"
    "PRAGMA user_version=3;",
    /* 4: full-text search of prompts and responses; trigram, so any script
     * (CJK included) matches by substring. Contentless: the text lives in the
     * bodies, the index holds only what finding it needs. Filled behind the
     * inserts (see search.c), not in them, so imports keep their speed. */
    "CREATE VIRTUAL TABLE request_text USING fts5(text, content='', tokenize='trigram');"
    "PRAGMA user_version=4;",
    /* 5: content-addressed messages (see body.h). A body with msg_refs holds
     * the skeleton of its log and where each message goes back; one without
     * is the whole log, as before (`tollgate migrate` converts those). No
     * index on the digest: repeats are found by the store's window of recent
     * messages, and a random-order index over every digest would make each
     * import slower than the last. */
    "CREATE TABLE messages("
    "  id INTEGER PRIMARY KEY, digest BLOB NOT NULL, raw_len INTEGER NOT NULL,"
    "  dict_id INTEGER REFERENCES body_dicts(id), first_request_id INTEGER NOT NULL, zstd BLOB NOT NULL);"
    "ALTER TABLE request_bodies ADD COLUMN msg_refs BLOB;"
    "PRAGMA user_version=5;",
    /* 6: daily rollups, so "all time" over months of history reads a day's
     * row instead of 24 hourly ones (on 10M requests, 130 ms -> ~10 ms). */
    "CREATE TABLE rollup_daily("
    "  day INTEGER NOT NULL, developer_id INTEGER NOT NULL, key_id INTEGER NOT NULL,"
    "  model_id INTEGER NOT NULL, requests INTEGER NOT NULL, errors INTEGER NOT NULL,"
    "  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,"
    "  total_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,"
    "  cache_creation_tokens INTEGER NOT NULL, cost_nanos INTEGER NOT NULL,"
    "  estimated_nanos INTEGER NOT NULL, unpriced INTEGER NOT NULL, latency_hist BLOB,"
    "  PRIMARY KEY(day, developer_id, key_id, model_id)) WITHOUT ROWID;"
    "INSERT INTO rollup_daily SELECT hour / 24, developer_id, key_id, model_id, sum(requests), sum(errors),"
    "  sum(prompt_tokens), sum(completion_tokens), sum(total_tokens), sum(cache_read_tokens),"
    "  sum(cache_creation_tokens), sum(cost_nanos), sum(estimated_nanos), sum(unpriced),"
    "  tg_latency_sum(latency_hist) FROM rollup_hourly GROUP BY hour / 24, developer_id, key_id, model_id;"
    "PRAGMA user_version=6;",
    /* 7: the log-id index moves out of requests into log_ids, keyed by a
     * 64-bit hash of the id (18 bytes an entry instead of 46: an index of
     * 10M ids is 180 MB, not 450, and every batch rewrites less of it; a
     * match is checked against the request's own log_id), kept
     * up to a watermark and filled in sorted runs (see logids.c). A
     * UNIQUE index on random ids had every small commit rewrite about one
     * index page per log: 4 KB written per 1.5 KB log, half of the
     * collector's time. Rebuilding requests is the only way to drop its
     * UNIQUE constraint. An id must never be handed out twice, not even
     * after the newest rows were pruned: a new request below the watermark
     * would never be indexed, nor one below the search index's position ever
     * searchable. So the store hands out ids itself from IDS_USED, saved
     * once per commit (AUTOINCREMENT writes its sequence on every insert,
     * 5% of an import); it starts past both. */
    "CREATE TABLE requests_v7("
    "  id INTEGER PRIMARY KEY, log_id TEXT NOT NULL, ts_ms INTEGER NOT NULL,"
    "  developer_id INTEGER, key_id INTEGER, model_id INTEGER,"
    "  status_code INTEGER NOT NULL, is_error INTEGER NOT NULL,"
    "  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,"
    "  total_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,"
    "  cache_creation_tokens INTEGER NOT NULL,"
    "  cost_nanos INTEGER NOT NULL, cost_kind INTEGER NOT NULL,"
    "  latency_ms INTEGER, ttft_ms INTEGER, thread_id TEXT, log_type TEXT);"
    "INSERT INTO requests_v7 SELECT id, log_id, ts_ms, developer_id, key_id, model_id, status_code, is_error,"
    "  prompt_tokens, completion_tokens, total_tokens, cache_read_tokens, cache_creation_tokens, cost_nanos,"
    "  cost_kind, latency_ms, ttft_ms, thread_id, log_type FROM requests ORDER BY id;"
    "DROP TABLE requests;"
    "ALTER TABLE requests_v7 RENAME TO requests;"
    "CREATE INDEX requests_ts ON requests(ts_ms);"
    "INSERT INTO sync_state(source, position, updated_ms) VALUES('" IDS_USED "',"
    "  max(coalesce((SELECT max(id) FROM requests), 0),"
    "      coalesce((SELECT CAST(position AS INTEGER) FROM sync_state WHERE source = 'search index'), 0)), 0);"
    "CREATE TABLE log_ids(hash INTEGER NOT NULL, request_id INTEGER NOT NULL,"
    "  PRIMARY KEY(hash, request_id)) WITHOUT ROWID;"
    "INSERT INTO log_ids SELECT tg_id_hash(log_id), id FROM requests ORDER BY 1, 2;"
    "INSERT INTO sync_state(source, position, updated_ms)"
    "  SELECT '" IDS_MARK "', coalesce(max(id), 0), 0 FROM requests;"
    "PRAGMA user_version=7;",
    /* 8: when each key was revoked, so requests made on it later stand out
     * (use after revocation), and a partial index over refused requests
     * (401 / 403) by key and time: small, since few requests are refused,
     * and it finds a revoked key's refused attempts without a scan. */
    "ALTER TABLE keys ADD COLUMN revoked_ms INTEGER;"
    "UPDATE keys SET revoked_ms = (SELECT max(a.ts_ms) FROM audit a WHERE a.result LIKE 'ok%'"
    "  AND a.target LIKE '%(' || keys.key_id || ')') WHERE status = 'revoked' AND key_id IS NOT NULL;"
    "CREATE INDEX requests_refused ON requests(key_id, ts_ms) WHERE status_code IN (401, 403);"
    "PRAGMA user_version=8;",
    /* 9: the team a gateway puts a key in (LiteLLM's team_alias / team_id),
     * shown beside its owner */
    "ALTER TABLE keys ADD COLUMN team TEXT;"
    "PRAGMA user_version=9;",
    /* 10: the exact time each developer, key and model was last seen (kept
     * by every batch, see lastseen.c; the rollups know only the hour), and
     * the orders the Requests screen sorts by, so each page of a sort is a
     * keyset step down an index however many requests there are (the row id
     * ends every index, so ties page by it too). Each costs imports and the
     * collector a b-tree insert per log: the three made an import of 200k logs
     * take 4.8 -> 6.8 s of CPU (the last-seen times cost nothing measurable). A
     * covering index for the threads view was left out: it only halved a 4 s
     * GROUP BY over a month of 1M requests. */
    "ALTER TABLE developers ADD COLUMN last_seen_ms INTEGER;"
    "ALTER TABLE keys ADD COLUMN last_seen_ms INTEGER;"
    "ALTER TABLE models ADD COLUMN last_seen_ms INTEGER;"
    "CREATE TEMP TABLE last_seen_v10 AS SELECT developer_id, key_id, model_id, max(ts_ms) AS ts_ms FROM requests"
    "  GROUP BY developer_id, key_id, model_id;"
    "UPDATE developers SET last_seen_ms = x.ts_ms FROM (SELECT developer_id, max(ts_ms) AS ts_ms FROM last_seen_v10"
    "  GROUP BY developer_id) x WHERE x.developer_id = developers.id;"
    "UPDATE keys SET last_seen_ms = x.ts_ms FROM (SELECT key_id, max(ts_ms) AS ts_ms FROM last_seen_v10"
    "  GROUP BY key_id) x WHERE x.key_id = keys.id;"
    "UPDATE models SET last_seen_ms = x.ts_ms FROM (SELECT model_id, max(ts_ms) AS ts_ms FROM last_seen_v10"
    "  GROUP BY model_id) x WHERE x.model_id = models.id;"
    "DROP TABLE last_seen_v10;"
    "CREATE INDEX requests_cost ON requests(cost_nanos);"
    "CREATE INDEX requests_tokens ON requests(prompt_tokens + completion_tokens);"
    "CREATE INDEX requests_latency ON requests(coalesce(latency_ms, -1));"
    "PRAGMA user_version=10;",
    /* 11: content-defined chunks (see body.h). A body with chunk_refs is the
     * list of its chunks' ids; each chunk is stored once, in a pack of the
     * chunks new to the db that consecutive requests brought (up to ~256 KB,
     * or one batch): a pack's id is its first chunk's, its chunks have the
     * ids after it in order (lens says which bytes are which, owners which
     * request brought them; request_id is the first of those), all compressed
     * as one frame. Bodies of the two older layouts stay readable until
     * `tollgate migrate` converts them. No digests are stored: a writer keeps
     * a window of recent ones in memory, digesting the newest packs again
     * when it starts. */
    "CREATE TABLE chunk_packs("
    "  id INTEGER PRIMARY KEY, chunks INTEGER NOT NULL, request_id INTEGER NOT NULL,"
    "  dict_id INTEGER REFERENCES body_dicts(id), raw_len INTEGER NOT NULL,"
    "  lens BLOB NOT NULL, owners BLOB NOT NULL, zstd BLOB NOT NULL);"
    "ALTER TABLE request_bodies ADD COLUMN chunk_refs BLOB;"
    /* Search indexes each text once (see search.c): a row of search_text
     * is a group of runs of chunks, each run first seen together (search_runs
     * says how many and their neighbours then; grp is the row), about 32 KB
     * of text a row, or a whole request of an older layout (rowid: minus the
     * request id).
     * detail=none keeps only which rows hold each trigram, a fifth of the
     * positions' size; a hit is checked against the rebuilt text.
     * search_users maps chunks back to the requests that use them: per 256
     * chunk ids and per indexing batch, varints of (request, chunk, count)
     * runs. The old per-request index goes and is rebuilt this way. */
    "DROP TABLE IF EXISTS request_text;"
    "CREATE VIRTUAL TABLE search_text USING fts5(text, content='', detail=none, columnsize=0,"
    "  tokenize='trigram');"
    "CREATE TABLE search_runs(first INTEGER PRIMARY KEY, chunks INTEGER NOT NULL, prev INTEGER NOT NULL,"
    "  next INTEGER NOT NULL, grp INTEGER NOT NULL);"
    "CREATE INDEX search_runs_grp ON search_runs(grp);"
    "CREATE TABLE search_users(bucket INTEGER NOT NULL, upto INTEGER NOT NULL, users BLOB NOT NULL,"
    "  PRIMARY KEY(bucket, upto)) WITHOUT ROWID;"
    "DELETE FROM sync_state WHERE source = 'search index';"
    "PRAGMA user_version=11;",
    MIGRATION_12_COMPACT_REQUESTS,
    /* 13: the search index in its index form, rebuilt */
    MIGRATION_SEARCH_INDEX_FORM "PRAGMA user_version=13;",
    MIGRATION_14_BODY_IN_ROW,
    /* 15: the per-thread rollup (threads.h) */
    MIGRATION_15_THREADS,
    /* 16: the sort keys in sorted runs (sortkeys.h) */
    MIGRATION_16_SORT_RUNS,
};

int tg_store_schema_version(struct tg_store *store)
{
    sqlite3_stmt *st;
    int version = -1;
    if (sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return version;
}

/* Under the write lock: the version read outside it may be stale, since
 * another process opening the same new db may be migrating it right now (two
 * commands started together on a new db both ran migration 1, and one failed
 * with "table developers already exists"). 1: applied one, 0: at target. */
static int migrate_one(struct tg_store *store, int target, char *err, size_t errlen)
{
    int known = (int)(sizeof migrations / sizeof migrations[0]);
    if (store_exec(store, "BEGIN IMMEDIATE", "starting a migration", err, errlen) != 0)
        return -1;
    int version = tg_store_schema_version(store);
    if (version < 0 || version > known || version >= target) {
        if (version < 0)
            tg_store_fail(store, "reading the schema version", err, errlen);
        else if (version > known)
            snprintf(err, errlen,
                     "the database has schema version %d, newer than this tollgate knows (%d): upgrade tollgate",
                     version, known);
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
        return version < 0 || version > known ? -1 : 0;
    }
    int v = version + 1;
    if (sqlite3_exec(store->db, migrations[v - 1], NULL, NULL, NULL) != SQLITE_OK) {
        char what[64];
        snprintf(what, sizeof what, "migrating the schema to version %d", v);
        tg_store_fail(store, what, err, errlen);
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    if (store_exec(store, "COMMIT", "committing a migration", err, errlen) != 0) {
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 1;
}

int store_migrate(struct tg_store *store, int target, char *err, size_t errlen)
{
    int known = (int)(sizeof migrations / sizeof migrations[0]);
    int version = tg_store_schema_version(store);
    if (version < 0)
        return tg_store_fail(store, "reading the schema version", err, errlen);
    if (version > known) {
        snprintf(err, errlen, "the database has schema version %d, newer than this tollgate knows (%d): upgrade tollgate",
                 version, known);
        return -1;
    }
    if (version >= target) /* the common case takes no write lock */
        return 0;
    /* A migration that rebuilds a table sorts every row for each index: with
     * the connection's in-memory temp store that took 1.8 GB at 10M requests.
     * Temp files keep it to the page cache; ordinary writes go back to memory. */
    sqlite3_exec(store->db, "PRAGMA temp_store=FILE", NULL, NULL, NULL);
    int rc;
    while ((rc = migrate_one(store, target, err, errlen)) == 1)
        ;
    sqlite3_exec(store->db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
    return rc;
}
