/**
 * The console's provider pages over plain HTTP on every database: config-file providers refuse
 * edits and deletion with the reason, a refused save comes back next to the field it names with
 * what was typed kept (never a secret), the Auto Provisioning form writes the block the engine
 * reads (mapping builder rows with one value for two roles, fixed roles, auto-provision off as
 * `reject`), and "try it" reports bad JSON inline. Nothing is stored by a refused save.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, decodeEntities, type AgentResponse } from '../support/agent.ts';
import { DB_KINDS } from '../support/db.ts';
import { OIDC_ID, startHarness, type Harness } from '../support/harness.ts';

const HTML = { accept: 'text/html' };
const csrfOf = (res: AgentResponse): string => decodeEntities(/name="_csrf" value="([^"]+)"/.exec(res.text)?.[1] ?? '');
const RT = 'public-oidc';

describe.each(DB_KINDS)('console provider pages over HTTP on %s', (kind) => {
  let h: Harness;
  const admin = new Agent();
  const at = (path: string) => `${h.url}${path}`;
  const post = (path: string, pairs: [string, string][]) => admin.request(at(path), { method: 'POST', body: new URLSearchParams(pairs), headers: HTML });
  const api = async (path: string) => admin.get(at(`/admin/api${path}`), { accept: 'application/json' });
  let csrf = '';

  beforeAll(async () => {
    h = await startHarness({
      db: kind,
      users: [{ username: 'root', email: 'root@example.com', groups: [] }],
      config: (c) => ({ ...c, provisioning: { ...c.provisioning, instanceAdmins: ['root@example.com'] } }),
    });
    await h.loginOidc(admin, 'root');
    csrf = csrfOf(await admin.get(at('/admin/providers'), HTML));
  });
  afterAll(() => h.close());

  it('refuses to edit or delete a config-file provider, with the reason', async () => {
    const edit = await admin.get(at(`/admin/providers/${OIDC_ID}/edit`), HTML);
    expect(edit.status).toBe(409);
    expect(edit.text).toContain('is defined in the config file');
    const del = await post(`/admin/providers/${OIDC_ID}/delete`, [['_csrf', csrf]]);
    expect(del.status).toBe(303);
    expect(del.location).toBe(at(`/admin/providers/${OIDC_ID}`));
    expect((await admin.get(del.location!, HTML)).text).toContain('is defined in the config file');
    expect((await api(`/providers/${OIDC_ID}`)).status).toBe(200);
  });

  it('shows a refused create next to the field, keeps what was typed but the secret, and stores nothing', async () => {
    const bad = await post('/admin/providers/new?type=oidc', [['_csrf', csrf], ['id', RT], ['issuer', 'not a url'], ['clientId', 'typed-client'], ['clientSecret', 'typed-secret-123']]);
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="f-issuer"[^>]*aria-invalid="true" aria-describedby="f-issuer-error"/);
    expect(bad.text).toMatch(/<p class="field-error" id="f-issuer-error" role="alert">issuer: /);
    expect(bad.text).toContain('value="typed-client"');
    expect(bad.text).not.toContain('typed-secret-123');
    // A secret without an encryption key: refused, naming the setting the form has no field for.
    const noKey = await post('/admin/providers/new?type=oidc', [['_csrf', csrf], ['id', RT], ['issuer', h.oidc.issuer], ['clientId', 'c'], ['clientSecret', 'typed-secret-123']]);
    expect(noKey.status).toBe(400);
    expect(noKey.text).toMatch(/<div class="flash error" role="alert">[^<]*secrets\.encryptionKey/);
    expect(noKey.text).not.toContain('typed-secret-123');
    expect((await api(`/providers/${RT}`)).status).toBe(404);
  });

  it('writes the Auto Provisioning block: mapping-builder rows, fixed roles, auto-provision off as reject', async () => {
    const created = await post('/admin/providers/new?type=oidc', [['_csrf', csrf], ['id', RT], ['issuer', h.oidc.issuer], ['clientId', 'public-client'], ['firstLoginPolicy', 'allow']]);
    expect(created.status, created.text).toBe(303);
    const tab = await admin.get(at(`/admin/providers/${RT}/provisioning`), HTML);
    expect(tab.status).toBe(200);
    const index = (org: string) => [...tab.text.matchAll(/name="p(\d+)_org" value="([^"]*)"/g)].find((m) => m[2] === org)?.[1];
    const acme = index('acme-corp');
    const lab = index('home-lab');
    const form: [string, string][] = [
      ['_csrf', csrf], ['own', 'on'], ['syncMode', 'MANAGED'], ['defaultRole', 'viewer'], ['groupsPattern', ''], ['newUsers', 'allow'],
      ['p0_org', ''], ['p0_mode', 'inherit'], ['p0_organization', ''],
      [`p${acme}_org`, 'acme-corp'], [`p${acme}_on`, 'on'], [`p${acme}_mode`, 'map'], [`p${acme}_claim`, 'groups'],
      [`p${acme}_value`, 'guid-1'], [`p${acme}_role`, 'admin'], [`p${acme}_value`, 'guid-1'], [`p${acme}_role`, 'member'], [`p${acme}_value`, 'guid-2'], [`p${acme}_role`, 'viewer'], [`p${acme}_value`, ''], [`p${acme}_role`, ''],
      [`p${lab}_org`, 'home-lab'], [`p${lab}_on`, 'on'], [`p${lab}_organization`, "contains(groups, 'lab')"], [`p${lab}_mode`, 'fixed'], [`p${lab}_fixed`, 'Member'],
    ];
    const saved = await post(`/admin/providers/${RT}/provisioning`, form);
    expect(saved.status, saved.text).toBe(303);
    const p = (await api(`/providers/${RT}`)).json<Record<string, unknown>>();
    expect(p.firstLoginPolicy).toBe('reject');
    expect(p.provisioning).toMatchObject({
      syncMode: 'MANAGED',
      defaultRole: 'viewer',
      rules: { organizations: { 'acme-corp': { roles: { claim: 'groups', map: { 'guid-1': ['admin', 'member'], 'guid-2': 'viewer' } } }, 'home-lab': { organization: "contains(groups, 'lab')", roles: { fixed: ['Member'] } } } },
    });
    expect(p.provisioning).not.toHaveProperty('groupsPattern');

    // A role the organization does not have: 400 next to the pick list, nothing changed.
    const refused = await post(`/admin/providers/${RT}/provisioning`, form.map(([k, v]) => [k, k === `p${lab}_fixed` ? 'Owner' : v] as [string, string]));
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(new RegExp(`<p class="field-error" id="p${lab}-fixed-error" role="alert">provisioning\\.rules\\.organizations\\.home-lab\\.roles\\.fixed\\[0\\]: role &quot;Owner&quot; does not exist`));
    expect((await api(`/providers/${RT}`)).json<{ provisioning: unknown }>().provisioning).toEqual(p.provisioning);
  });

  it('reports claims that are not JSON next to the try-it box', async () => {
    const res = await post(`/admin/providers/${RT}/provisioning/try`, [['_csrf', csrf], ['claims', '{not json']]);
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/<p class="field-error" id="try-claims-error" role="alert">claims: not valid JSON/);
    expect(res.text).toContain('{not json');
  });
});
