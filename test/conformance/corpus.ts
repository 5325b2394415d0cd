/**
 * Text that tokenisers get wrong: whitespace runs, digit groups, contractions, scripts without
 * spaces, emoji sequences, combining marks, and special tokens written in the text.
 */
export const CORPUS: readonly string[] = [
  'Hello world',
  ' Hello world',
  'Hello, world! How are you today?',
  "I'm sure you'll see they've done it, can't we? It's JOHN'S DOG'S.",
  'The quick brown fox jumps over the lazy dog.\n\nNew paragraph here.',
  '   leading spaces and trailing spaces   ',
  'tabs\tand\t\tdouble tabs\n\n\nthree newlines\r\nwindows line',
  'multiple     spaces    between      words',
  'Numbers: 1 12 123 1234 12345 123456 1234567 3.14159 -42 1e10 0x1F 1,000,000',
  '2026-11-25T11:10:00Z and phone +1 (555) 010-9999',
  'function add(a, b) {\n  return a + b; // sum\n}\n\nconst x = add(1, 2);',
  'def f(x):\n    if x > 0:\n        return x ** 2\n    return None\n',
  '<div class="main">&nbsp;<a href="https://example.com/path?q=1&r=2">link</a></div>',
  '日本語のテキストです。東京は大きい都市です。',
  '中文文本测试，包括标点符号。你好，世界！',
  '한국어 문장도 있습니다.',
  'Emoji: 😀 👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ 🤖',
  'Accents: café naïve résumé Ångström façade São Paulo Zürich',
  'Combining: e\u0301 a\u0308 n\u0303 (decomposed) vs é ä ñ (precomposed)',
  'Русский текст и ελληνικά και עברית وعربي',
  'Mixed: ABCdef123ghi_JKL-mno.pqr/stu\\vwx',
  "''' \"\"\" ``` ~~~ ... --- ___ *** !!! ???",
  '',
  ' ',
  '\n',
  'a',
  'Ġ weird Ċ glyphs ▁ and \u2581 marks',
];

/** Special-token texts each vocabulary defines, embedded in running text. */
export const SPECIAL_TEXTS: Readonly<Record<string, readonly string[]>> = {
  gpt2: ['<|endoftext|>Hello<|endoftext|> world'],
  smollm: ['<|endoftext|>Hello<|endoftext|> world'],
  llama3: ['<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>'],
  qwen2: ['<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n'],
  llama2: ['<s>[INST] Hello there [/INST] Hi</s>', '<s> <s>  spaced </s>'],
};
