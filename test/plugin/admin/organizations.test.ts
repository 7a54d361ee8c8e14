/**
 * Organizations and the global provisioning block managed at run time (contract section 9), on
 * both databases: replace and delete organizations (memberships of what goes go with it; what a
 * rule or the config file still needs is refused), and replace the provisioning block, checked as
 * the config file is and applied to the next login without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../plugin/tokens.ts';
import type { AgentResponse } from '../../support/agent.ts';
import { DB_KINDS } from '../../support/db.ts';
import { Agent, startTestGateway, type TestGateway } from '../webhooks/support.ts';

describe.each(DB_KINDS)('organizations and provisioning at run time on %s', (kind) => {
  let t: TestGateway;
  let token: string;
  const client = new Agent();
  const call = (method: string, path: string, json?: unknown): Promise<AgentResponse> =>
    client.request(`${t.url}/admin/api${path}`, { method, headers: { authorization: `Bearer ${token}` }, ...(json === undefined ? {} : { json }) });
  const membershipsOf = async (name: string, groups: string[]) => {
    t.users.set(name, { sub: name, email: `${name}@example.com`, email_verified: true, groups });
    const agent = new Agent();
    await t.login(agent, name);
    return (await agent.get(`${t.url}/auth/me`, { accept: 'application/json' })).json<{ memberships: unknown[] }>().memberships;
  };

  beforeAll(async () => {
    t = await startTestGateway(kind);
    token = (await mintToken(t.gw.store, { kind: 'admin', name: 'org-test', actor: 'test' })).token;
  });
  afterAll(() => t.close());

  it('replaces an organization: roles and groups as given, memberships of removed ones gone', async () => {
    expect((await call('POST', '/organizations', { id: 'lab', roles: ['Admin', 'Member'], groups: ['ops', 'qa'] })).status).toBe(201);
    expect(await membershipsOf('lia', ['chainloop_lab_ops', 'chainloop_lab_qa', 'chainloop_lab_org-member'])).toEqual([]);
    // `org-member` maps to the role `member`, which lab lacks: renaming its roles makes the pattern work.
    const put = await call('PUT', '/organizations/lab', { name: 'The lab', roles: ['member', 'viewer'], groups: ['ops', 'qa'] });
    expect(put.status, put.text).toBe(200);
    expect(put.json()).toEqual({ id: 'lab', name: 'The lab', roles: ['member', 'viewer'], groups: ['ops', 'qa'] });
    expect(await membershipsOf('lia', ['chainloop_lab_ops', 'chainloop_lab_qa', 'chainloop_lab_org-member'])).toEqual([{ organization: 'lab', roles: ['member'], groups: ['ops', 'qa'] }]);

    expect((await call('PUT', '/organizations/lab', { roles: ['member', 'viewer'], groups: ['ops'] })).status).toBe(200);
    const me = new Agent();
    await t.login(me, 'lia');
    expect((await me.get(`${t.url}/auth/me`, { accept: 'application/json' })).json()).toMatchObject({ memberships: [{ organization: 'lab', roles: ['member'], groups: ['ops'] }] });
    const audit = await t.gw.knex('gh_audit').where({ action: 'organization.update' }).orderBy('id', 'desc').first();
    expect(JSON.parse(audit.details)).toMatchObject({ organization: 'lab', removedGroups: ['qa'], removedRoles: [] });
  });

  it('refuses what the config file defines, what a rule still needs, and bad bodies', async () => {
    expect((await call('PUT', '/organizations/acme-corp', { roles: ['viewer'], groups: [] })).json()).toMatchObject({ error: 'ERR_CONFLICT', message: expect.stringMatching(/config file.*role "owner"/) });
    expect((await call('DELETE', '/organizations/acme-corp')).status).toBe(409);
    // A config org may gain names, though.
    const grown = await call('PUT', '/organizations/acme-corp', { roles: ['owner', 'admin', 'viewer', 'member', 'contributor', 'auditor'], groups: ['developers', 'compliance-team', 'sre'] });
    expect(grown.status, grown.text).toBe(200);

    const rule = await call('PUT', '/provisioning', { defaultRole: 'viewer', rules: { organizations: { lab: { organization: "'lab'", roles: { fixed: ['viewer'] } } } } });
    expect(rule.status, rule.text).toBe(200);
    const inUse = await call('PUT', '/organizations/lab', { roles: ['member'], groups: ['ops'] });
    expect(inUse.status).toBe(409);
    expect(inUse.json()).toMatchObject({ message: expect.stringMatching(/provisioning\.rules\.organizations\.lab\.roles\.fixed\[0\].*"viewer"/) });
    expect((await call('DELETE', '/organizations/lab')).status).toBe(409);

    expect((await call('PUT', '/organizations/nowhere', { roles: [] })).status).toBe(404);
    expect((await call('PUT', '/organizations/lab', { id: 'other', roles: [] })).json()).toMatchObject({ field: 'id' });
    expect((await call('PUT', '/organizations/lab', { groups: [] })).json()).toMatchObject({ error: 'ERR_VALIDATION', field: 'roles' });
  });

  it('replaces the provisioning block: checked as the file is, applied to the next login, audited', async () => {
    const before = (await call('GET', '/provisioning')).json<Record<string, unknown>>();
    expect(before).toMatchObject({ source: 'database' });
    const bad = async (body: unknown, field: string, message: RegExp) => {
      const res = await call('PUT', '/provisioning', body);
      expect(res.status, res.text).toBe(400);
      expect(res.json()).toMatchObject({ error: 'ERR_VALIDATION', field, message: expect.stringMatching(message) });
    };
    await bad({ rules: { default: { organization: "contains(groups, '{{orgId}}'" } } }, 'rules.default.organization', /position \d+/);
    await bad({ static: [{ organization: 'acme-corp', role: 'boss' }] }, 'static[0].role', /boss/);
    await bad({ groupsPattern: 'no-placeholders' }, 'groupsPattern', /ORG_NAME/);
    await bad({ syncMode: 'SOMETIMES' }, 'syncMode', /./);
    expect((await call('GET', '/provisioning')).json()).toEqual(before);

    const put = await call('PUT', '/provisioning', { ...before, static: [{ organization: 'acme-corp', role: 'auditor', groups: ['sre'] }] });
    expect(put.status, put.text).toBe(200);
    expect(await membershipsOf('sam', [])).toEqual([
      { organization: 'acme-corp', roles: ['auditor'], groups: ['sre'] },
      { organization: 'lab', roles: ['viewer'], groups: [] },
    ]);
    const audit = await t.gw.knex('gh_audit').where({ action: 'provisioning.update' }).orderBy('id', 'desc').first();
    expect(audit.actor).toContain('org-test');
    expect(JSON.parse(audit.details)).toMatchObject({ fields: ['static'] });
  });

  it('deletes a run-time organization nothing needs any more, with its memberships', async () => {
    expect((await call('PUT', '/provisioning', { defaultRole: 'viewer' })).status).toBe(200);
    expect((await call('DELETE', '/organizations/lab')).status).toBe(204);
    expect((await call('GET', '/organizations/lab')).status).toBe(404);
    expect(await t.gw.knex('gh_memberships').where({ organization_id: 'lab' })).toEqual([]);
    expect((await call('DELETE', '/organizations/lab')).status).toBe(404);
  });
});
