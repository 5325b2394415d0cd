/**
 * The benchmark suite without the built CLI: `npx tsx bench/run.ts [--quick] [--json] [--compare OLD.json] ...`
 * (the same options as `localgpt bench`; see bench/README.md).
 */
import { parseArgs } from 'node:util';
import { benchMain } from './lib/cli.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    json: { type: 'boolean' },
    plan: { type: 'boolean' },
    compare: { type: 'string' },
    against: { type: 'string' },
    threshold: { type: 'string' },
    out: { type: 'string' },
    threads: { type: 'string' },
    runs: { type: 'string' },
    'no-peers': { type: 'boolean' },
    'no-kernels': { type: 'boolean' },
    backends: { type: 'string' },
    models: { type: 'string' },
    quants: { type: 'string' },
    prompts: { type: 'string' },
  },
});
const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
process.exitCode = await benchMain({
  ...values,
  threshold: num(values.threshold),
  threads: num(values.threads),
  runs: num(values.runs),
  peers: !values['no-peers'],
  kernels: !values['no-kernels'],
});
