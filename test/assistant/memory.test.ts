import { describe, expect, it } from 'vitest';
import {
  Memory,
  SearchIndex,
  buildSystemPrompt,
  recall,
  systemPromptFromMemory,
  tokenize,
  memoryAdd,
  memoryForget,
  memoryList,
  memorySearch,
  memoryStats,
  memoryPasswd,
} from '../../src/assistant/memory/index.js';
import { PASS, memoryFixtures } from './helpers.js';

const { open, fresh } = memoryFixtures();
const words = (t: string) => t.split(/\s+/).filter(Boolean).length;

describe('facts and notes', () => {
  it('add, list, forget, survive reopening', async () => {
    const { mem, path } = await fresh();
    const a = mem.facts.add({ text: 'My sister is called Ana' });
    const b = mem.facts.add({ text: 'Buy oat milk', kind: 'note', tags: ['shopping'] });
    expect(mem.facts.list().map((m) => m.text)).toEqual(['My sister is called Ana', 'Buy oat milk']);
    expect(mem.facts.list({ kind: 'note' })).toHaveLength(1);
    expect(mem.facts.list({ tag: 'shopping' })[0].id).toBe(b.id);
    expect(mem.facts.forget(a.id)).toBe(true);
    expect(mem.facts.forget(a.id)).toBe(false);
    mem.close();
    open.pop();
    const again = await Memory.open({ path, passphrase: PASS });
    open.push(again);
    expect(again.facts.list().map((m) => m.id)).toEqual([b.id]);
    expect(() => again.facts.add({ text: '   ' })).toThrow();
  });

  it('a tampered or truncated record is reported and the rest stay readable', async () => {
    const { mem } = await fresh();
    const items = mem.facts.addMany([{ text: 'one' }, { text: 'two' }, { text: 'three' }]);
    const db = mem.vault.db;
    const body = (db.prepare('SELECT body FROM memories WHERE id = ?').get(items[0].id) as { body: Buffer }).body;
    const flipped = Buffer.from(body);
    flipped[30] ^= 1;
    db.prepare('UPDATE memories SET body = ? WHERE id = ?').run(flipped, items[0].id);
    db.prepare('UPDATE memories SET body = substr(body, 1, 20) WHERE id = ?').run(items[1].id);
    expect(mem.facts.list().map((m) => m.text)).toEqual(['three']);
    expect(mem.corrupt.map((c) => c.id).sort()).toEqual([items[0].id, items[1].id].sort());
    expect(mem.stats().corrupt).toHaveLength(2);
    // Swapping two records' bodies is caught too (AD binds the id).
    const c = mem.facts.add({ text: 'four' });
    const b3 = (db.prepare('SELECT body FROM memories WHERE id = ?').get(items[2].id) as { body: Buffer }).body;
    db.prepare('UPDATE memories SET body = ? WHERE id = ?').run(b3, c.id);
    expect(mem.facts.get(c.id)).toBeUndefined();
  });
});

describe('conversations', () => {
  it('resumes by id and keeps the last N exchanges in context', async () => {
    const { mem, path } = await fresh();
    const s = mem.conversations.create({ title: 'chat' });
    mem.conversations.append(s.id, { role: 'system', content: 'be nice' });
    for (let i = 1; i <= 5; i++) {
      mem.conversations.append(s.id, { role: 'user', content: `q${i}` }, { role: 'assistant', content: `a${i}` });
    }
    mem.close();
    open.pop();
    const m2 = await Memory.open({ path, passphrase: PASS });
    open.push(m2);
    expect(m2.conversations.get(s.id)?.title).toBe('chat');
    expect(m2.conversations.messages(s.id)).toHaveLength(11);
    expect(m2.conversations.context(s.id, 2).map((m) => m.content)).toEqual(['be nice', 'q4', 'a4', 'q5', 'a5']);
    expect(m2.conversations.context(s.id, 0).map((m) => m.content)).toEqual(['be nice']);
    expect(m2.conversations.list()[0].id).toBe(s.id);
    // A message moved to another session does not open there.
    const other = m2.conversations.create();
    m2.vault.db.prepare('UPDATE messages SET session_id = ?, seq = 1 WHERE session_id = ? AND seq = 2').run(other.id, s.id);
    expect(m2.conversations.messages(other.id)).toEqual([]);
    expect(m2.corrupt).toHaveLength(1);
    expect(m2.conversations.delete(s.id)).toBe(true);
    expect(m2.conversations.messages(s.id)).toEqual([]);
  });
});

