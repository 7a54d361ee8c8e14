/**
 * Create and edit an identity provider: OIDC by issuer, client id and secret; SAML by its IdP's
 * metadata URL or by entry point, IdP issuer and certificate. Through `POST|PUT
 * /admin/api/providers`, whose checks are the config file's; a refused save comes back next to
 * the field it names, with what was typed kept (secrets excepted: they are never echoed).
 * An edit sends the provider as `GET` shows it with the form's fields over it, so everything the
 * form does not show (the provisioning block, other claim paths...) is kept.
 */
import { GatehouseError } from '../../errors.ts';
import { field, pathParam, type ActionFn, type Env, type PageFn } from '../env.ts';
import { fieldProblem, invalidAttrs, isAt, problemAt, type FieldProblem } from '../field-error.ts';
import { html, type Html } from '../html.ts';
import { consolePage, csrfInput, options } from '../layout.ts';
import type { ProviderDetail } from '../views.ts';
import { POLICIES } from './access.ts';

type Kind = 'oidc' | 'saml';
/** The form as typed: input name -> value (a checked box is `on`). */
type Values = Record<string, string | undefined>;

interface Input {
  name: string;
  /** The key the API names in an error about this input. */
  path: string;
  label: string;
  type?: 'text' | 'url' | 'password' | 'textarea' | 'checkbox';
  hint?: string;
  required?: boolean;
}

const COMMON: Input[] = [
  { name: 'displayName', path: 'displayName', label: 'Display name', hint: 'What the sign-in page shows.' },
  { name: 'domains', path: 'domains', label: 'Email domains', hint: 'Comma-separated; users whose email ends in one are sent here from the sign-in page.' },
  { name: 'groupsClaim', path: 'claims', label: 'Groups claim', hint: 'JMESPath into the claims (OIDC) or the attribute name (SAML); empty: groups.' },
];
const OIDC: Input[] = [
  { name: 'issuer', path: 'issuer', label: 'Issuer URL', type: 'url', required: true },
  { name: 'clientId', path: 'clientId', label: 'Client ID', required: true },
  { name: 'clientSecret', path: 'clientSecret', label: 'Client secret', type: 'password', hint: 'Write-only: stored encrypted, never shown again.' },
  { name: 'scopes', path: 'scopes', label: 'Scopes', hint: 'Space-separated; empty: openid email profile.' },
];
const SAML: Input[] = [
  { name: 'issuer', path: 'issuer', label: 'SP entity ID', required: true, hint: 'Our entity ID at the IdP, also the Audience it must send.' },
  { name: 'metadataUrl', path: 'metadataUrl', label: 'IdP metadata URL', type: 'url', hint: 'Fills the three fields below at save when they are left empty.' },
  { name: 'entryPoint', path: 'entryPoint', label: 'IdP SSO URL (entry point)', type: 'url' },
  { name: 'idpIssuer', path: 'idpIssuer', label: 'IdP issuer (entity ID)' },
  { name: 'idpCert', path: 'idpCert', label: 'IdP signing certificate (PEM)', type: 'textarea', hint: 'Empty with a metadata URL: read again from the metadata.' },
  { name: 'allowPrivateNetwork', path: 'allowPrivateNetwork', label: 'The metadata URL is on a private network (loopback, LAN)', type: 'checkbox' },
];
const TRUST: Input = { name: 'trustEmail', path: 'trustEmail', label: 'Trust the IdP\'s email without an email_verified claim', type: 'checkbox' };
const INPUTS: Record<Kind, Input[]> = { oidc: [...OIDC, ...COMMON, TRUST], saml: [...SAML, ...COMMON, TRUST] };
const TITLES: Record<Kind, string> = { oidc: 'OIDC', saml: 'SAML' };

const list = (v: string | undefined, sep: RegExp) => (v ?? '').split(sep).map((x) => x.trim()).filter(Boolean);

