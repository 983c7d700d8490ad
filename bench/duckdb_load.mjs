// The peer a data-minded lead would reach for: DuckDB (@duckdb/node-api,
// pinned in bench/package.json) loading the same JSON Lines into a table of
// 11 typed columns with read_json, then the spend-by-developer query.
// Appends, so a db can be filled first (bench/agents.py's full-db runs).
// usage: node bench/duckdb_load.mjs DB LOGS.jsonl
// Prints "N rows, D developers, query X ms". bench/agents.py times the whole
// process, start to exit, like every other program it runs.
import { DuckDBInstance } from '@duckdb/node-api';

const [dbPath, logsPath] = process.argv.slice(2);
if (!dbPath || !logsPath) {
  console.error('usage: node bench/duckdb_load.mjs DB LOGS.jsonl');
  process.exit(2);
}
const quoted = `'${logsPath.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(dbPath);
const con = await instance.connect();
await con.run(`CREATE TABLE IF NOT EXISTS logs(
  unique_id VARCHAR, ts TIMESTAMPTZ, developer VARCHAR, key_id VARCHAR, model VARCHAR,
  prompt_tokens BIGINT, completion_tokens BIGINT, cache_read_tokens BIGINT,
  cost DECIMAL(18, 9), latency DOUBLE, status_code INTEGER)`);
await con.run(`INSERT INTO logs SELECT unique_id, "timestamp", customer_identifier, organization_key_id, model,
  prompt_tokens, completion_tokens, prompt_cache_hit_tokens, cost, latency, status_code
  FROM read_json(${quoted}, format = 'newline_delimited', maximum_object_size = 67108864, columns = {
    unique_id: 'VARCHAR', "timestamp": 'TIMESTAMPTZ', customer_identifier: 'VARCHAR',
    organization_key_id: 'VARCHAR', model: 'VARCHAR', prompt_tokens: 'BIGINT', completion_tokens: 'BIGINT',
    prompt_cache_hit_tokens: 'BIGINT', cost: 'DECIMAL(18, 9)', latency: 'DOUBLE', status_code: 'INTEGER'})`);
const started = performance.now();
const spend = await con.runAndReadAll(
  'SELECT developer, sum(cost) AS spend, count(*) AS requests FROM logs GROUP BY developer ORDER BY spend DESC');
const queryMs = performance.now() - started;
const rows = await con.runAndReadAll('SELECT count(*) FROM logs');
console.log(`${rows.getRows()[0][0]} rows, ${spend.getRows().length} developers, query ${queryMs.toFixed(1)} ms`);
con.closeSync?.();
