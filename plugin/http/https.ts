/** Whether Gatehouse is served over https, as its public base URL says (cookies get `Secure`, flow cookies `SameSite=None`). */
import type { GatehouseContext } from '../context.ts';

/** True when `server.baseUrl` is an https URL. */
export const isHttps = (ctx: Pick<GatehouseContext, 'config'>): boolean => (ctx.config.server.baseUrl ?? '').startsWith('https://');
