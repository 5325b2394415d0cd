import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempHome } from './helpers.js';

describe('localgpt config', () => {
  it('set, get, unset; a private JSON file; --config and --json show it', async () => {
    const home = tempHome();
    const env = { LOCALGPT_HOME: home };
    expect((await cli(['config', 'set', 'threads', '4'], { env })).code).toBe(0);
    expect((await cli(['config', 'set', 'temperature', '0.2'], { env })).code).toBe(0);
    expect((await cli(['config', 'set', 'sampling.topK', '20'], { env })).code).toBe(0);
    expect((await cli(['config', 'get', 'threads'], { env })).stdout).toBe('4\n');
    const file = join(home, 'config.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ threads: 4, temperature: 0.2, topK: 20 });
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const shown = JSON.parse((await cli(['--config', '--json'], { env })).stdout);
    expect(shown).toMatchObject({ path: file, config: { threads: 4, temperature: 0.2, topK: 20 }, sources: { threads: 'file' } });
    const text = (await cli(['--config'], { env })).stdout;
    expect(text).toMatch(/threads\s+4\s+from file/);

    // The environment overrides for one run.
    const over = JSON.parse((await cli(['config', 'get', 'threads', '--json'], { env: { ...env, LOCALGPT_THREADS: '2' } })).stdout);
    expect(over).toEqual({ key: 'threads', value: 2, source: 'env LOCALGPT_THREADS' });

    expect((await cli(['config', 'unset', 'threads'], { env })).code).toBe(0);
    expect((await cli(['config', 'get', 'threads'], { env })).stdout).toBe('');
  });

  it('invalid values and keys are named, exit 2, and nothing is written', async () => {
    const home = tempHome();
    const env = { LOCALGPT_HOME: home };
    const bad = await cli(['config', 'set', 'threads', 'many'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^localgpt: invalid value for threads: "many" must be a positive integer/);
    const range = await cli(['config', 'set', 'topP', '1.5'], { env });
    expect(range.stderr).toMatch(/invalid value for topP: "1.5" must be a number in \(0, 1\]/);
    const backend = await cli(['config', 'set', 'backend', 'gpu'], { env });
    expect(backend.stderr).toMatch(/backend: "gpu" must be one of auto, reference, cpu, webgpu/);
    const key = await cli(['config', 'set', 'colour', 'blue'], { env });
    expect(key.code).toBe(2);
    expect(key.stderr).toMatch(/unknown config key "colour" \(known: model, backend/);
    expect(() => statSync(join(home, 'config.json'))).toThrow();

    const envBad = await cli(['--config'], { env: { ...env, LOCALGPT_BACKEND: 'fast' } });
    expect(envBad.code).toBe(2);
    expect(envBad.stderr).toMatch(/invalid LOCALGPT_BACKEND="fast".*\nhint: fix or unset LOCALGPT_BACKEND/);
  });

  it('a bad file is named with the key; dataDir moves models and the vault', async () => {
    const home = tempHome();
    const elsewhere = tempHome();
    const env = { LOCALGPT_HOME: home };
    expect((await cli(['config', 'set', 'dataDir', elsewhere], { env })).code).toBe(0);
    // LOCALGPT_HOME still names where the settings are; the data now lives elsewhere.
    const st = JSON.parse((await cli(['--status', '--json'], { env: { LOCALGPT_CONFIG: join(home, 'config.json') } })).stdout);
    expect(st.dataDir).toBe(elsewhere);
    writeFileSync(join(home, 'config.json'), JSON.stringify({ contextLength: -1 }));
    const r = await cli(['--config'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config\.json: contextLength must be a positive integer.*\(got -1\)/);
  });
});
