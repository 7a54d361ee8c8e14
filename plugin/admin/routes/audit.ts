/** The audit log and the explain dry run. */
import type { GatehouseContext } from '../../context.ts';
import { explainLogin } from '../../provisioning/explain.ts';
import { route, type RouteDef } from '../registry.ts';
import { auditQuery, explainBody } from '../schemas.ts';
import { auditView } from '../views.ts';

export function auditRoutes(ctx: GatehouseContext): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/audit',
      tag: 'Audit',
      summary: 'The audit log, newest first',
      description: '`since`/`until` take ISO 8601 or epoch milliseconds; `actor` is e.g. `user:<id>`, `admin-token:<name>`, `idp:<provider>`, `cli`.',
      query: auditQuery,
      responses: { 200: { description: 'A page of entries', schema: 'AuditPage' } },
      async handler({ query }) {
        const page = await ctx.store.listAudit({ ...query, limit: query.limit ?? 50 });
        return { body: { entries: page.entries.map(auditView), nextCursor: page.nextCursor } };
      },
    }),
    route({
      method: 'post',
      path: '/explain',
      tag: 'Explain',
      summary: 'Dry run of a login with these raw claims (like `gatehouse explain`); writes nothing',
      body: explainBody,
      responses: { 200: { description: 'What the login would do, rule by rule', schema: 'Explanation' }, 404: 'Unknown provider' },
      handler: async ({ body }) => ({ body: await explainLogin(ctx, body.provider, body.claims) }),
    }),
  ];
}
