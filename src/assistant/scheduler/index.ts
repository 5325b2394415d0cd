import { diagnosticsKind } from './kinds/diagnostics.js';
import { downloadKind } from './kinds/download.js';
import { heartbeatKind } from './kinds/heartbeat.js';
import { promptKind } from './kinds/prompt.js';
import { registerJobKind } from './kinds/registry.js';
import { reportKind } from './kinds/report.js';

export { SCHEDULER_SCHEMA } from './schema.js';
export { Scheduler, type SchedulerOptions, type AddJobOptions, type RunReport, JobCancelledError, JobTimeoutError, LeaseLostError, DEFAULT_MAX_ATTEMPTS } from './runner.js';
export { JobStore, type Job, type JobState, type JobResult, type JobLogLine } from './store.js';
export { type Schedule, type ScheduleInput, type Clock, parseSchedule, parseDuration, normaliseSchedule, nextRunAfter, firstRun, describeSchedule, systemClock } from './schedule.js';
export { backoffMs, type BackoffOptions } from './backoff.js';
export { newOwner, ownerAlive, DEFAULT_LEASE_MS } from './lease.js';
export { registerJobKind, unregisterJobKind, jobKind, jobKinds, type JobKind, type JobContext, type JobServices } from './kinds/registry.js';
export { download, downloadKind, ChecksumError, type DownloadOptions, type DownloadResult, type DownloadProgress } from './kinds/download.js';
export { runDiagnostics, formatReport, diagnosticsKind, type DiagnosticsReport, type DiagnosticsOptions, type Check } from './kinds/diagnostics.js';
export { heartbeatKind, withinActiveHours, stripHeartbeatOk, HEARTBEAT_PROMPT, HEARTBEAT_OK, type ActiveHours, type HeartbeatPayload, type HeartbeatResult } from './kinds/heartbeat.js';
export { promptKind, type PromptPayload, type PromptResult } from './kinds/prompt.js';
export { reportKind, type ReportPayload, type ReportResult } from './kinds/report.js';
export { MODEL_ALIASES, resolveModelName, type ResolvedModelName } from './aliases.js';
export { type CompletionModel, type ModelSource, engineCompletionModel, resolveModel } from './model.js';
export { openScheduler, jobs, status, runDueJobs, type SchedulerSession, type JobSummary, type StatusReport } from './jobs.js';
export { runLoop, startDaemon, stopDaemon, daemonStatus, type DaemonStatus, PID_FILE, LOG_FILE } from './daemon.js';

/** The built-in kinds, registered when the scheduler is imported (plugins add theirs the same way). */
export function registerBuiltinJobKinds(): void {
  for (const k of [downloadKind, diagnosticsKind, heartbeatKind, promptKind, reportKind]) registerJobKind(k as never);
}
registerBuiltinJobKinds();