describe('preferences, workspace and the system prompt', () => {
  it('applies tone, verbosity, persona files and skills', async () => {
    const { mem } = await fresh();
    mem.preferences.set({ tone: 'warm', verbosity: 'terse' });
    mem.preferences.set({ name: 'Sam' });
    expect(mem.preferences.get()).toEqual({ tone: 'warm', verbosity: 'terse', name: 'Sam' });
    mem.preferences.set({ name: '' });
    expect(mem.preferences.get().name).toBeUndefined();
    mem.workspace.put('SOUL.md', 'You are a calm lighthouse keeper.');
    mem.workspace.put('USER.md', 'The user likes sailing.');
    mem.workspace.put('TOOLS.md', 'not in the prompt');
    mem.workspace.put(
      'skills/weather/SKILL.md',
      '---\nname: weather\ndescription: Get the forecast\nmetadata: {"openclaw": {"emoji": "W", "requires": {"bins": ["curl"]}}}\n---\nUse curl.\n',
    );
    mem.facts.add({ text: 'The boat is called Osprey' });
    const prompt = await systemPromptFromMemory(mem, {
      query: 'what is my boat called',
      countTokens: words,
      recallBudgetTokens: 50,
    });
    expect(prompt).toContain('## SOUL.md');
    expect(prompt).toContain('calm lighthouse keeper');
    expect(prompt).toContain('The user likes sailing.');
    expect(prompt).not.toContain('not in the prompt');
    expect(prompt).toContain('<name>weather</name>');
    expect(prompt).toContain('Use a warm tone.');
    expect(prompt).toContain('Be brief');
    expect(prompt).toContain('The boat is called Osprey');
    expect(prompt.indexOf('## SOUL.md')).toBeLessThan(prompt.indexOf('## USER.md'));
    expect(buildSystemPrompt({ base: 'B' })).toBe('B');
  });

  it('daily logs append and are searchable', async () => {
    const { mem } = await fresh();
    mem.logs.append('walked the dog', { date: '2025-01-02' });
    mem.logs.append('fixed the bike', { date: '2025-01-02' });
    expect(mem.logs.get('2025-01-02')?.text).toBe('# 2025-01-02\n\n- walked the dog\n- fixed the bike\n');
    const hits = await mem.search('bike');
    expect(hits[0]).toMatchObject({ kind: 'log', text: 'fixed the bike', meta: { date: '2025-01-02' } });
    expect(() => mem.logs.append('x', { date: 'yesterday' })).toThrow();
    expect(mem.logs.delete('2025-01-02')).toBe(true);
    expect(await mem.search('bike')).toEqual([]);
  });
});

