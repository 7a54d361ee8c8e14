/**
 * The one layout every console page and the waiting room share: skip link, banner, navigation
 * landmark, main region with the flash message, and small form helpers that always carry the
 * CSRF token.
 */
import { assetUrl } from './assets.ts';
import { CSRF_FIELD } from './csrf.ts';
import { html, trusted, type Html, type Part } from './html.ts';

export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

export type NavKey = 'waiting' | 'users' | 'providers' | 'organizations' | 'policies' | 'allowlist' | 'scim-tokens' | 'admin-tokens' | 'webhooks' | 'audit' | 'explain';

const NAV: { key: NavKey; href: string; label: string }[] = [
  { key: 'waiting', href: '/admin/waiting-room', label: 'Waiting room' },
  { key: 'users', href: '/admin/users', label: 'IdP users' },
  { key: 'providers', href: '/admin/providers', label: 'Identity providers' },
  { key: 'organizations', href: '/admin/organizations', label: 'Organizations' },
  { key: 'policies', href: '/admin/policies', label: 'Login policies' },
  { key: 'allowlist', href: '/admin/allowlist', label: 'Allowlist' },
  { key: 'scim-tokens', href: '/admin/scim-tokens', label: 'SCIM tokens' },
  { key: 'admin-tokens', href: '/admin/admin-tokens', label: 'Admin API tokens' },
  { key: 'webhooks', href: '/admin/webhooks', label: 'Webhooks' },
  { key: 'audit', href: '/admin/audit', label: 'Audit log' },
  { key: 'explain', href: '/admin/explain', label: 'Explain' },
];

/** What every console page knows about the request. */
export interface View {
  csrf: string;
  admin: { id: string; email: string | null };
  flash: Flash | null;
  /** Nav entries to leave out (webhooks without the webhook service). */
  hidden: ReadonlySet<NavKey>;
}

export interface PageOptions {
  title: string;
  /** The nav entry to mark as current (none for pages outside the sections). */
  active?: NavKey | undefined;
  /** Short text under the heading. */
  lead?: Part;
}

function head(title: string, extra: Part = null): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Gatehouse</title>
${extra}</head>`;
}

export function flashBox(flash: Flash | null): Html {
  if (!flash) return html``;
  return flash.kind === 'ok'
    ? html`<div class="flash ok" role="status">${flash.text}</div>`
    : html`<div class="flash error" role="alert">${flash.text}</div>`;
}

function signOut(): Html {
  // /auth/logout belongs to the auth router; a cross-site logout is harmless, so no token.
  return html`<form method="post" action="/auth/logout"><button type="submit" class="small">Sign out</button></form>`;
}

/** A full console page. */
export function consolePage(view: View, opts: PageOptions, body: Part): string {
  const nav = NAV.filter((n) => !view.hidden.has(n.key)).map(
    (n) => html`<li><a href="${n.href}"${n.key === opts.active ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
  );
  return html`${head(opts.title, html`<link rel="stylesheet" href="${assetUrl('console.css')}"><script src="${assetUrl('console.js')}" defer></script>`)}
<body>
<a class="skip" href="#main">Skip to main content</a>
<header class="topbar" role="banner"><a href="/admin">Gatehouse admin</a><span class="who">Signed in as ${view.admin.email ?? view.admin.id}</span>${signOut()}</header>
<div class="shell">
<nav class="sidenav" aria-label="Console sections"><ul>${nav}</ul></nav>
<main id="main" tabindex="-1">
<h1>${opts.title}</h1>
${opts.lead ? html`<p class="lead">${opts.lead}</p>` : ''}
${flashBox(view.flash)}
<div id="live" class="sr-only" aria-live="polite"></div>
${body}
</main>
</div>
</body></html>`.value;
}

/** A page outside the console frame (sign-in chooser, 403, waiting room). */
export function barePage(title: string, body: Part, opts: { inlineCss?: string | undefined; head?: Part; brand?: string | undefined } = {}): string {
  const style = opts.inlineCss === undefined ? html`<link rel="stylesheet" href="${assetUrl('console.css')}">` : html`<style>${trusted(opts.inlineCss)}</style>`;
  return html`${head(title, [style, opts.head])}
<body>
<a class="skip" href="#main">Skip to main content</a>
<header class="topbar" role="banner"><span>${opts.brand ?? 'Gatehouse'}</span></header>
<main id="main" tabindex="-1" class="narrow"><div class="card">${body}</div></main>
</body></html>`.value;
}

export function csrfInput(view: Pick<View, 'csrf'>): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${view.csrf}">`;
}

export interface ButtonFormOptions {
  className?: string;
  /** Hidden text after the label, so screen readers hear which row the button acts on. */
  srSuffix?: string;
  confirm?: string;
  fields?: Record<string, string>;
}

/** A one-button POST form (approve, revoke, remove, redeliver...). */
export function postButton(view: View, action: string, label: string, opts: ButtonFormOptions = {}): Html {
  const hidden = Object.entries(opts.fields ?? {}).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);
  return html`<form method="post" action="${action}"${opts.confirm ? html` data-confirm="${opts.confirm}"` : ''}>${csrfInput(view)}${hidden}<button type="submit" class="${opts.className ?? 'small'}">${label}${opts.srSuffix ? html`<span class="sr-only"> ${opts.srSuffix}</span>` : ''}</button></form>`;
}

export function badge(text: string, kind: string = text): Html {
  return html`<span class="badge ${kind}">${text.replace(/_/g, ' ')}</span>`;
}

/** `<option>`s with one selected. */
export function options(values: readonly (string | { value: string; label: string })[], selected: string | undefined): Html[] {
  return values.map((v) => {
    const { value, label } = typeof v === 'string' ? { value: v, label: v } : v;
    return html`<option value="${value}"${value === selected ? html` selected` : ''}>${label}</option>`;
  });
}

/** A query string from the non-empty values (for pager links). */
export function queryString(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
