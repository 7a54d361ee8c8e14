/**
 * A provider's Auto Provisioning tab: whether unknown users are provisioned at their first
 * login (the FirstLoginPolicy: `reject` is "off"), and the provider's own `provisioning` block
 * (it replaces the global one): sync mode, default role, groups pattern, the default policy and
 * per-organization policies. Saved with `PUT /admin/api/providers/{id}`, checked as the config
 * file is: a JMESPath error comes back as a 400 naming the field with the position, shown next
 * to that field, nothing saved. The "try it" pane runs explain for this provider on pasted claims.
 */
import type { ProvisioningConfig } from '../../config/schema.ts';
import { fields, field, pathParam, type ActionFn, type Env, type PageFn } from '../env.ts';
import { fieldProblem, invalidAttrs, isAt, problemAt, type FieldProblem } from '../field-error.ts';
import { html, prettyJson, type Html } from '../html.ts';
import { consolePage, csrfInput, options } from '../layout.ts';
import type { Explanation, Organization, ProviderDetail } from '../views.ts';
import { explanationHtml } from './explain.ts';
import { editBase } from './provider-form.ts';
import { providerTabs } from './providers.ts';
import { policyFieldset, policyOf, policyPath, stateFrom, stateOf, type PolicyState } from './role-policy.ts';

type NewUsers = 'allow' | 'pending_approval';

interface TabState {
  autoProvision: boolean;
  newUsers: NewUsers;
  own: boolean;
  syncMode: string;
  defaultRole: string;
  groupsPattern: string;
  /** The default policy first, then one per organization. */
  policies: PolicyState[];
}

interface TryIt {
  claims: string;
  outcome: Explanation | null;
  problem: string | null;
}

const SAMPLE_CLAIMS = prettyJson({ sub: 'jane', email: 'jane@example.com', email_verified: true, groups: ['engineering'] });
const CLAIM_NAMES = ['groups', 'roles', 'realm_access.roles', 'department', 'email'];
const enc = encodeURIComponent;

async function load(env: Env): Promise<{ p: ProviderDetail; orgs: Organization[]; global: ProvisioningConfig }> {
  const p = await env.call<ProviderDetail>('get', '/providers/{id}', { params: { id: pathParam(env.req, 'id') } });
  const { organizations } = await env.call<{ organizations: Organization[] }>('get', '/organizations');
  const global = await env.call<ProvisioningConfig>('get', '/provisioning');
  return { p, orgs: organizations, global };
}

/** The saved state; without a block of its own, the global block is the starting point. */
function savedState(p: ProviderDetail, orgs: Organization[], global: ProvisioningConfig): TabState {
  const block = p.provisioning ?? global;
  return {
    autoProvision: p.firstLoginPolicy !== 'reject',
    newUsers: p.firstLoginPolicy === 'pending_approval' ? 'pending_approval' : 'allow',
    own: p.provisioning !== undefined,
    syncMode: block.syncMode,
    defaultRole: block.defaultRole ?? '',
    groupsPattern: block.groupsPattern ?? '',
    policies: [stateOf(null, block.rules?.default), ...orgs.map((o) => stateOf(o.id, block.rules?.organizations[o.id]))],
  };
}

function formState(env: Env, orgs: Organization[]): TabState {
  return {
    autoProvision: field(env.req, 'autoProvision') !== undefined,
    newUsers: field(env.req, 'newUsers') === 'pending_approval' ? 'pending_approval' : 'allow',
    own: field(env.req, 'own') !== undefined,
    syncMode: field(env.req, 'syncMode') ?? 'ADDITIVE',
    defaultRole: field(env.req, 'defaultRole') ?? '',
    groupsPattern: field(env.req, 'groupsPattern') ?? '',
    policies: [stateFrom(env, 0, null), ...orgs.map((o, i) => stateFrom(env, i + 1, o.id))],
  };
}

/** The provider's block as the form says, over what it had (static entries, instance admins... are kept). */
function blockOf(s: TabState, before: ProvisioningConfig | undefined): Record<string, unknown> {
  const block: Record<string, unknown> = { ...(before ?? {}), syncMode: s.syncMode };
  for (const [key, value] of [['defaultRole', s.defaultRole], ['groupsPattern', s.groupsPattern]] as const) {
    if (value) block[key] = value;
    else delete block[key];
  }
  const [first, ...perOrg] = s.policies;
  const fallback = first ? policyOf(first) : undefined;
  const organizations = Object.fromEntries(perOrg.flatMap((ps) => (ps.org !== null && policyOf(ps) ? [[ps.org, policyOf(ps)]] : [])));
  if (fallback || Object.keys(organizations).length) block.rules = { ...(fallback ? { default: fallback } : {}), organizations };
  else delete block.rules;
  return block;
}

function textInput(name: string, path: string, label: Html | string, value: string, problem: FieldProblem | null): Html {
  const id = `f-${name}`;
  return html`<label>${label}<input type="text" name="${name}" id="${id}" value="${value}" spellcheck="false" autocomplete="off"${invalidAttrs(problem, path, `${id}-error`)}></label>${problemAt(problem, path, `${id}-error`)}`;
}

