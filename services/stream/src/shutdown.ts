import type { Logger } from './log.ts';

/**
 * Graceful shutdown on SIGINT/SIGTERM: runs `stop` once (stop intake, flush windows, commit, close);
 * a second signal or a timeout forces exit with code 1.
 */
export function onShutdown(stop: () => Promise<void>, log: Logger, timeoutMs = 30000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down: stopping intake, flushing, committing');
    const t = setTimeout(() => {
      log.error('shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    t.unref();
    stop().then(
      () => {
        log.info('shutdown complete');
        process.exit(0);
      },
      (e) => {
        log.error({ err: (e as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
