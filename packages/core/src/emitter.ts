/** A minimal typed event emitter: `core` cannot use node:events, and needs no more than this. */
export type Listener<T> = (value: T) => void;

export interface Emitter<Events extends Record<string, unknown>> {
  /** Adds a listener; the returned function removes it. */
  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void;
}

export interface EmitterController<Events extends Record<string, unknown>> extends Emitter<Events> {
  emit<E extends keyof Events>(event: E, value: Events[E]): void;
  listenerCount(event: keyof Events): number;
}

export function createEmitter<Events extends Record<string, unknown>>(
  onListenerError: (error: unknown) => void = (error) => queueMicrotask(() => { throw error; }),
): EmitterController<Events> {
  const listeners = new Map<keyof Events, Set<Listener<never>>>();
  return {
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as Listener<never>);
      return () => {
        set.delete(listener as Listener<never>);
      };
    },
    emit(event, value) {
      for (const listener of [...(listeners.get(event) ?? [])]) {
        // One faulty listener must not stop delivery to the others.
        try {
          (listener as Listener<typeof value>)(value);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
    listenerCount(event) {
      return listeners.get(event)?.size ?? 0;
    },
  };
}
