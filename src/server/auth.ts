import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';

/**
 * Bearer-token check. Both sides are hashed to fixed-length digests first, so the comparison is
 * constant-time whatever the lengths (timingSafeEqual needs equal lengths, and comparing lengths
 * directly would leak the key's length).
 */
export function createAuthenticator(apiKey: string | undefined): (req: IncomingMessage) => void {
  if (apiKey === undefined) return () => {};
  if (apiKey === '') throw new RangeError('the API key must not be empty');
  const expected = digest(apiKey);
  return (req) => {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ ]+(.+)$/i.exec(header.trim()) : null;
    if (!match) {
      throw new HttpError(401, 'Missing API key: send "Authorization: Bearer <key>" (the server was started with --api-key).', 'authentication_error', null, 'missing_api_key', { 'WWW-Authenticate': 'Bearer' });
    }
    if (!timingSafeEqual(digest(match[1]), expected)) {
      throw new HttpError(401, 'Incorrect API key provided.', 'authentication_error', null, 'invalid_api_key', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    }
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
