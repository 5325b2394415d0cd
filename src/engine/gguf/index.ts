export { GGUFError } from './errors.js';
export { openGGUF, parseGGUF, type GGUFFile } from './reader.js';
export { encodeGGUF, writeGGUF, type GGUFTensorInput, type GGUFWriteInput } from './writer.js';
export { gguf, metaArray, metaBool, metaInteger, metaNumber, metaString } from './metadata.js';
export * from './types.js';
