/**
 * Chat templates: the Jinja template in the GGUF file (`tokenizer.chat_template`), rendered with
 * @huggingface/jinja, or a documented fallback when the file has none.
 *
 * Template variables: `messages` ([{role, content, ...}]), `add_generation_prompt`, `bos_token`,
 * `eos_token`, plus any `extra` variables (e.g. `tools`, `enable_thinking`). `raise_exception`
 * and `strftime_now` are provided by the Jinja engine.
 *
 * BOS handling (as llama.cpp's common/chat.cpp does): many templates write `bos_token` themselves
 * (Llama 3: `{{ bos_token }}...`). If the tokenizer adds BOS on its own (`addBos`) and the rendered
 * text starts with the BOS text, that leading BOS text is removed from the rendered prompt; the
 * prompt is then tokenised with addSpecial (adds BOS once) and parseSpecial (special-token text
 * such as <|im_start|> in the rendered prompt becomes the special token ids). Likewise a trailing
 * EOS text is removed when the tokenizer also adds EOS (`addEos`). So the prompt starts with
 * exactly one BOS whether or not the template writes it.
 *
 * Fallbacks (no template in the file):
 * - 'chatml' when the vocabulary has <|im_start|> and <|im_end|> as tokens:
 *     <|im_start|>{role}\n{content}<|im_end|>\n ... <|im_start|>assistant\n
 * - 'plain' otherwise:
 *     {system content}\n\n            (only when there is a system message)
 *     ### User:\n{content}\n\n
 *     ### Assistant:\n{content}\n\n
 *     ...
 *     ### Assistant:\n                (the generation prompt)
 *   with suggested stop string '\n### User:' (see ChatTemplate.stopStrings).
 */
import { Template } from '@huggingface/jinja';
import type { TokenizerLike } from './generate.js';

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
  role: ChatRole | (string & {});
  content: string;
  /** Other fields (tool_calls, name, ...) are passed to the template as they are. */
  [key: string]: unknown;
}

export interface ChatRenderOptions {
  /** Append the assistant turn header so the model answers. Default true. */
  addGenerationPrompt?: boolean;
  /** Extra template variables (tools, enable_thinking, date_string, ...). */
  extra?: Record<string, unknown>;
}

export class ChatTemplateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChatTemplateError';
  }
}

export type ChatFormat = 'template' | 'chatml' | 'plain';

export const CHATML_TEMPLATE =
  "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

export const PLAIN_TEMPLATE =
  "{%- for message in messages %}" +
  "{%- if message['role'] == 'system' %}{{- message['content'] + '\\n\\n' }}" +
  "{%- elif message['role'] == 'user' %}{{- '### User:\\n' + message['content'] + '\\n\\n' }}" +
  "{%- elif message['role'] == 'assistant' %}{{- '### Assistant:\\n' + message['content'] + '\\n\\n' }}" +
  "{%- else %}{{- '### ' + (message['role'] | capitalize) + ':\\n' + message['content'] + '\\n\\n' }}" +
  '{%- endif %}{%- endfor %}' +
  "{%- if add_generation_prompt %}{{- '### Assistant:\\n' }}{%- endif %}";

/** True when `text` tokenises (with special-token parsing) to one token whose text is `text`. */
function hasSpecialToken(tokenizer: TokenizerLike, text: string): boolean {
  try {
    const ids = tokenizer.encode(text, { addSpecial: false, parseSpecial: true });
    return ids.length === 1 && tokenizer.tokenText(ids[0]) === text;
  } catch {
    return false;
  }
}

function tokenString(tokenizer: TokenizerLike, id: number | undefined): string {
  if (id === undefined || id < 0) return '';
  try {
    return tokenizer.tokenText(id);
  } catch {
    return '';
  }
}

export class ChatTemplate {
  readonly format: ChatFormat;
  readonly source: string;
  readonly bosToken: string;
  readonly eosToken: string;
  /** Stop strings the format needs beyond the tokenizer's EOG tokens ([] for real templates). */
  readonly stopStrings: readonly string[];
  private readonly template: Template;