function render(env: Env, p: ProviderDetail, orgs: Organization[], s: TabState, problem: FieldProblem | null, tryIt: TryIt): string {
  const editable = p.source === 'database';
  const allRoles = [...new Set(orgs.flatMap((o) => o.roles))].sort();
  const known = ['provisioning.syncMode', 'provisioning.defaultRole', 'provisioning.groupsPattern', ...s.policies.map((ps) => policyPath(ps.org))];
  const elsewhere = problem && !known.some((path) => isAt(problem, path)) ? html`<div class="flash error" role="alert">${problem.message}</div>` : '';
  const block = editable
    ? html`<label class="check"><input type="checkbox" name="own"${s.own ? html` checked` : ''}> Use this provider's own provisioning settings (else the global ones apply)</label>
<label>Sync mode <select name="syncMode">${options(['ADDITIVE', 'MANAGED'], s.syncMode)}</select></label>
${textInput('defaultRole', 'provisioning.defaultRole', html`Default role <span class="muted">when a policy names no roles; one of the organization's roles</span>`, s.defaultRole, problem)}
${textInput('groupsPattern', 'provisioning.groupsPattern', html`Groups pattern <span class="muted">e.g. <code>chainloop_{ORG_NAME}_{GROUP_NAME}</code>; empty: none</span>`, s.groupsPattern, problem)}
${s.policies.map((ps, i) => policyFieldset(i, ps, ps.org === null ? allRoles : (orgs.find((o) => o.id === ps.org)?.roles ?? []), problem))}
<datalist id="claim-names">${CLAIM_NAMES.map((c) => html`<option value="${c}">`)}</datalist>`
    : html`<p class="muted">Defined in the config file: its provisioning block is read-only here.</p><pre>${prettyJson(p.provisioning ?? 'none: the global provisioning block applies')}</pre>`;
  const claimsErr = tryIt.problem ? html`<p class="field-error" id="try-claims-error" role="alert">${tryIt.problem}</p>` : '';
  return consolePage(
    env.view,
    { title: p.displayName ?? p.id, active: 'providers' },
    html`${providerTabs(p, 'provisioning')}${elsewhere}
<form method="post" action="/admin/providers/${enc(p.id)}/provisioning" class="card stack" aria-label="Auto Provisioning">${csrfInput(env.view)}
<label class="check"><input type="checkbox" name="autoProvision"${s.autoProvision ? html` checked` : ''}> Auto-provision users at their first sign-in <span class="muted">(off: only users added by hand or by SCIM get in)</span></label>
<label>New users <select name="newUsers">${options([{ value: 'allow', label: 'active at once' }, { value: 'pending_approval', label: 'wait for approval' }], s.newUsers)}</select></label>
${block}
<button type="submit">Save Auto Provisioning</button></form>
<form method="post" action="/admin/providers/${enc(p.id)}/provisioning/try" class="card stack" aria-label="Try it">${csrfInput(env.view)}
<h2>Try it</h2><p class="muted">What a sign-in through this provider with these claims would do, under the saved settings. Nothing is written.</p>
<label>Claims (JSON, as the IdP sends them) <textarea name="claims" id="try-claims" spellcheck="false"${tryIt.problem ? html` aria-invalid="true" aria-describedby="try-claims-error"` : ''}>${tryIt.claims}</textarea></label>${claimsErr}
<button type="submit">Try it</button></form>
${tryIt.outcome ? explanationHtml(tryIt.outcome) : ''}`,
  );
}

const noTry: TryIt = { claims: SAMPLE_CLAIMS, outcome: null, problem: null };

export const provisioningPage: PageFn = async (env) => {
  const { p, orgs, global } = await load(env);
  return render(env, p, orgs, savedState(p, orgs, global), null, noTry);
};

export const saveProvisioningAction: ActionFn = async (env) => {
  const { p, orgs } = await load(env);
  const s = formState(env, orgs);
  const policy = s.autoProvision ? s.newUsers : 'reject';
  if (p.source === 'database') {
    const body = editBase(p);
    if (s.own) body.provisioning = blockOf(s, p.provisioning);
    else delete body.provisioning;
    try {
      await env.call('put', '/providers/{id}', { params: { id: p.id }, body });
    } catch (e) {
      const problem = fieldProblem(e);
      if (!problem) throw e;
      env.res.status(400);
      return { render: render(env, p, orgs, s, problem, noTry) };
    }
  }
  if (policy !== p.firstLoginPolicy) await env.call('put', '/providers/{id}/policy', { params: { id: p.id }, body: { firstLoginPolicy: policy } });
  return { redirect: `/admin/providers/${enc(p.id)}/provisioning`, flash: `Saved Auto Provisioning of ${p.id}.` };
};

export const tryProvisioningAction: ActionFn = async (env) => {
  const { p, orgs, global } = await load(env);
  const text = fields(env.req, 'claims')[0] ?? '';
  const show = (t: TryIt) => ({ render: render(env, p, orgs, savedState(p, orgs, global), null, t) });
  let claims: unknown;
  try {
    claims = JSON.parse(text);
  } catch (e) {
    env.res.status(400);
    return show({ claims: text, outcome: null, problem: `claims: not valid JSON (${(e as Error).message})` });
  }
  try {
    return show({ claims: text, outcome: await env.call<Explanation>('post', '/explain', { body: { provider: p.id, claims } }), problem: null });
  } catch (e) {
    const problem = fieldProblem(e);
    if (!problem) throw e;
    env.res.status(400);
    return show({ claims: text, outcome: null, problem: problem.message });
  }
};
