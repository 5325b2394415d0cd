import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, homeWithModel, tempHome } from './helpers.js';

describe('localgpt memory', () => {
  it('add, search, list, forget round trip; a wrong passphrase is one clear line and exit 5', async () => {
    const home = tempHome();
    const env = { LOCALGPT_HOME: home, LOCALGPT_PASSPHRASE: 'correct horse' };
    // Nothing there yet: a clear line, not a new vault.
    const none = await cli(['memory', 'list'], { env });
    expect(none.code).toBe(5);
    expect(none.stderr).toMatch(/^localgpt: no memory vault at .*\nhint: there is no memory yet/);

    const added = await cli(['memory', 'add', '--json', 'My', 'cat', 'is', 'called', 'Tom'], { env });
    expect(added.code).toBe(0);
    const entry = JSON.parse(added.stdout);
    expect(entry).toMatchObject({ kind: 'fact', text: 'My cat is called Tom' });
    expect((await cli(['memory', 'add', '--kind', 'note', 'buy milk on Friday'], { env })).stdout).toMatch(/^remembered note /);

    const hits = JSON.parse((await cli(['memory', 'search', 'cat', '--json'], { env })).stdout);
    expect(hits[0]).toMatchObject({ kind: 'fact', text: 'My cat is called Tom' });
    const list = JSON.parse((await cli(['memory', 'list', '--json'], { env })).stdout);
    expect(list.map((e: { text: string }) => e.text).sort()).toEqual(['My cat is called Tom', 'buy milk on Friday']);

    const wrong = await cli(['memory', 'list'], { env: { ...env, LOCALGPT_PASSPHRASE: 'wrong' } });
    expect(wrong.code).toBe(5);
    expect(wrong.stderr).toBe('localgpt: wrong passphrase: the vault could not be unlocked\nhint: nothing was changed; check LOCALGPT_PASSPHRASE or --passphrase-file\n');

    expect((await cli(['memory', 'forget', entry.ref], { env })).stdout).toBe(`forgot ${entry.ref}\n`);
    const after = JSON.parse((await cli(['memory', 'list', '--json'], { env })).stdout);
    expect(after.map((e: { text: string }) => e.text)).toEqual(['buy milk on Friday']);
    const again = await cli(['memory', 'forget', entry.ref], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/nothing to forget/);
    // a ref that begins with '-' (older ids could) is a ref, not an unknown option
    const dashed = await cli(['memory', 'forget', '-Abc'], { env });
    expect(dashed.code, dashed.stderr).toBe(1);
    expect(dashed.stderr).toMatch(/nothing to forget at -Abc/);
  });

  it('verify: a forgotten fact put back from an old copy of the file is named; --accept takes it', async () => {
    const home = tempHome();
    const env = { LOCALGPT_HOME: home, LOCALGPT_PASSPHRASE: 'pw' };
    const added = JSON.parse((await cli(['memory', 'add', '--json', 'my PIN is 1234'], { env })).stdout);
    expect((await cli(['memory', 'verify'], { env })).stdout).toBe('ok: every tracked record matches the vault ledger\n');
    const path = join(home, 'vault.db');
    const db = new Database(path, { readonly: true });
    const saved = db.prepare('SELECT id, v, body FROM memories').get() as { id: string; v: number; body: Buffer };
    db.close();
    const forgot = await cli(['memory', 'forget', added.ref], { env });
    expect(forgot.code, forgot.stderr).toBe(0);
    // The attacker has the file, not the key: the ledger cannot be updated to match.
    const raw = new Database(path);
    raw.function('lg_tag', { varargs: true }, () => null);
    raw.function('lg_ledger', { varargs: true }, (s: unknown) => s);
    raw.prepare('INSERT INTO memories (id, v, body) VALUES (?, ?, ?)').run(saved.id, saved.v, saved.body);
    raw.close();

    const list = await cli(['memory', 'list'], { env });
    expect(list.stderr).toMatch(/warning: the vault does not match its ledger \(memories\).*localgpt memory verify/);
    const bad = await cli(['memory', 'verify'], { env });
    expect(bad.code).toBe(5);
    expect(bad.stdout).toMatch(/memories .*1 record\(s\) added outside LocalGPT/);
    expect(bad.stderr).toMatch(/does not match its ledger\nhint: .*--accept/);
    expect((await cli(['memory', 'verify', '--accept'], { env })).stdout).toMatch(/accepted/);
    expect((await cli(['memory', 'verify'], { env })).code).toBe(0);

    // A damaged ledger: writes are refused with one line and the way out, nothing is changed.
    const raw2 = new Database(path);
    const state = raw2.prepare('SELECT state FROM vault_ledger').pluck().get() as Buffer;
    state[3] ^= 1;
    raw2.prepare('UPDATE vault_ledger SET state = ?').run(state);
    raw2.close();
    const refused = await cli(['memory', 'add', 'another fact'], { env });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/^(localgpt: warning: .*\n)?localgpt: the vault ledger failed authentication \(modified outside LocalGPT\)\nhint: `localgpt memory verify` says what changed/);
    expect((await cli(['memory', 'verify', '--accept'], { env })).code).toBe(0);
    expect((await cli(['memory', 'add', 'another fact'], { env })).code).toBe(0);
  });
});

