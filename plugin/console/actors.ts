/**
 * Actor labels (`user:<id>`, `admin-token:<name>`, `idp:<provider>`, `cli`) as people read them:
 * a user id becomes that user's email, linked to their page. One lookup per distinct user.
 */
import type { GatehouseContext } from '../context.ts';
import { html, type Part } from './html.ts';

export type ActorFormatter = (label: string | null | undefined) => Part;

export async function actorFormatter(ctx: GatehouseContext, labels: readonly (string | null | undefined)[]): Promise<ActorFormatter> {
  const ids = new Set<string>();
  for (const l of labels) if (l?.startsWith('user:')) ids.add(l.slice('user:'.length));
  const emails = new Map<string, string>();
  await Promise.all(
    [...ids].map(async (id) => {
      const u = await ctx.store.getUser(id);
      if (u?.email) emails.set(id, u.email);
    }),
  );
  return (label) => {
    if (!label) return '';
    if (!label.startsWith('user:')) return label;
    const id = label.slice('user:'.length);
    return html`<a href="/admin/users/${encodeURIComponent(id)}" title="${label}">${emails.get(id) ?? label}</a>`;
  };
}
