import { describe, expect, it } from 'vitest';
import { parseConfigValue, validateConfig } from '../../src/config/schema.js';

describe('the provider setting', () => {
  it('takes a URL, or a JSON object with url/apiKey/model/contextLength', () => {
    expect(parseConfigValue('provider', 'http://gpu-box:8000')).toBe('http://gpu-box:8000');
    expect(parseConfigValue('provider', '{"url":"https://h/v1","model":"llama","apiKey":"k","contextLength":32768}')).toEqual({ url: 'https://h/v1', model: 'llama', apiKey: 'k', contextLength: 32768 });
    expect(() => parseConfigValue('provider', 'gpu-box:8000')).toThrow(/invalid value for provider.*http\(s\) URL/);
    expect(() => parseConfigValue('provider', '{"url":"http://h","modle":"x"}')).toThrow(/unknown field "modle"/);
    expect(() => parseConfigValue('provider', '{"url":')).toThrow(/not valid JSON/);
  });
  it('is checked when read from the file', () => {
    expect(validateConfig({ provider: { url: 'http://h:1' } }, 'config.json').config.provider).toEqual({ url: 'http://h:1' });
    expect(() => validateConfig({ provider: { url: 'http://h:1', contextLength: 0 } }, 'config.json')).toThrow(/config.json: provider "contextLength"/);
    expect(() => validateConfig({ provider: 42 }, 'config.json')).toThrow(/provider must be/);
  });
});
