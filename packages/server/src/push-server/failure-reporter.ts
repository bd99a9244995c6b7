import type { IncomingMessage, ServerResponse } from 'node:http';
import { refuseRequest } from '@fosspush/webpush/node';
import { type ErrorResponse, errorResponse } from '@fosspush/webpush/service';
import { storageFullError } from '../storage.js';
import { throttledLog } from '../throttled-log.js';
import type { PushServerWiring } from './wiring.js';

/** Answers requests that failed with their error's status, and logs what an operator needs. */
export interface FailureReporter {
  /** Answers on Node's response. */
  refuse(req: IncomingMessage, res: ServerResponse, route: string | undefined, thrown: unknown): void;
  /** The answer for the raw push path, which writes it itself. */
  answer(route: string, thrown: unknown): ErrorResponse;
}

export function createFailureReporter({ logger, runtime, settings }: PushServerWiring): FailureReporter {
  // A 503 body says only "unavailable"; what the store said goes here, once per 10 s.
  const logUnavailable = throttledLog(runtime.clock, (suppressed, route: string | undefined, error: unknown) => {
    const cause = (error as { cause?: unknown }).cause;
    logger.warn('request_unavailable', { route, error, cause, suppressed });
  });

  // One line a minute while the store is full: enough to act on, not enough to fill the disk.
  const reportStorageFull = throttledLog(
    runtime.clock,
    (suppressed, error: unknown) =>
      logger.error('storage_full', {
        error,
        suppressed,
        storage: settings.storage.kind,
        action:
          settings.storage.kind === 'redis'
            ? 'Redis refuses writes (maxmemory): raise maxmemory or free memory; pushes get 507 until then'
            : 'the disk holding the database is full: free space on it; pushes get 507 until then, accepted messages are safe',
      }),
    60_000,
  );

  const report = (route: string | undefined, status: number, error: unknown): void => {
    if (status === 507) reportStorageFull(error);
    else if (status === 503) logUnavailable(route, error);
    else if (status >= 500) logger.error('request_failed', { route, error });
    else logger.debug('request_refused', { route, status, error });
  };

  return {
    refuse(req, res, route, thrown) {
      const error = storageFullError(thrown) ?? thrown;
      report(route, refuseRequest(req, res, error), error);
    },
    answer(route, thrown) {
      const error = storageFullError(thrown) ?? thrown;
      const answer = errorResponse(error);
      report(route, answer.status, error);
      return answer;
    },
  };
}
