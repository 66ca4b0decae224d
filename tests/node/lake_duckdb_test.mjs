// DuckDB reads the lake that promorec writes: the fixture program writes a
// lake with the real TableWriter (including a crash and its recovery), the
// views come from `promorec lake ddl --duckdb`, and the row counts per table
// and per partition, and sample values, must match what the fixture says it
// wrote, exactly.
//   node lake_duckdb_test.mjs --binary build/promorec --fixture build/tests/lake_fixture
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';

import { arg, openLake } from './lake_duckdb.mjs';

const binary = arg('lake_duckdb_test', '--binary');
const fixture = arg('lake_duckdb_test', '--fixture');
const dataDir = mkdtempSync(join(tmpdir(), 'promorec-lake-duckdb-'));
let failures = 0;
function check(ok, message) {
  if (!ok) {
    failures++;
    console.error('FAIL: ' + message);
  }
}
function same(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, `${what}: got ${a}, expected ${e}`);
}

try {
  const expected = JSON.parse(execFileSync(fixture, [dataDir], { encoding: 'utf8' }));
  check(expected.renames_redone >= 1, 'the fixture crash left a committed flush to recover');

  const ls = JSON.parse(execFileSync(binary, ['lake', 'ls', '--json', '--data-dir', dataDir],
                                     { encoding: 'utf8' }));

  const { rows } = await openLake('lake_duckdb_test', binary, dataDir);

  for (const [table, want] of Object.entries(expected.tables)) {
    const total = await rows(`SELECT count(*) AS n, count(DISTINCT ${
        Object.keys(want.samples[0] ?? { label: 0 })[0]}) AS distinct_n FROM "${table}"`);
    same(Number(total[0].n), want.rows, `${table}: rows`);
    same(Number(total[0].distinct_n), want.rows, `${table}: distinct ids (each record once)`);

    const parts = await rows(`SELECT year || '/' || month || '/' || day || '/' || hour AS p,
        count(*) AS n FROM "${table}" GROUP BY ALL ORDER BY p`);
    const got = {};
    for (const r of parts) {
      const [y, mo, d, h] = r.p.split('/');
      got[`year=${y}/month=${mo}/day=${d}/hour=${h}`] = Number(r.n);
    }
    same(got, want.partitions, `${table}: rows per partition`);

    const listed = ls.tables.find((t) => t.name === table);
    check(listed !== undefined, `${table}: listed by promorec lake ls`);
    if (listed) {
      const fromLs = {};
      for (const p of listed.partitions) fromLs[p.path] = p.records;
      same(fromLs, want.partitions, `${table}: lake ls records per partition`);
      same(listed.records, want.rows, `${table}: lake ls records`);
    }

    // Sample rows, every column, exactly (timestamps as ISO text, NULLs).
    for (const sample of want.samples) {
      const [key, id] = Object.entries(sample)[0];
      const columns = Object.keys(sample);
      const select = columns.map((c) => {
        const typed = `"${c}"`;
        return `CASE WHEN ${typed} IS NULL THEN NULL ELSE ${
            c === 'at' ? `strftime(${typed}, '%Y-%m-%dT%H:%M:%S.%fZ')` : `CAST(${typed} AS VARCHAR)`
        } END AS "${c}"`;
      }).join(', ');
      const found = await rows(`SELECT ${select} FROM "${table}" WHERE "${key}" = '${id}'`);
      same(found.length, 1, `${table}: rows with ${key}=${id}`);
      if (found.length !== 1) continue;
      for (const c of columns) {
        let want_value = sample[c];
        let got_value = found[0][c];
        if (want_value !== null && got_value !== null) {
          if (c === 'price' || c === 'propensity') {
            got_value = Number(got_value);
            want_value = Number(want_value);
          }
        }
        same(got_value, want_value, `${table} ${key}=${id} column ${c}`);
      }
    }
  }

  // Types as declared.
  const types = await rows(`SELECT typeof(price) AS price, typeof(quantity) AS quantity,
      typeof(clicked) AS clicked, typeof("at") AS at, typeof(year) AS year FROM clicks LIMIT 1`);
  same(types[0], { price: 'DOUBLE', quantity: 'BIGINT', clicked: 'BOOLEAN', at: 'TIMESTAMP',
                   year: 'VARCHAR' }, 'clicks: column types');
  // The empty string and NULL stay apart.
  const empties = await rows(`SELECT count(*) FILTER (WHERE note = '') AS empty,
      count(*) FILTER (WHERE note IS NULL) AS nulls, count(*) FILTER (WHERE price IS NULL) AS
      null_prices FROM clicks`);
  same(Number(empties[0].empty) > 0, true, 'clicks: empty strings read as empty');
  same(Number(empties[0].nulls), 0, 'clicks: no string read as NULL');
  same(Number(empties[0].null_prices), 9, 'clicks: NULL prices');
  // The decoy temporary file is not read.
  const bogus = await rows(`SELECT count(*) AS n FROM clicks WHERE event_id = 'bogus'`);
  same(Number(bogus[0].n), 0, 'clicks: temporary files are not read');
} catch (e) {
  failures++;
  console.error('FAIL: ' + (e.stack || e));
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

if (failures > 0) {
  console.error(`lake_duckdb_test: ${failures} failure(s)`);
  process.exit(1);
}
console.log('lake_duckdb_test: DuckDB reads the lake exactly');
