/**
 * One auto-provisioning policy (Pangolin's): the default one or an organization's own, with its
 * organization expression and the three role-mapping modes the engine knows
 * (plugin/mapping/rule-roles.ts): fixed roles picked from the organization's, the mapping builder
 * (a claim and rows of IdP value -> role, written as `{claim, map}`), or a raw JMESPath
 * expression. Read from a `rules` policy, from the form, and written back as one.
 */
import type { RoleMapping, RulePolicy } from '../../config/schema.ts';
import { keyPath } from '../../mapping/catalog.ts';
import { fields } from '../env.ts';
import type { Env } from '../env.ts';
import { invalidAttrs, problemAt, type FieldProblem } from '../field-error.ts';
import { html, type Html } from '../html.ts';

export type RoleMode = 'inherit' | 'fixed' | 'map' | 'expression';

export interface PolicyState {
  /** The organization it applies to; null for the default policy. */
  org: string | null;
  on: boolean;
  organization: string;
  mode: RoleMode;
  fixed: string[];
  claim: string;
  rows: { value: string; role: string }[];
  expression: string;
}

/** Blank rows offered after the saved ones in the mapping builder. */
const BLANK_ROWS = 3;
const DEFAULT_CLAIM = 'groups';

/** The error key path of a policy (`provisioning.rules.default`, `provisioning.rules.organizations.home-lab`). */
export function policyPath(org: string | null): string {
  return org === null ? 'provisioning.rules.default' : keyPath('provisioning.rules.organizations', org);
}

export function stateOf(org: string | null, policy: RulePolicy | undefined): PolicyState {
  const roles: RoleMapping | undefined = policy?.roles;
  const rows = Object.entries(roles?.map ?? {}).flatMap(([value, r]) => (typeof r === 'string' ? [r] : r).map((role) => ({ value, role })));
  const mode: RoleMode = roles?.fixed ? 'fixed' : roles?.map ? 'map' : roles?.expression ? 'expression' : 'inherit';
  return {
    org,
    on: policy !== undefined,
    organization: policy?.organization ?? '',
    mode,
    fixed: roles?.fixed ?? [],
    claim: roles?.claim ?? DEFAULT_CLAIM,
    rows,
    expression: roles?.expression ?? '',
  };
}

export function stateFrom(env: Env, index: number, org: string | null): PolicyState {
  const one = (name: string) => fields(env.req, `p${index}_${name}`)[0]?.trim() ?? '';
  const values = fields(env.req, `p${index}_value`);
  const roles = fields(env.req, `p${index}_role`);
  const mode = one('mode');
  return {
    org,
    on: org === null ? one('organization') !== '' || mode !== 'inherit' : one('on') !== '',
    organization: one('organization'),
    mode: mode === 'fixed' || mode === 'map' || mode === 'expression' ? mode : 'inherit',
    fixed: fields(env.req, `p${index}_fixed`).filter(Boolean),
    claim: one('claim'),
    rows: values.map((value, i) => ({ value: value.trim(), role: (roles[i] ?? '').trim() })).filter((r) => r.value !== '' || r.role !== ''),
    expression: one('expression'),
  };
}

/** The `rules` policy the state stands for, or undefined when it is off. */
export function policyOf(s: PolicyState): RulePolicy | undefined {
  if (!s.on) return undefined;
  let roles: RoleMapping | undefined;
  if (s.mode === 'fixed') roles = { fixed: s.fixed };
  if (s.mode === 'expression') roles = { expression: s.expression };
  if (s.mode === 'map') {
    const map: Record<string, string[]> = {};
    for (const r of s.rows) (map[r.value] ??= []).push(r.role);
    const flat = Object.fromEntries(Object.entries(map).map(([k, v]) => [k, v.length === 1 ? v[0]! : v]));
    roles = { claim: s.claim || DEFAULT_CLAIM, map: flat };
  }
  return { ...(s.organization ? { organization: s.organization } : {}), ...(roles ? { roles } : {}) };
}

const MODES: { mode: RoleMode; label: string }[] = [
  { mode: 'inherit', label: 'Default role' },
  { mode: 'fixed', label: 'Fixed roles' },
  { mode: 'map', label: 'Mapping builder' },
  { mode: 'expression', label: 'Expression' },
];