describe('localgpt jobs', () => {
  it('search --semantic ranks with the local model\'s embeddings fused with keywords', async () => {
    const home = homeWithModel();
    const env = { LOCALGPT_HOME: home, LOCALGPT_PASSPHRASE: 'pw' };
    for (const text of ['the cat sat on the mat', 'quantum chromodynamics lecture notes']) expect((await cli(['memory', 'add', text], { env })).code).toBe(0);
    const r = await cli(['memory', 'search', '--semantic', '--json', 'cat'], { env });
    expect(r.code).toBe(0);
    const hits = JSON.parse(r.stdout) as { text: string }[];
    expect(hits.length).toBe(2); // semantic ranking reaches the one with no keyword in common too
    expect(hits.map((h) => h.text)).toContain('the cat sat on the mat');
  });

  it('add, list, cancel; bad kinds and schedules are named', async () => {
    const home = tempHome();
    const env = { LOCALGPT_HOME: home, LOCALGPT_PASSPHRASE: 'pw' };
    expect(JSON.parse((await cli(['jobs', 'list', '--json'], { env })).stdout)).toEqual([]);
    const add = await cli(['jobs', 'add', 'model.download', '--payload', '{"name":"smollm2-135m-instruct"}', '--schedule', 'in 1h', '--json'], { env });
    expect(add.code).toBe(0);
    const job = JSON.parse(add.stdout);
    expect(job).toMatchObject({ kind: 'model.download', state: 'queued' });
    const list = JSON.parse((await cli(['jobs', 'list', '--json'], { env })).stdout);
    expect(list).toEqual([expect.objectContaining({ id: job.id, state: 'queued' })]);
    const text = (await cli(['jobs', 'list'], { env })).stdout;
    expect(text).toMatch(new RegExp(`${job.id}\\s+model\\.download\\s+queued`));

    const cancel = await cli(['jobs', 'cancel', job.id.slice(0, 8)], { env });
    expect(cancel.stdout).toBe(`cancelled ${job.id}\n`);
    expect(JSON.parse((await cli(['jobs', 'list', '--json'], { env })).stdout)[0].state).toBe('cancelled');
    const twice = await cli(['jobs', 'cancel', job.id], { env });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/is cancelled; nothing to cancel/);

    const kind = await cli(['jobs', 'add', 'nope'], { env });
    expect(kind.code).toBe(2);
    expect(kind.stderr).toMatch(/unknown job kind "nope"/);
    const when = await cli(['jobs', 'add', 'diagnostics', '--schedule', 'soonish'], { env });
    expect(when.code).toBe(2);
    expect(when.stderr).toMatch(/bad schedule "soonish"/);
  });
});

describe('localgpt daemon', () => {
  it('start (checks the passphrase first), status, stop', async () => {
    const home = tempHome();
    const env = { LOCALGPT_HOME: home, LOCALGPT_PASSPHRASE: 'pw' };
    expect((await cli(['memory', 'add', 'x'], { env })).code).toBe(0);
    const wrong = await cli(['daemon', 'start'], { env: { ...env, LOCALGPT_PASSPHRASE: 'nope' } });
    expect(wrong.code).toBe(5);
    expect(JSON.parse((await cli(['daemon', 'status', '--json'], { env })).stdout).running).toBe(false);
    const start = await cli(['daemon', 'start', '--json'], { env });
    try {
      expect(start.stderr).toMatch(/inference jobs will fail until a model is configured/);
      expect(start.code).toBe(0);
      expect(JSON.parse(start.stdout)).toMatchObject({ running: true, pid: expect.any(Number) });
      expect((await cli(['daemon', 'status'], { env })).stdout).toMatch(/^running \(pid \d+\)/);
    } finally {
      const stop = await cli(['daemon', 'stop'], { env });
      expect(stop.stdout).toBe('stopped\n');
    }
    expect((await cli(['daemon', 'stop'], { env })).stdout).toBe('not running\n');
  });
});
