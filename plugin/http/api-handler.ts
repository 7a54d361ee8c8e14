/** The shape of a stateless API (SCIM) that is answered without Express, before any session. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A node:http handler for every URL it `owns`; usable as Express middleware too. */
export interface ApiHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void;
  owns(url: string): boolean;
}
