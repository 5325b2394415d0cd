export { Memory, type MemoryStats, type SearchHit, type SearchOptions } from './memory.js';
export { MEMORY_SCHEMA } from './schema.js';
export type { CorruptRecord } from './records.js';
export type { EmbedFn, CountTokens } from './types.js';
export { Facts, type MemoryItem, type MemoryKind, type NewMemory } from './facts.js';
export { Conversations, type Message, type Role, type Session } from './conversations.js';
export { PreferencesStore, type Preferences, preferenceInstructions } from './preferences.js';
export { DailyLogs, type DailyLog, today } from './logs.js';
export { WorkspaceFiles, type WorkspaceFile } from './workspace.js';
export { Checkpoints, CHECKPOINT_CHUNK, type Checkpoint, type CheckpointInfo, type CheckpointKey } from './checkpoints.js';
export { SearchIndex, tokenize, type IndexedDoc, type KeywordHit } from './search-index.js';
export { recall, type RecallOptions, type Recalled } from './recall.js';
export { buildSystemPrompt, systemPromptFromMemory, DEFAULT_BASE, PROMPT_FILES, type SystemPromptParts, type MemoryPromptOptions } from './prompt.js';
export {
  importWorkspace,
  exportWorkspace,
  listSkills,
  parseSkill,
  WORKSPACE_FILES,
  type Skill,
  type ImportReport,
  type ExportReport,
} from './openclaw.js';
export { parseFrontmatter, parseYamlSubset } from './frontmatter.js';
export {
  memoryAdd,
  memorySearch,
  memoryList,
  memoryForget,
  memoryImport,
  memoryExport,
  memoryStats,
  memoryVerify,
  type VerifyReport,
  memoryPasswd,
  type ListWhat,
  type ListEntry,
} from './commands.js';
