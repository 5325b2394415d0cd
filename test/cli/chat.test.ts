import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, homeWithModel, tempHome } from './helpers.js';

describe('localgpt (chat, one-shot, stdin)', () => {
  it('answers a prompt once and exits 0; --json has the documented shape', async () => {
    const home = homeWithModel();
    const r = await cli(['-n', '6', '--temperature', '0', 'Hello there'], { env: { LOCALGPT_HOME: home } });
    expect(r.stderr).not.toMatch(/localgpt: (?!warning)/);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().length).toBeGreaterThan(0);

    const j = await cli(['-n', '4', '--temperature', '0', '--json', 'Hello there'], { env: { LOCALGPT_HOME: home } });
    expect(j.code).toBe(0);
    const out = JSON.parse(j.stdout);
    expect(Object.keys(out).sort()).toEqual(['backend', 'generated_tokens', 'model', 'prompt_tokens', 'stop_reason', 'text', 'timings']);
    expect(out).toMatchObject({ model: 'tiny.gguf', generated_tokens: 4, stop_reason: 'length' });
  });

  it('summarises standard input (`localgpt --summarise < notes.txt`) and exits 0', async () => {
    const home = homeWithModel();
    const notes = join(home, 'notes.txt');
    writeFileSync(notes, 'Meeting notes. We agreed to ship on Friday. Alice writes the release notes.\n');
    const r = await cli(['--summarise', '-n', '5', '--json'], { env: { LOCALGPT_HOME: home }, stdinFile: notes });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.generated_tokens).toBe(5);
    expect(out.prompt_tokens).toBeGreaterThan(20); // the notes were in the prompt

    // Longer than the context: condensed in parts first, still one answer.
    writeFileSync(notes, 'The quick brown fox jumps over the lazy dog. '.repeat(60));
    const long = await cli(['--summarize', '-c', '256', '-n', '4'], { env: { LOCALGPT_HOME: home }, stdinFile: notes });
    expect(long.code).toBe(0);
    expect(long.stderr).toMatch(/summarising \d+ parts/);
  });

  it('without a model: one clear line saying how to get one, exit 4', async () => {
    const home = tempHome();
    const r = await cli(['Hello'], { env: { LOCALGPT_HOME: home } });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^localgpt: no model: .*\nhint: .*localgpt pull qwen2\.5-0\.5b-instruct.*localgpt demo/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // Two models and no default: asks to choose.
    mkdirSync(join(home, 'models'));
    writeFileSync(join(home, 'models', 'a.gguf'), '');
    writeFileSync(join(home, 'models', 'b.gguf'), '');
    const two = await cli(['Hello'], { env: { LOCALGPT_HOME: home } });
    expect(two.code).toBe(4);
    expect(two.stderr).toMatch(/2 models .* no default\nhint: .*config set model a\.gguf/);
  });

  it('subcommand names are not taken for prompts, and prompts are not taken for subcommands', async () => {
    const home = tempHome();
    const models = await cli(['models', '--json'], { env: { LOCALGPT_HOME: home } });
    expect(models.code).toBe(0);
    expect(JSON.parse(models.stdout)).toEqual([]);
    const prompt = await cli(['models are great'], { env: { LOCALGPT_HOME: home } });
    expect(prompt.code).toBe(4); // taken as a prompt: no model
  });

  it('the chat works through standard input: /help, a message saved in memory, /sessions, /quit', async () => {
    const home = homeWithModel();
    const env = { LOCALGPT_HOME: home, LOCALGPT_PASSPHRASE: 'pw' };
    const r = await cli(['-n', '4', '--temperature', '0'], { env, input: '/help\nhello\n/status\n/sessions\n/nope\n/quit\nnever answered\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\/resume ID/);
    expect(r.stdout).toMatch(/memory\s+on/);
    expect(r.stdout).toMatch(/unknown command \/nope/);
    expect(r.stdout).toMatch(/session\s+\S+ "hello"/);
    expect(r.stdout.match(/\[cut at 4 tokens/g)).toHaveLength(1); // one answer: nothing after /quit
    // The conversation was saved in the vault.
    const list = await cli(['memory', 'list', 'sessions', '--json'], { env });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ kind: 'session', text: 'hello' })]);
    // Resumed in a new chat; EOF (Ctrl-D) quits.
    const id = JSON.parse(list.stdout)[0].ref.slice('session:'.length);
    const again = await cli(['-n', '2'], { env, input: `/resume ${id.slice(0, 6)}\n/memory hello\n` });
    expect(again.code).toBe(0);
    // The first chat sealed its KV cache into the vault on quit: resuming puts it back, unread.
    expect(again.stdout).toMatch(/resumed \S+ "hello" \(2 messages; KV checkpoint of \d+ tokens restored, not re-read\)/);
    expect(again.stdout).toMatch(/\[message\] hello/);
    // `localgpt chat --session ID` resumes at start.
    const direct = await cli(['chat', '--session', id.slice(0, 6), '-n', '2'], { env, input: '/quit\n' });
    expect(direct.code).toBe(0);
    expect(direct.stdout).toMatch(/resumed \S+ "hello" \(\d+ messages; KV checkpoint of \d+ tokens restored/);
  });

  it('without a daemon, jobs that fell due run when the chat starts', async () => {
    const home = homeWithModel();
    const env = { LOCALGPT_HOME: home, LOCALGPT_PASSPHRASE: 'pw' };
    const add = await cli(['jobs', 'add', 'diagnostics', '--schedule', 'now', '--json'], { env });
    expect(add.code).toBe(0);
    const id = JSON.parse(add.stdout).id;
    const r = await cli(['-n', '4', '--temperature', '0'], { env, input: 'hello\n' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/ran 1 scheduled job that fell due/);
    const list = JSON.parse((await cli(['jobs', 'list', '--json'], { env })).stdout);
    expect(list).toEqual([expect.objectContaining({ id, state: 'succeeded' })]);
  });

  it('the chat without a passphrase (not a terminal) runs with memory off', async () => {
    const home = homeWithModel();
    const r = await cli(['-n', '2'], { env: { LOCALGPT_HOME: home }, input: '/status\nhi\n' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/memory is off/);
    expect(r.stdout).toMatch(/memory\s+off/);
  });
});
