import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../src/engine/model.js';
import { loadTestModel, startTestServer, type TestServer } from './helpers.js';

/**
 * The web chat page end to end in Debian's headless Chromium (driven by playwright-core with its
 * executablePath set to that browser): a streamed answer appears, Stop cancels a long one on the
 * server, and the page loads nothing from outside.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM))('web chat page in headless Chromium', () => {
  let model: Model;
  let srv: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    model = await loadTestModel();
    srv = await startTestServer(model);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
    model?.dispose();
  });

  it('streams an answer, stops a long one, and fetches nothing from elsewhere', async () => {
    const page = await browser.newPage();
    const foreign: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(srv.url)) foreign.push(r.url());
    });
    await page.goto(srv.url);
    await expect.poll(() => page.textContent('#bar')).toMatch(/reference/);

    await page.click('summary'); // the settings panel, as a user opens it
    await page.fill('#max', '8');
    await page.fill('#input', 'Hello there');
    await page.click('#send');
    await expect.poll(() => page.isDisabled('#send'), { timeout: 30_000 }).toBe(false);
    const answer = await page.textContent('.msg.assistant .body');
    expect(answer && answer.length).toBeGreaterThan(0);
    expect(srv.events.at(-1)).toMatchObject({ endpoint: 'chat', stopReason: 'length', completionTokens: 8 });

    await page.fill('#max', '400');
    await page.fill('#input', 'Tell me a long story');
    await page.click('#send');
    await expect.poll(() => page.isDisabled('#stop')).toBe(false);
    await page.waitForTimeout(300);
    await page.click('#stop');
    await expect.poll(() => srv.events.length, { timeout: 30_000 }).toBe(2);
    expect(srv.events[1].stopReason).toBe('abort');
    expect(srv.events[1].completionTokens).toBeLessThan(400);

    await page.screenshot({ path: join(tmpdir(), 'localgpt-chat-page.png') });
    expect(foreign).toEqual([]);
  }, 120_000);
});
