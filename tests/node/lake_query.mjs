// Runs SQL over a promorec lake with DuckDB and prints the rows as JSON:
// the views come from `promorec lake ddl --duckdb`, as a user would make
// them.
//   node lake_query.mjs --binary build/promorec --data-dir DIR --sql "SELECT ..."
import { execFileSync } from 'node:child_process';
import process from 'node:process';

function arg(name) {
  const i = process.argv.indexOf(name);
  if (i < 0 || i + 1 >= process.argv.length) {
    console.error(`lake_query: missing ${name}`);
    process.exit(2);
  }
  return process.argv[i + 1];
}

let duckdb;
try {
  duckdb = await import('@duckdb/node-api');
} catch (e) {
  console.error('lake_query: the npm package @duckdb/node-api is not installed in tests/node; ' +
                'run scripts/setup (it runs npm ci there). ' + e.message);
  process.exit(1);
}

const ddl = execFileSync(arg('--binary'), ['lake', 'ddl', '--duckdb', '--data-dir',
                                           arg('--data-dir')], { encoding: 'utf8' });
const instance = await duckdb.DuckDBInstance.create(':memory:');
const db = await instance.connect();
await db.run(ddl);
const reader = await db.runAndReadAll(arg('--sql'));
const rows = reader.getRowObjectsJson();
process.stdout.write(JSON.stringify(rows) + '\n');
