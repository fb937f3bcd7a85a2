import type { ServerPayload } from '../../../protocol/frames.js';

type Limits = ServerPayload<'ready'>['limits'];

/**
 * The server's limits, as its last `ready` told them (its defaults until then), so the UI
 * offers only what will be accepted. The server still has the last word.
 */
export const serverLimits: Limits = {
  message_edit_window_seconds: 24 * 60 * 60,
  upload_max_bytes: 25 * 1024 * 1024,
};

export function setServerLimits(limits: Limits) {
  Object.assign(serverLimits, limits);
}
