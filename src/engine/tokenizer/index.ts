export {
  type DecodeOptions,
  type StreamDecoder,
  type TokenizeOptions,
  type Tokenizer,
  SUPPORTED_MODELS,
  SUPPORTED_PRE_TOKENIZERS,
  TokenAttr,
  TokenizerError,
  cleanUpSpaces,
  tokenizerFromGGUF,
} from './tokenizer.js';