  /**
   * source: the GGUF `tokenizer.chat_template` string, or undefined/'' for the fallback.
   * Throws ChatTemplateError when the template does not parse.
   */
  constructor(
    source: string | undefined,
    private readonly tokenizer: TokenizerLike,
  ) {
    if (source !== undefined && typeof source !== 'string') {
      throw new ChatTemplateError(`tokenizer.chat_template must be a string, got ${typeof source}`);
    }
    if (source && source.trim() !== '') {
      this.format = 'template';
      this.source = source;
      this.stopStrings = [];
    } else if (hasSpecialToken(tokenizer, '<|im_start|>') && hasSpecialToken(tokenizer, '<|im_end|>')) {
      this.format = 'chatml';
      this.source = CHATML_TEMPLATE;
      this.stopStrings = ['<|im_end|>'];
    } else {
      this.format = 'plain';
      this.source = PLAIN_TEMPLATE;
      this.stopStrings = ['\n### User:'];
    }
    this.bosToken = tokenString(tokenizer, tokenizer.bosId);
    this.eosToken = tokenString(tokenizer, tokenizer.eosId);
    try {
      this.template = new Template(this.source);
    } catch (err) {
      throw new ChatTemplateError(
        `the model's chat template could not be parsed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }

  /** Renders the messages to the prompt text exactly as the template writes it. */
  render(messages: readonly ChatMessage[], options: ChatRenderOptions = {}): string {
    validateMessages(messages);
    try {
      return this.template.render({
        ...(options.extra ?? {}),
        messages: messages.map((m) => ({ ...m })),
        add_generation_prompt: options.addGenerationPrompt ?? true,
        bos_token: this.bosToken,
        eos_token: this.eosToken,
      });
    } catch (err) {
      const what = this.format === 'template' ? "the model's chat template" : `the ${this.format} fallback template`;
      throw new ChatTemplateError(
        `${what} failed to render: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }

  /**
   * The rendered prompt prepared for tokenising with addSpecial: a leading BOS text is removed
   * when the tokenizer adds BOS itself, a trailing EOS text when it adds EOS itself (llama.cpp's rule).
   */
  prompt(messages: readonly ChatMessage[], options: ChatRenderOptions = {}): string {
    let text = this.render(messages, options);
    if (this.tokenizer.addBos && this.bosToken && text.startsWith(this.bosToken)) {
      text = text.slice(this.bosToken.length);
    }
    if (this.tokenizer.addEos === true && this.eosToken && text.endsWith(this.eosToken)) {
      text = text.slice(0, text.length - this.eosToken.length);
    }
    return text;
  }

  /** Token ids of the prompt: exactly one BOS when the model wants one, special tokens parsed. */
  tokenize(messages: readonly ChatMessage[], options: ChatRenderOptions = {}): number[] {
    return this.tokenizer.encode(this.prompt(messages, options), { addSpecial: true, parseSpecial: true });
  }
}

function validateMessages(messages: readonly ChatMessage[]): void {
  if (!Array.isArray(messages)) throw new ChatTemplateError('messages must be an array of {role, content}');
  messages.forEach((m, i) => {
    if (!m || typeof m !== 'object') throw new ChatTemplateError(`message ${i} is not an object`);
    if (typeof m.role !== 'string' || m.role === '') throw new ChatTemplateError(`message ${i} has no role`);
    if (typeof m.content !== 'string') throw new ChatTemplateError(`message ${i} (${m.role}) has no string content`);
  });
}

/** One-shot helper: renders `messages` with the GGUF template (or the fallback) to prompt text. */
export function renderChat(
  source: string | undefined,
  tokenizer: TokenizerLike,
  messages: readonly ChatMessage[],
  options: ChatRenderOptions = {},
): string {
  return new ChatTemplate(source, tokenizer).render(messages, options);
}

/** One-shot helper: renders and tokenises `messages` (see ChatTemplate.tokenize for BOS rules). */
export function tokenizeChat(
  source: string | undefined,
  tokenizer: TokenizerLike,
  messages: readonly ChatMessage[],
  options: ChatRenderOptions = {},
): number[] {
  return new ChatTemplate(source, tokenizer).tokenize(messages, options);
}