function inputHtml(i: Input, v: Values, problem: FieldProblem | null, secretSet: boolean): Html {
  const id = `f-${i.name}`;
  const err = `${id}-error`;
  const attrs = invalidAttrs(problem, i.path, err);
  const hint = i.hint ? html`<span class="muted">${i.hint}</span>` : '';
  if (i.type === 'checkbox') {
    return html`<label class="check"><input type="checkbox" name="${i.name}" id="${id}"${v[i.name] ? html` checked` : ''}${attrs}> ${i.label}</label>${problemAt(problem, i.path, err)}`;
  }
  if (i.type === 'textarea') {
    return html`<label>${i.label} ${hint}<textarea name="${i.name}" id="${id}" spellcheck="false"${attrs}>${v[i.name] ?? ''}</textarea></label>${problemAt(problem, i.path, err)}`;
  }
  const secret = i.type === 'password';
  const state = secret ? html` <span class="badge ${secretSet ? 'yes' : 'no'}">${secretSet ? 'set' : 'not set'}</span>` : '';
  const placeholder = secret && secretSet ? html` placeholder="leave empty to keep the stored secret"` : '';
  const value = secret ? '' : (v[i.name] ?? '');
  return html`<label>${i.label}${state} ${hint}<input type="${i.type ?? 'text'}" name="${i.name}" id="${id}" value="${value}" autocomplete="off"${i.required ? html` required` : ''}${placeholder}${attrs}></label>${problemAt(problem, i.path, err)}`;
}

/** The create form (`id` and FirstLoginPolicy too) or the edit form. */
export function providerForm(env: Env, kind: Kind, v: Values, problem: FieldProblem | null, existing: ProviderDetail | null): string {
  const creating = existing === null;
  const action = creating ? `/admin/providers/new?type=${kind}` : `/admin/providers/${encodeURIComponent(existing.id)}/edit`;
  const idErr = 'f-id-error';
  const head = creating
    ? html`<label>Provider id <span class="muted">letters, digits, _ . -; part of the callback URL</span><input type="text" name="id" id="f-id" value="${v.id ?? ''}" required maxlength="191" autocomplete="off"${invalidAttrs(problem, 'id', idErr)}></label>${problemAt(problem, 'id', idErr)}
<label>First-login policy <select name="firstLoginPolicy">${options(POLICIES, v.firstLoginPolicy ?? 'allow')}</select></label>`
    : '';
  const other = problem && ![...INPUTS[kind].map((i) => i.path), 'id'].some((path) => isAt(problem, path));
  const secretSet = existing?.clientSecret?.set === true;
  return consolePage(
    env.view,
    {
      title: creating ? `New ${TITLES[kind]} provider` : `Edit ${existing.displayName ?? existing.id}`,
      active: 'providers',
      lead: creating ? html`Checked as the config file is; it serves logins on every instance within 5 seconds. <a href="/admin/providers/new?type=${kind === 'oidc' ? 'saml' : 'oidc'}">A ${kind === 'oidc' ? 'SAML' : 'OIDC'} provider instead</a>` : undefined,
    },
    html`${other ? html`<div class="flash error" role="alert">${problem.message}</div>` : ''}
<form method="post" action="${action}" class="card stack" aria-label="${creating ? 'New provider' : 'Edit provider'}">${csrfInput(env.view)}
${head}${INPUTS[kind].map((i) => inputHtml(i, v, problem, secretSet))}
<button type="submit">${creating ? 'Create provider' : 'Save provider'}</button></form>`,
  );
}

/** The form's values from a provider as `GET` shows it. */
function valuesOf(p: ProviderDetail): Values {
  const cert = Array.isArray(p.idpCert) ? p.idpCert.join('\n') : p.idpCert;
  return {
    id: p.id,
    displayName: p.displayName ?? undefined,
    domains: p.domains?.join(', '),
    groupsClaim: p.claims?.groups,
    trustEmail: p.trustEmail ? 'on' : undefined,
    issuer: p.issuer,
    clientId: p.clientId,
    scopes: p.scopes?.join(' '),
    metadataUrl: p.metadataUrl,
    entryPoint: p.entryPoint,
    idpIssuer: p.idpIssuer,
    idpCert: cert,
    allowPrivateNetwork: p.allowPrivateNetwork ? 'on' : undefined,
  };
}

function valuesFrom(env: Env, kind: Kind): Values {
  const names = ['id', 'firstLoginPolicy', ...INPUTS[kind].map((i) => i.name)];
  return Object.fromEntries(names.map((n) => [n, field(env.req, n)]));
}

