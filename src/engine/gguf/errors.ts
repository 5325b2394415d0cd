/**
 * Every problem with a GGUF file surfaces as one GGUFError whose message names what is wrong and
 * where (byte offset, key or tensor name), so a user can tell a truncated download from a file of
 * an unsupported kind.
 */
export class GGUFError extends Error {
  override readonly name = 'GGUFError';
  constructor(
    message: string,
    /** Byte offset in the file where the problem was found, when it is known. */
    readonly offset?: number,
  ) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
  }
}
