/**
 * The push service <-> device wire (docs/device-wire.md): its frames and stream URLs. Both
 * halves read this one definition: the device channel (`user-agent/`) and the server-side
 * stream (`service/device-stream/`). Platform-neutral: it is part of the device-side bundle.
 */
export * from './device-frames.js';