describe('search and recall', () => {
  it('BM25 ranks, keeps up with writes and forgets', async () => {
    const { mem } = await fresh();
    mem.facts.add({ text: 'Cats are small carnivorous mammals' });
    const dog = mem.facts.add({ text: 'The dog barks at the postman every morning' });
    mem.facts.add({ text: 'A cat sat on the mat with another cat' });
    const hits = await mem.search('cat');
    expect(hits.map((h) => h.text)).toEqual(['A cat sat on the mat with another cat', 'Cats are small carnivorous mammals']);
    mem.facts.add({ text: 'postman brings letters' });
    expect((await mem.search('postman')).length).toBe(2);
    mem.facts.forget(dog.id);
    expect((await mem.search('postman')).map((h) => h.text)).toEqual(['postman brings letters']);
    const s = mem.conversations.create();
    mem.conversations.append(s.id, { role: 'user', content: 'remember the zebra' });
    expect((await mem.search('zebra'))[0].kind).toBe('message');
    expect(await mem.search('zebra', { kinds: ['fact'] })).toEqual([]);
  });

  it('semantic and hybrid search use the caller embed function and cache vectors sealed', async () => {
    const { mem, path } = await fresh();
    mem.facts.add({ text: 'I love apples' });
    mem.facts.add({ text: 'Trains run on rails' });
    let calls = 0;
    // A toy embedding: axis 0 for fruit words, axis 1 for transport words.
    const embed = async (texts: string[]) => {
      calls += texts.length;
      return texts.map((t) => {
        const v = new Float32Array(2);
        if (/apple|fruit|banana/i.test(t)) v[0] = 1;
        if (/train|rail|bus/i.test(t)) v[1] = 1;
        return v;
      });
    };
    const hits = await mem.search('fruit', { mode: 'semantic', embed, limit: 1 });
    expect(hits[0].text).toBe('I love apples');
    expect(calls).toBe(3);
    const hy = await mem.search('bus', { embed, limit: 2 });
    expect(hy[0].text).toBe('Trains run on rails');
    mem.close();
    open.pop();
    const m2 = await Memory.open({ path, passphrase: PASS });
    open.push(m2);
    calls = 0;
    await m2.search('fruit', { mode: 'semantic', embed });
    expect(calls).toBe(1); // documents came from the sealed cache, only the query was embedded
    // Forgetting a memory or a day's log removes its sealed vectors too.
    const rows = () => (m2.vault.db.prepare('SELECT COUNT(*) AS n FROM embeddings').get() as { n: number }).n;
    m2.logs.append('bananas on the bus', { date: '2025-05-05' });
    await m2.search('fruit', { mode: 'semantic', embed, embedModel: 'other' });
    expect(rows()).toBe(5); // 2 docs x 'default' + 3 docs x 'other'
    m2.facts.forget(m2.facts.list()[0].id);
    expect(rows()).toBe(3);
    m2.logs.delete('2025-05-05');
    expect(rows()).toBe(2);
  });

  it('recall fits the token budget', async () => {
    const { mem } = await fresh();
    mem.facts.add({ text: 'garden roses bloom in june ' + 'long '.repeat(40) });
    mem.facts.add({ text: 'the garden gate is blue' });
    mem.facts.add({ text: 'garden gnome named Fred' });
    const r = await recall(mem, 'garden', { countTokens: words, budgetTokens: 20 });
    expect(r.tokens).toBeLessThanOrEqual(20);
    expect(r.items.map((i) => i.text).sort()).toEqual(['garden gnome named Fred', 'the garden gate is blue']);
    expect(r.text.startsWith('Relevant memories:')).toBe(true);
    expect((await recall(mem, 'garden', { countTokens: words, budgetTokens: 1 })).text).toBe('');
    expect((await recall(mem, 'nothing-matches', { countTokens: words, budgetTokens: 100 })).items).toEqual([]);
  });

  it('tokenizer and index basics', () => {
    expect(tokenize("The Cats' berries, naïve Ünïcode 42!")).toEqual(['cat', 'berry', 'naïve', 'ünïcode', '42']);
    const idx = new SearchIndex();
    for (let i = 0; i < 3000; i++) idx.add({ key: `k${i}`, kind: 'fact', text: `item ${i} ${i % 2 ? 'odd' : 'even'}` });
    for (let i = 0; i < 2500; i++) idx.remove(`k${i}`); // forces compaction
    expect(idx.size).toBe(500);
    expect(idx.search('odd', { limit: 1000 })).toHaveLength(250);
    expect(idx.search('2999')[0].doc.key).toBe('k2999');
  });
});

