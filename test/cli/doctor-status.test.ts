import { describe, expect, it } from 'vitest';
import { cli, homeWithModel, tempHome } from './helpers.js';

describe('localgpt doctor and --status', () => {
  it('doctor --json: {ok, checks: [{name, status, detail, hint?}]} covering the machine', async () => {
    const home = tempHome();
    const r = await cli(['doctor', '--json'], { env: { LOCALGPT_HOME: home } });
    const report = JSON.parse(r.stdout);
    expect(typeof report.ok).toBe('boolean');
    expect(r.code).toBe(report.ok ? 0 : 1);
    const names = report.checks.map((c: { name: string }) => c.name);
    for (const n of ['node', 'native addon', 'vault crypto', 'data directory', 'disk space', 'models']) expect(names).toContain(n);
    for (const c of report.checks) {
      expect(['ok', 'warn', 'fail']).toContain(c.status);
      expect(typeof c.detail).toBe('string');
    }
    expect(report.checks.find((c: { name: string }) => c.name === 'models')).toMatchObject({ status: 'warn', hint: expect.stringMatching(/localgpt pull/) });
  });

  it('--status --json names the model, backend, vault, jobs and daemon', async () => {
    const home = homeWithModel();
    const env = { LOCALGPT_HOME: home, LOCALGPT_PASSPHRASE: 'pw' };
    await cli(['jobs', 'add', 'diagnostics', '--schedule', 'in 1h'], { env });
    const st = JSON.parse((await cli(['--status', '--json'], { env })).stdout);
    expect(st.model).toMatchObject({ architecture: 'llama', quant: 'Q4_0' });
    expect(st.backend.configured).toBe('auto');
    expect(st.vault).toMatchObject({ exists: true, unlocked: true });
    expect(st.jobs.queued).toBe(1);
    expect(st.daemon.running).toBe(false);
    // Without a passphrase it never prompts: jobs are unknown, the vault locked.
    const locked = JSON.parse((await cli(['--status', '--json'], { env: { LOCALGPT_HOME: home } })).stdout);
    expect(locked).toMatchObject({ jobs: null, vault: { exists: true, unlocked: false } });
    const models = JSON.parse((await cli(['models', '--json'], { env })).stdout);
    expect(models).toEqual([expect.objectContaining({ name: 'tiny.gguf', architecture: 'llama', quant: 'Q4_0', default: false })]);
  });
});
