import { createHmac } from 'node:crypto';
import type { IceServers } from '../../protocol/calls.js';
import type { Config } from '../config.js';

/**
 * ICE servers for a user. With TURN_SECRET, TURN credentials follow coturn's REST scheme
 * (use-auth-secret): username `<expiry>:<user id>`, password base64(HMAC-SHA1(secret,
 * username)), valid until expiry. The secret itself never leaves the server.
 */
export function iceServersFor(
  config: Pick<Config, 'STUN_URLS' | 'TURN_URLS' | 'TURN_SECRET' | 'TURN_TTL_SECONDS'>,
  userId: string,
  relayOnly: boolean,
  nowSeconds = Math.floor(Date.now() / 1000),
): IceServers {
  const servers: IceServers['ice_servers'] = [];
  if (config.STUN_URLS.length) servers.push({ urls: config.STUN_URLS });
  if (config.TURN_URLS.length && config.TURN_SECRET) {
    const username = `${nowSeconds + config.TURN_TTL_SECONDS}:${userId}`;
    const credential = createHmac('sha1', config.TURN_SECRET).update(username).digest('base64');
    servers.push({ urls: config.TURN_URLS, username, credential });
  }
  return { ice_servers: servers, ice_transport_policy: relayOnly ? 'relay' : 'all', ttl: config.TURN_TTL_SECONDS };
}