/** The fieldset of one policy; `roles` are the roles it may grant (the org's, or every org's for the default). */
export function policyFieldset(index: number, s: PolicyState, roles: readonly string[], problem: FieldProblem | null): Html {
  const base = policyPath(s.org);
  const name = (n: string) => `p${index}_${n}`;
  const id = (n: string) => `p${index}-${n}`;
  const err = (path: string, n: string) => ({ attrs: invalidAttrs(problem, path, id(`${n}-error`)), msg: problemAt(problem, path, id(`${n}-error`)) });
  const title = s.org === null ? 'Default policy (every organization without its own)' : `Policy for ${s.org}`;
  const orgErr = err(`${base}.organization`, 'organization');
  const exprErr = err(`${base}.roles.expression`, 'expression');
  const claimErr = err(`${base}.roles.claim`, 'claim');
  const mapErr = problemAt(problem, `${base}.roles.map`, id('map-error'));
  const fixedErr = problemAt(problem, `${base}.roles.fixed`, id('fixed-error'));
  const rolesErr = problem?.field === `${base}.roles` ? problemAt(problem, `${base}.roles`, id('roles-error')) : '';
  const roleOptions = (selected: string) => [html`<option value=""${selected === '' ? html` selected` : ''}>–</option>`, ...roles.map((r) => html`<option value="${r}"${r === selected ? html` selected` : ''}>${r}</option>`)];
  const rows = [...s.rows, ...Array.from({ length: BLANK_ROWS }, () => ({ value: '', role: '' }))].map(
    (r, i) => html`<div class="row"><label for="${id(`value-${i}`)}">IdP value ${i + 1}</label><input type="text" id="${id(`value-${i}`)}" name="${name('value')}" value="${r.value}" size="30" autocomplete="off">
<label for="${id(`role-${i}`)}">Role ${i + 1}</label><select id="${id(`role-${i}`)}" name="${name('role')}">${roleOptions(r.role)}</select></div>`,
  );
  const label = s.org === null ? 'Default policy' : `Policy for ${s.org}`;
  return html`<fieldset aria-label="${label}"><legend>${title}</legend>
<input type="hidden" name="${name('org')}" value="${s.org ?? ''}">
${s.org === null ? '' : html`<label class="check"><input type="checkbox" name="${name('on')}"${s.on ? html` checked` : ''}> Use its own policy</label>`}
<label>Organization expression <span class="muted">JMESPath; true or the org id joins the user${s.org === null ? html`; <code>{{orgId}}</code> is the org's id` : '; empty: every user joins'}</span>
<input type="text" name="${name('organization')}" id="${id('organization')}" value="${s.organization}" size="60" spellcheck="false" autocomplete="off"${orgErr.attrs}></label>${orgErr.msg}
<fieldset class="row" aria-label="${label}: roles from"><legend>Roles from</legend>${MODES.map(
    (m) => html`<label class="check"><input type="radio" name="${name('mode')}" value="${m.mode}"${s.mode === m.mode ? html` checked` : ''}> ${m.label}</label>`,
  )}</fieldset>${rolesErr}
<fieldset aria-label="${label}: fixed roles"><legend>Fixed roles</legend>${roles.length ? roles.map((r) => html`<label class="check"><input type="checkbox" name="${name('fixed')}" value="${r}"${s.fixed.includes(r) ? html` checked` : ''}> ${r}</label> `) : html`<span class="muted">no role</span>`}${fixedErr}</fieldset>
<fieldset aria-label="${label}: mapping builder"><legend>Mapping builder</legend>
<label>Claim <span class="muted">JMESPath to the values, e.g. <code>groups</code> or <code>realm_access.roles</code></span><input type="text" name="${name('claim')}" id="${id('claim')}" value="${s.claim || DEFAULT_CLAIM}" list="claim-names" spellcheck="false" autocomplete="off"${claimErr.attrs}></label>${claimErr.msg}
${rows}${mapErr}</fieldset>
<label>Role expression <span class="muted">JMESPath returning a role name or a list of them</span>
<textarea name="${name('expression')}" id="${id('expression')}" class="short" spellcheck="false" rows="2"${exprErr.attrs}>${s.expression}</textarea></label>${exprErr.msg}
</fieldset>`;
}
