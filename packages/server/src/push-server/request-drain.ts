/**
 * Requests in flight and whether the server is shutting down: the request and upgrade routers
 * refuse new work once `closing` is set, and the drain waits for the count to reach zero.
 */
export class RequestDrain {
  closing = false;
  private inFlight = 0;
  private onIdle: (() => void) | undefined;

  started(): void {
    this.inFlight++;
  }

  finished(): void {
    if (--this.inFlight === 0 && this.onIdle !== undefined) this.onIdle();
  }

  /** Resolves once no request is in flight, or after `timeoutMs` (the rest are then cut off). */
  async idle(timeoutMs: number): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.onIdle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