/** A PEM field with several certificates becomes a list (the IdP is rolling its key). */
function certs(pem: string): string | string[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  return blocks && blocks.length > 1 ? blocks : pem;
}

/** The API body: `base` (the provider as it is, or nothing) with the form's fields over it. */
function bodyOf(kind: Kind, v: Values, base: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = { ...base, type: kind };
  const set = (key: string, value: unknown) => {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) delete body[key];
    else body[key] = value;
  };
  if (v.id !== undefined) body.id = v.id;
  if (v.firstLoginPolicy !== undefined) body.firstLoginPolicy = v.firstLoginPolicy;
  set('displayName', v.displayName);
  set('domains', list(v.domains, /[,\s]+/).map((d) => d.toLowerCase()));
  const claims = { ...((base.claims as Record<string, string> | undefined) ?? {}) };
  if (v.groupsClaim) claims.groups = v.groupsClaim;
  else delete claims.groups;
  body.claims = claims;
  set('trustEmail', v.trustEmail ? true : undefined);
  set('issuer', v.issuer);
  if (kind === 'oidc') {
    set('clientId', v.clientId);
    // Left empty on an edit: the stored secret is kept (the API's rule for a secret left out).
    set('clientSecret', v.clientSecret);
    set('scopes', v.scopes ? list(v.scopes, /[,\s]+/) : undefined);
  } else {
    set('metadataUrl', v.metadataUrl);
    set('entryPoint', v.entryPoint);
    set('idpIssuer', v.idpIssuer);
    set('idpCert', v.idpCert ? certs(v.idpCert) : undefined);
    set('allowPrivateNetwork', v.allowPrivateNetwork ? true : undefined);
  }
  return body;
}

/**
 * A provider as `GET` shows it, ready to be sent back with changes: without what the view adds
 * and the body does not take, and with the configured policy rather than the one in force.
 */
export function editBase(p: ProviderDetail): Record<string, unknown> {
  const { metadataStatus: _status, ...base } = p;
  return { ...base, firstLoginPolicy: p.configuredFirstLoginPolicy };
}

const kindOf = (env: Env): Kind => (env.req.query.type === 'saml' ? 'saml' : 'oidc');

export const newProviderPage: PageFn = async (env) => providerForm(env, kindOf(env), {}, null, null);

export const createProviderAction: ActionFn = async (env) => {
  const kind = kindOf(env);
  const v = valuesFrom(env, kind);
  try {
    const p = await env.call<ProviderDetail>('post', '/providers', { body: bodyOf(kind, v, {}) });
    return { redirect: `/admin/providers/${encodeURIComponent(p.id)}`, flash: `Created ${p.id}; give the IdP the values below.` };
  } catch (e) {
    const problem = fieldProblem(e);
    if (!problem) throw e;
    env.res.status(400);
    return { render: providerForm(env, kind, v, problem, null) };
  }
};

async function editable(env: Env): Promise<ProviderDetail> {
  const p = await env.call<ProviderDetail>('get', '/providers/{id}', { params: { id: pathParam(env.req, 'id') } });
  if (p.source === 'config') throw new GatehouseError('ERR_CONFLICT', `provider "${p.id}" is defined in the config file (read-only here; only its policy can be set)`);
  return p;
}

export const editProviderPage: PageFn = async (env) => {
  const p = await editable(env);
  return providerForm(env, p.type, valuesOf(p), null, p);
};

export const updateProviderAction: ActionFn = async (env) => {
  const p = await editable(env);
  const v = valuesFrom(env, p.type);
  const body = bodyOf(p.type, { ...v, id: p.id, firstLoginPolicy: p.configuredFirstLoginPolicy }, editBase(p));
  try {
    await env.call('put', '/providers/{id}', { params: { id: p.id }, body });
    return { redirect: `/admin/providers/${encodeURIComponent(p.id)}`, flash: `Saved ${p.id}.` };
  } catch (e) {
    const problem = fieldProblem(e);
    if (!problem) throw e;
    env.res.status(400);
    return { render: providerForm(env, p.type, v, problem, p) };
  }
};
