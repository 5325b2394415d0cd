import type { TrackedTable } from '../vault/ledger.js';
import type { SchemaModule } from '../vault/schema.js';

/**
 * The tables under replay protection. Checkpoint chunks are not: each save binds its chunks
 * to the tracked header through a fresh generation in their associated data and a digest of
 * the whole cache. Embeddings are not: a cache keyed by a hash of the text they embed.
 */
const TRACKED: Record<string, TrackedTable> = {
  memories: { key: 'id', cols: ['body'] },
  sessions: { key: 'id', cols: ['body'] },
  messages: { key: 'id', cols: ['body'] }, // session and seq are in its associated data
  preferences: { key: 'id', cols: ['body'] },
  daily_logs: { key: 'id', cols: ['body'] },
  workspace_files: { key: 'id', cols: ['body'] },
  checkpoints: { key: 'session_id', cols: ['body'] },
};

/**
 * The memory module's tables. Every user-derived value lives in a sealed `body` column;
 * the clear columns hold only random or blinded ids, ordering numbers and payload versions.
 * Append new migrations at the end; never edit a shipped one (test/assistant/migrations
 * opens a vault left at every earlier version).
 */
export const MEMORY_SCHEMA: SchemaModule = {
  name: 'memory',
  tracked: TRACKED,
  migrations: [
    {
      to: 1,
      description: 'facts/notes, conversations, preferences, daily logs, workspace files',
      up(db) {
        db.exec(`
          CREATE TABLE memories (id TEXT PRIMARY KEY, v INTEGER NOT NULL, body BLOB NOT NULL) STRICT;
          CREATE TABLE sessions (id TEXT PRIMARY KEY, v INTEGER NOT NULL, body BLOB NOT NULL) STRICT;
          CREATE TABLE messages (
            id TEXT PRIMARY KEY, session_id TEXT NOT NULL, seq INTEGER NOT NULL,
            v INTEGER NOT NULL, body BLOB NOT NULL) STRICT;
          CREATE UNIQUE INDEX messages_by_session ON messages (session_id, seq);
          CREATE TABLE preferences (id TEXT PRIMARY KEY, v INTEGER NOT NULL, body BLOB NOT NULL) STRICT;
          CREATE TABLE daily_logs (id TEXT PRIMARY KEY, v INTEGER NOT NULL, body BLOB NOT NULL) STRICT;
          CREATE TABLE workspace_files (id TEXT PRIMARY KEY, v INTEGER NOT NULL, body BLOB NOT NULL) STRICT;
        `);
      },
    },
    {
      to: 2,
      description: 'KV-cache checkpoints: sealed header plus sealed fixed-size chunks',
      up(db) {
        db.exec(`
          CREATE TABLE checkpoints (session_id TEXT PRIMARY KEY, v INTEGER NOT NULL, body BLOB NOT NULL) STRICT;
          CREATE TABLE checkpoint_chunks (
            session_id TEXT NOT NULL, idx INTEGER NOT NULL, v INTEGER NOT NULL, body BLOB NOT NULL,
            PRIMARY KEY (session_id, idx)) STRICT;
        `);
      },
    },
    {
      to: 3,
      description: 'sealed embedding cache for semantic recall (vectors derive from user text)',
      up(db) {
        db.exec('CREATE TABLE embeddings (id TEXT PRIMARY KEY, v INTEGER NOT NULL, body BLOB NOT NULL) STRICT;');
      },
    },
    {
      to: 4,
      description: 'replay protection: the vault ledger tracks every sealed table but the caches',
      up(_db, ctx) {
        ctx.track(TRACKED);
      },
    },
  ],
};
