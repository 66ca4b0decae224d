// What the DuckDB tests share: their command-line arguments, and a DuckDB
// connection with the lake's views made from `promorec lake ddl --duckdb`,
// as a user would make them.
import { execFileSync } from 'node:child_process';
import process from 'node:process';

export function arg(script, name) {
  const i = process.argv.indexOf(name);
  if (i < 0 || i + 1 >= process.argv.length) {
    console.error(`${script}: missing ${name}`);
    process.exit(2);
  }
  return process.argv[i + 1];
}

// The lake of `dataDir` in a fresh in-memory DuckDB: `rows(sql)` answers
// with row objects (JSON-friendly values).
export async function openLake(script, binary, dataDir) {
  let duckdb;
  try {
    duckdb = await import('@duckdb/node-api');
  } catch (e) {
    console.error(`${script}: the npm package @duckdb/node-api is not installed in tests/node; ` +
                  'run scripts/setup (it runs npm ci there). ' + e.message);
    process.exit(1);
  }
  const ddl = execFileSync(binary, ['lake', 'ddl', '--duckdb', '--data-dir', dataDir],
                           { encoding: 'utf8' });
  const instance = await duckdb.DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  await db.run(ddl);
  return { rows: async (sql) => (await db.runAndReadAll(sql)).getRowObjectsJson() };
}
