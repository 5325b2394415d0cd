import { describe, expect, it } from 'vitest';
import { ChatTemplate, ChatTemplateError, renderChat, tokenizeChat, type ChatMessage } from '../../src/engine/chat.js';
import { FakeTokenizer, bytesOf } from './helpers/fakes.js';

// Test data: chat templates as shipped in the models' tokenizer_config.json / GGUF metadata.
const QWEN25_TEMPLATE = `{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- message.content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
`;

const LLAMA3_TEMPLATE =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

const qwenTok = () =>
  new FakeTokenizer({ specials: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'], eos: '<|im_end|>', eog: ['<|endoftext|>'], addBos: false });
const llamaTok = () =>
  new FakeTokenizer({
    specials: ['<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'],
    bos: '<|begin_of_text|>',
    eos: '<|eot_id|>',
    eog: ['<|end_of_text|>'],
    addBos: true,
  });

const convo: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Hi' },
  { role: 'assistant', content: 'Hello!' },
  { role: 'user', content: 'Name a colour.' },
];

describe('chat templates', () => {
  it('renders Qwen2.5 (ChatML) exactly', () => {
    const t = new ChatTemplate(QWEN25_TEMPLATE, qwenTok());
    expect(t.format).toBe('template');
    expect(t.render(convo)).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n' +
        '<|im_start|>user\nHi<|im_end|>\n' +
        '<|im_start|>assistant\nHello!<|im_end|>\n' +
        '<|im_start|>user\nName a colour.<|im_end|>\n' +
        '<|im_start|>assistant\n',
    );
    // default system prompt, and no generation prompt when asked
    expect(t.render([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: false })).toBe(
      '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n',
    );
  });

  it('passes extra variables (tools) to the template', () => {
    const t = new ChatTemplate(QWEN25_TEMPLATE, qwenTok());
    const out = t.render([{ role: 'user', content: 'weather?' }], { extra: { tools: [{ type: 'function', function: { name: 'get_weather' } }] } });
    expect(out).toContain('# Tools');
    expect(out).toContain('"name": "get_weather"');
  });

  it('tokenises special-token text as special ids (no BOS for Qwen)', () => {
    const tok = qwenTok();
    const ids = tokenizeChat(QWEN25_TEMPLATE, tok, [{ role: 'user', content: 'Hi' }]);
    expect(ids[0]).toBe(tok.id('<|im_start|>'));
    expect(ids.filter((i) => i === tok.id('<|im_end|>')).length).toBe(2);
    expect(ids.slice(-2)).toEqual([tok.id('assistant'.at(-1)!), 10]);
  });

  it('renders Llama 3 with bos_token, and tokenises to exactly one BOS', () => {
    const tok = llamaTok();
    const t = new ChatTemplate(LLAMA3_TEMPLATE, tok);
    const msgs: ChatMessage[] = [{ role: 'system', content: 'Be brief. ' }, { role: 'user', content: ' Hi' }];
    const text = t.render(msgs);
    expect(text).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    );
    expect(t.prompt(msgs).startsWith('<|start_header_id|>')).toBe(true);
    const ids = t.tokenize(msgs);
    expect(ids[0]).toBe(tok.bosId);
    expect(ids[1]).toBe(tok.id('<|start_header_id|>'));
    expect(ids.filter((i) => i === tok.bosId).length).toBe(1);
    expect(ids.filter((i) => i === tok.id('<|eot_id|>')).length).toBe(2);
  });

  it('keeps BOS text when the tokenizer does not add BOS itself', () => {
    const tok = new FakeTokenizer({ specials: ['<|begin_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'], bos: '<|begin_of_text|>', eos: '<|eot_id|>', addBos: false });
    const ids = tokenizeChat(LLAMA3_TEMPLATE, tok, [{ role: 'user', content: 'x' }]);
    expect(ids[0]).toBe(tok.bosId);
    expect(ids.filter((i) => i === tok.bosId).length).toBe(1);
  });

  it('falls back to ChatML when the vocabulary has <|im_start|>/<|im_end|>', () => {
    const t = new ChatTemplate(undefined, qwenTok());
    expect(t.format).toBe('chatml');
    expect(t.render([{ role: 'system', content: 'S' }, { role: 'user', content: 'U' }])).toBe(
      '<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(t.stopStrings).toEqual(['<|im_end|>']);
  });

  it('falls back to a plain "### User / ### Assistant" format otherwise', () => {
    const tok = new FakeTokenizer();
    const t = new ChatTemplate('', tok);
    expect(t.format).toBe('plain');
    expect(t.render(convo)).toBe(
      'Be brief.\n\n### User:\nHi\n\n### Assistant:\nHello!\n\n### User:\nName a colour.\n\n### Assistant:\n',
    );
    expect(t.stopStrings).toEqual(['\n### User:']);
    const ids = t.tokenize([{ role: 'user', content: 'Hi' }]);
    expect(ids[0]).toBe(tok.bosId);
    expect(ids.slice(1)).toEqual(bytesOf('### User:\nHi\n\n### Assistant:\n'));
    expect(renderChat(undefined, tok, [{ role: 'tool', content: '42' }], { addGenerationPrompt: false })).toBe('### Tool:\n42\n\n');
  });

  it('template errors are ChatTemplateErrors naming the problem', () => {
    const tok = qwenTok();
    expect(() => new ChatTemplate('{% for m in messages %}{{ m.content }}', tok)).toThrow(ChatTemplateError);
    expect(() => new ChatTemplate('{% for m in messages %}{{ m.content }}', tok)).toThrow(/could not be parsed/);
    const strict = new ChatTemplate(
      "{% if messages[0]['role'] != 'user' %}{{ raise_exception('Conversation roles must start with user') }}{% endif %}{{ messages[0]['content'] }}",
      tok,
    );
    expect(() => strict.render([{ role: 'assistant', content: 'x' }])).toThrow(/failed to render: .*Conversation roles must start with user/);
    expect(strict.render([{ role: 'user', content: 'ok' }])).toBe('ok');
    expect(() => strict.render([{ role: 'user' } as unknown as ChatMessage])).toThrow(/message 0 \(user\) has no string content/);
  });
});
