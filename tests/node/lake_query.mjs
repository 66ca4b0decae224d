// Runs SQL over a promorec lake with DuckDB and prints the rows as JSON.
//   node lake_query.mjs --binary build/promorec --data-dir DIR --sql "SELECT ..."
import process from 'node:process';

import { arg, openLake } from './lake_duckdb.mjs';

const lake = await openLake('lake_query', arg('lake_query', '--binary'),
                            arg('lake_query', '--data-dir'));
process.stdout.write(JSON.stringify(await lake.rows(arg('lake_query', '--sql'))) + '\n');
