import type { Backend, BackendName } from './backend.js';
import { cpuAvailable, cpuBackend, cpuUnavailableReason } from './cpu/index.js';
import { referenceBackend } from './reference/index.js';
import { webgpuAvailable, webgpuBackend, webgpuHardwareReady, webgpuUnavailableReason } from './webgpu/index.js';

export type BackendChoice = BackendName | 'auto';

export interface SelectedBackend {
  readonly backend: Backend;
  /** Why the choice differs from what was asked, for a one-line warning; undefined when it does not. */
  readonly warning?: string;
}

/**
 * 'auto' takes the fastest backend that works here (a probed hardware GPU adapter, else native
 * CPU, else the reference with a warning); a named backend is used or refused with the reason,
 * never silently replaced.
 */
export function selectBackend(choice: BackendChoice = 'auto'): SelectedBackend {
  switch (choice) {
    case 'reference':
      return { backend: referenceBackend };
    case 'cpu':
      if (!cpuAvailable()) throw new Error(`the cpu backend is not available: ${cpuUnavailableReason()}`);
      return { backend: cpuBackend };
    case 'webgpu':
      if (!webgpuAvailable()) throw new Error(`the webgpu backend is not available: ${webgpuUnavailableReason() ?? 'no adapter'}`);
      return { backend: webgpuBackend };
    case 'auto':
      // The GPU only when a probe (probeWebGPU(), awaited by the caller beforehand) found a
      // hardware adapter: a software one (llvmpipe, SwiftShader) is slower than the native CPU.
      if (webgpuHardwareReady()) return { backend: webgpuBackend };
      if (cpuAvailable()) return { backend: cpuBackend };
      return {
        backend: referenceBackend,
        warning: `native CPU backend unavailable (${cpuUnavailableReason()}); using the slow reference backend`,
      };
    default:
      throw new Error(`unknown backend "${String(choice)}" (choose auto, cpu, reference or webgpu)`);
  }
}
