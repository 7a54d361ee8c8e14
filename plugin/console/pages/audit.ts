/** The audit log with filters and paging. */
import { param, type PageFn } from '../env.ts';
import { actorFormatter } from '../actors.ts';
import { html, prettyJson, when } from '../html.ts';
import { consolePage, queryString } from '../layout.ts';
import type { AuditView } from '../views.ts';

/** `datetime-local` gives no zone; the page says UTC, so say it to the parser too. */
export function utcInstant(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value}Z` : value;
}

export const auditPage: PageFn = async (env) => {
  const f = {
    user: param(env.req, 'user'),
    actor: param(env.req, 'actor'),
    action: param(env.req, 'action'),
    since: param(env.req, 'since'),
    until: param(env.req, 'until'),
  };
  const cursor = param(env.req, 'cursor');
  const page = await env.call<{ entries: AuditView[]; nextCursor: string | null }>('get', '/audit', {
    query: { ...f, since: utcInstant(f.since), until: utcInstant(f.until), cursor, limit: '50' },
  });
  const actor = await actorFormatter(env.ctx, page.entries.flatMap((a) => [a.actor, a.userId ? `user:${a.userId}` : null]));
  const rows = page.entries.map(
    (a) => html`<tr><td>${when(a.at)}</td><td><code>${a.action}</code></td><td>${a.outcome ?? ''}</td><td>${actor(a.actor)}</td><td>${a.provider ?? ''}</td>
<td>${a.userId ? actor(`user:${a.userId}`) : ''}</td><td>${a.reason ?? ''}</td>
<td>${a.details ? html`<details><summary>JSON</summary><pre>${prettyJson(a.details)}</pre></details>` : ''}</td></tr>`,
  );
  return consolePage(
    env.view,
    { title: 'Audit log', active: 'audit', lead: 'Every login outcome and every admin change, newest first.' },
    html`<form class="filters" method="get" action="/admin/audit" role="search" aria-label="Filter the audit log">
<label>User id <input type="text" name="user" value="${f.user ?? ''}" autocomplete="off"></label>
<label>Actor <input type="text" name="actor" value="${f.actor ?? ''}" placeholder="user:&lt;id&gt;, admin-token:&lt;name&gt;, idp:&lt;provider&gt;, cli" autocomplete="off"></label>
<label>Action <input type="text" name="action" value="${f.action ?? ''}" placeholder="login, user.approve, override.add…" autocomplete="off"></label>
<label>From (UTC) <input type="datetime-local" name="since" value="${f.since ?? ''}"></label>
<label>Until (UTC) <input type="datetime-local" name="until" value="${f.until ?? ''}"></label>
<button type="submit">Filter</button> <a href="/admin/audit">Clear</a>
</form>
<table class="dense"><caption class="sr-only">Audit entries</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Actor</th><th scope="col">Provider</th><th scope="col">User</th><th scope="col">Reason</th><th scope="col">Details</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="8" class="muted">No entry matches.</td></tr>`}</tbody></table>
<p class="pager">${cursor ? html`<a href="/admin/audit${queryString(f)}">Newest</a>` : ''}${page.nextCursor ? html`<a href="/admin/audit${queryString({ ...f, cursor: page.nextCursor })}">Older entries</a>` : ''}</p>`,
  );
};
