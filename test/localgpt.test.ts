import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalGPT } from '../src/index.js';
import { testModelPath } from './conformance/models.js';
import { smallGpt2Vocab } from './fixtures/small-vocab.js';

const model = () => testModelPath({ arch: 'llama', quant: 'Q4_0', vocabName: 'gpt2-1024', vocab: () => smallGpt2Vocab(1024) });

describe('LocalGPT: engine, memory and scheduler in one object', () => {
  it('answers, saves the exchange in the encrypted memory, continues the conversation, and reopens', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'localgpt-lib-'));
    const open = () => LocalGPT.open({ model: model(), backend: 'reference', contextLength: 256, passphrase: 'pw', dataDir, kdf: 'min' });
    const gpt = await open();
    let session: string | undefined;
    try {
      gpt.memory!.facts.add({ text: 'the user keeps bees' });
      const first = await gpt.ask('Tell me about my bees', { maxTokens: 4, sampling: { temperature: 0 } });
      expect(first.text.length).toBeGreaterThan(0);
      session = first.session;
      const second = await gpt.ask('And then?', { session, maxTokens: 4, sampling: { temperature: 0 } });
      expect(second.session).toBe(session);
      expect(gpt.scheduler!.add({ kind: 'diagnostics', schedule: 'now' }).state).toBe('queued');
      expect(await gpt.runDueJobs()).toBe(1);
    } finally {
      gpt.close();
    }
    const again = await open();
    try {
      const messages = again.memory!.conversations.context(session!, 10);
      expect(messages.map((m) => [m.role, m.content.slice(0, 20)])).toEqual([
        ['user', 'Tell me about my bee'],
        ['assistant', expect.any(String)],
        ['user', 'And then?'],
        ['assistant', expect.any(String)],
      ]);
    } finally {
      again.close();
    }
  });

  it('works without memory, and says what it needs', async () => {
    await expect(LocalGPT.open({})).rejects.toThrow(/needs a model file or a provider/);
    const gpt = await LocalGPT.open({ model: model(), backend: 'reference', contextLength: 64 });
    try {
      const a = await gpt.ask('Hello', { maxTokens: 3, sampling: { temperature: 0 } });
      expect(a.session).toBeUndefined();
      expect(gpt.memory).toBeUndefined();
    } finally {
      gpt.close();
    }
  });
});