describe('KV checkpoints', () => {
  it('round-trips large chunked blobs, refuses mismatches, reports damage', async () => {
    const { mem } = await fresh();
    const s = mem.conversations.create();
    const data = new Uint8Array(9 * 1024 * 1024 + 123);
    for (let i = 0; i < data.length; i += 4096) data[i] = (i / 4096) & 0xff;
    const key = { modelFingerprint: 'sha256:abc', backendLayout: 'cpu-f16', version: 1 };
    mem.saveCheckpoint(s.id, { ...key, position: 777, data });
    expect(mem.vault.db.prepare('SELECT COUNT(*) AS n FROM checkpoint_chunks').get()).toEqual({ n: 3 });
    const back = mem.loadCheckpoint(s.id, key)!;
    expect(back.position).toBe(777);
    expect(Buffer.compare(Buffer.from(back.data), Buffer.from(data))).toBe(0);
    expect(mem.loadCheckpoint(s.id, { ...key, modelFingerprint: 'other' })).toBeUndefined();
    expect(mem.loadCheckpoint(s.id, { ...key, backendLayout: 'webgpu' })).toBeUndefined();
    expect(mem.loadCheckpoint(s.id, { ...key, version: 2 })).toBeUndefined();
    expect(mem.loadCheckpoint('nope', key)).toBeUndefined();
    // Overwrite with a small one: old chunks go.
    mem.saveCheckpoint(s.id, { ...key, position: 3, data: new Uint8Array([1, 2, 3]) });
    expect(mem.loadCheckpoint(s.id, key)?.data).toEqual(new Uint8Array([1, 2, 3]));
    expect(mem.checkpoints.info(s.id)).toMatchObject({ position: 3, bytes: 3 });
    // Chunks from an older save cannot be spliced in.
    mem.saveCheckpoint(s.id, { ...key, position: 5, data: new Uint8Array([9, 9, 9]) });
    mem.vault.db.prepare('UPDATE checkpoint_chunks SET body = substr(body, 1, length(body) - 1) WHERE session_id = ?').run(s.id);
    expect(mem.loadCheckpoint(s.id, key)).toBeUndefined();
    expect(mem.corrupt.some((c) => c.table === 'checkpoint_chunks')).toBe(true);
    // Deleting the conversation deletes its checkpoint.
    mem.conversations.delete(s.id);
    expect(mem.checkpoints.stats()).toEqual({ count: 0, bytes: 0 });
  });
});

describe('CLI library API', () => {
  it('add, search, list, forget, stats, passwd', async () => {
    const { mem, path } = await fresh();
    const item = memoryAdd(mem, 'Paris is the capital of France', { tags: ['geo'] });
    memoryAdd(mem, 'call mum', { kind: 'note' });
    expect((await memorySearch(mem, 'capital'))[0].meta.id).toBe(item.ref);
    expect(memoryAdd(mem, 'ran 5k', { kind: 'log', date: '2024-02-04' }).ref).toBe('log:2024-02-04');
    expect(memoryForget(mem, 'log:2024-02-04')).toBe(true);
    mem.preferences.set({ tone: 'dry' });
    expect(memoryList(mem, 'preferences')).toEqual([{ ref: 'pref:tone', kind: 'preference', text: 'dry' }]);
    expect(memoryForget(mem, 'pref:tone')).toBe(true);
    expect(memoryForget(mem, 'pref:tone')).toBe(false);
    expect(memoryList(mem).map((e) => e.kind)).toEqual(['fact', 'note']);
    expect(memoryList(mem, 'notes')).toHaveLength(1);
    const s = mem.conversations.create({ title: 't' });
    expect(memoryList(mem, 'sessions')[0].ref).toBe(`session:${s.id}`);
    mem.logs.append('x', { date: '2024-02-03' });
    expect(memoryForget(mem, 'log:2024-02-03')).toBe(true);
    expect(memoryForget(mem, item.ref)).toBe(true);
    expect(memoryForget(mem, `session:${s.id}`)).toBe(true);
    const st = memoryStats(mem);
    expect(st).toMatchObject({ facts: 0, notes: 1, sessions: 0, dailyLogs: 0, schema: { vault: 2, memory: 4 } });
    mem.close();
    open.pop();
    await expect(memoryPasswd({ path, oldPassphrase: 'bad', newPassphrase: 'x' })).rejects.toMatchObject({ code: 'WRONG_PASSPHRASE' });
    await memoryPasswd({ path, oldPassphrase: PASS, newPassphrase: 'second', kdf: 'min' });
    const m2 = await Memory.open({ path, passphrase: 'second' });
    open.push(m2);
    expect(memoryList(m2)).toHaveLength(1);
  });
});
