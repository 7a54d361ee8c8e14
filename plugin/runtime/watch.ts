/**
 * Keeps this instance's run-time state in step with changes made through another instance's
 * admin API: every `intervalMs`, one read of the version setting; everything is read again when
 * it moved. Returns the stop function.
 */
import type { Logger } from 'pino';
import type { StoreOps } from '../ports.ts';
import { RUNTIME_VERSION_KEY, type Runtime } from './state.ts';

export function watchRuntime(runtime: Runtime, store: Pick<StoreOps, 'getSetting'>, logger: Logger, intervalMs: number): () => void {
  let busy = false;
  const check = async () => {
    if (busy) return;
    busy = true;
    try {
      const version = await store.getSetting(RUNTIME_VERSION_KEY);
      if (version !== runtime.current().version) await runtime.reload();
    } catch (e) {
      logger.warn({ err: e }, 'run-time version check failed');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
