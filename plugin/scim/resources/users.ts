/**
 * The User resource: rendering, and create/replace/patch/delete in one transaction each, with
 * the status rules (`active=false` deprovisions and ends sessions, `active=true` reactivates),
 * the mapping run and the audit row inside that transaction.
 */
import { randomUUID } from 'node:crypto';
import type { UserStatus } from '../../types.ts';
import { adoptionCandidate } from '../adoption.ts';
import { auditWrite, StaleWrite, withWriteRetry, type ScimRequestContext } from '../context.ts';
import { membershipEvents } from '../../directory-events.ts';
import { scimError, throwOnConflict } from '../errors.ts';
import { emitScimEvents, scimOrigin, userWriteEvents } from '../events.ts';
import { checkIfMatch, etagOf, type Precondition } from '../http.ts';
import { claimsFromUser, entitledAtCreate, primaryEmail, reactivationStatus, syncUserMapping } from '../mapping.ts';
import { applyPatch } from '../patch.ts';
import type { ScimTransaction, ScimUserRow, ScimWrite } from '../ports.ts';
import { wantsAttribute } from '../project.ts';
import { normalizeResource, stableStringify, type ResourceSchema } from '../schema/resource.ts';
import { storageWrite } from '../schema/storage.ts';
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA, enterpriseUserSchema, userSchema } from '../schema/user.ts';
import type { ResourceOps, ScimResource, WriteResult } from './types.ts';

export const USER_RESOURCE: ResourceSchema = { name: 'User', core: userSchema, extensions: [enterpriseUserSchema] };

const iso = (ms: number) => new Date(ms).toISOString();

/** The SCIM attributes of a row; a row never written through SCIM shows what the core row knows. */
function storedDoc(row: ScimUserRow): Record<string, unknown> {
  if (row.doc) return row.doc;
  const doc: Record<string, unknown> = { userName: row.userName ?? row.email ?? row.id };
  if (row.externalId) doc.externalId = row.externalId;
  if (row.givenName || row.familyName) {
    doc.name = { ...(row.familyName ? { familyName: row.familyName } : {}), ...(row.givenName ? { givenName: row.givenName } : {}) };
  }
  if (row.displayName) doc.displayName = row.displayName;
  const email = row.emailOriginal ?? row.email;
  if (email) doc.emails = [{ value: email, type: 'work', primary: true }];
  return doc;
}

export function renderUser(row: ScimUserRow, baseUrl: string): ScimResource {
  const { [ENTERPRISE_USER_SCHEMA]: ext, ...core } = storedDoc(row);
  return {
    schemas: ext ? [USER_SCHEMA, ENTERPRISE_USER_SCHEMA] : [USER_SCHEMA],
    id: row.id,
    ...core,
    active: row.status !== 'deprovisioned',
    ...(row.groups?.length
      ? { groups: row.groups.map((g) => ({ value: g.id, display: g.displayName, $ref: `${baseUrl}/Groups/${g.id}`, type: 'direct' })) }
      : {}),
    ...(ext ? { [ENTERPRISE_USER_SCHEMA]: ext } : {}),
    meta: { resourceType: 'User', created: iso(row.createdAt), lastModified: iso(row.updatedAt), location: `${baseUrl}/Users/${row.id}`, version: etagOf(row.version) },
  };
}

const SCHEMAS_CORE = JSON.stringify([USER_SCHEMA]);
const SCHEMAS_BOTH = JSON.stringify([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]);
const EXTENSION_KEY = `${JSON.stringify(ENTERPRISE_USER_SCHEMA)}:`;
/** Keys the rendering sets itself; a stored document never has them (read-only or split out), but if one did, it takes the slow path. */
const RENDERED_KEYS = /"(?:id|schemas|active|groups|meta)":/;

/**
 * renderUser as JSON text, without parsing the stored document and serializing it again: its
 * text goes between the rendered keys as it is (the same members; the enterprise extension keeps
 * its place inside the document). Users without a document, or with a document holding one of
 * the rendered keys, go through renderUser.
 */
export function renderUserJson(row: ScimUserRow, baseUrl: string): string {
  const text = row.docJson;
  if (text === null || text === undefined || text[0] !== '{' || RENDERED_KEYS.test(text)) {
    const doc = text ? (JSON.parse(text) as Record<string, unknown>) : row.doc;
    return JSON.stringify(renderUser({ ...row, doc }, baseUrl));
  }
  const inner = text.slice(1, -1);
  const groups = row.groups?.length
    ? `,"groups":${JSON.stringify(row.groups.map((g) => ({ value: g.id, display: g.displayName, $ref: `${baseUrl}/Groups/${g.id}`, type: 'direct' })))}`
    : '';
  const meta = JSON.stringify({ resourceType: 'User', created: iso(row.createdAt), lastModified: iso(row.updatedAt), location: `${baseUrl}/Users/${row.id}`, version: etagOf(row.version) });
  return `{"schemas":${text.includes(EXTENSION_KEY) ? SCHEMAS_BOTH : SCHEMAS_CORE},"id":${JSON.stringify(row.id)}${inner ? `,${inner}` : ''},"active":${row.status !== 'deprovisioned'}${groups},"meta":${meta}}`;
}

/** The store write of a document; the emails rows are rewritten only when they changed. */
function userWrite(doc: Record<string, unknown>, previous: Record<string, unknown> | null): ScimWrite {
  const write = storageWrite(USER_RESOURCE, doc);
  write.columns.email = primaryEmail(doc);
  if (previous && stableStringify(previous.emails ?? null) === stableStringify(doc.emails ?? null)) delete write.relations.emails;
  return write;
}

/** Splits `active` out of a normalized document (it is the user status, not a stored attribute). */
function takeActive(doc: Record<string, unknown>): boolean | undefined {
  const active = doc.active;
  delete doc.active;
  return typeof active === 'boolean' ? active : undefined;
}

async function loadForWrite(tx: ScimTransaction, id: string, ifMatch: Precondition): Promise<ScimUserRow> {
  const row = await tx.scim.getUser(id, { groups: true, lock: true });
  if (!row) throw scimError.notFound(`User "${id}" not found.`);
  checkIfMatch(ifMatch, row.version);
  return row;
}

/**
 * Writes a new document over `row` (PUT, PATCH, adoption), applies an `active` change, maps,
 * audits. Throws StaleWrite when the row changed since it was read.
 */
async function commitUser(
  tx: ScimTransaction,
  rc: ScimRequestContext,
  row: ScimUserRow,
  doc: Record<string, unknown>,
  active: boolean | undefined,
  action: string,
  extra: Record<string, unknown> = {},
): Promise<ScimUserRow> {
  const groups = (row.groups ?? []).map((g) => g.displayName);
  let status: UserStatus | undefined;
  if (active === false && row.status !== 'deprovisioned') status = 'deprovisioned';
  else if (active === true && row.status === 'deprovisioned') status = await reactivationStatus(tx, rc, { ...row, doc }, groups);

  if (status === undefined && row.doc !== null && stableStringify(doc) === stableStringify(row.doc)) {
    await auditWrite(tx, rc, action, { outcome: 'unchanged', userId: row.id, details: { id: row.id, ...extra } });
    return row;
  }
  const updated = throwOnConflict(await tx.scim.updateUser(row.id, { ...userWrite(doc, row.doc), ...(status ? { status } : {}) }, row.version, row));
  if (!updated) throw new StaleWrite();
  const sessionsEnded = status === 'deprovisioned' ? await tx.store.deleteSessionsOfUser(row.id) : 0;
  const mapped = await syncUserMapping(tx, rc, updated, groups);
  const final = mapped.status === updated.status ? updated : ((await tx.scim.getUser(row.id, { groups: false })) ?? updated);
  await auditWrite(tx, rc, action, {
    outcome: final.status,
    userId: row.id,
    details: {
      id: row.id,
      userName: doc.userName,
      ...extra,
      ...(final.status !== row.status ? { statusChange: { from: row.status, to: final.status } } : {}),
      ...(status === 'deprovisioned' ? { sessionsEnded } : {}),
      ...(mapped.added.length || mapped.removed.length ? { mapping: { added: mapped.added, removed: mapped.removed } } : {}),
    },
  });
  await emitScimEvents(tx, rc, userWriteEvents(rc, { row, doc: storedDoc(row) }, { row: final, doc }, mapped.facts));
  return { ...final, groups: row.groups ?? [] };
}

/** Adopts the user plugin/scim/adoption.ts picks (same id, identities and memberships kept), or null. */
async function adopt(tx: ScimTransaction, rc: ScimRequestContext, doc: Record<string, unknown>, active: boolean): Promise<ScimUserRow | null> {
  const candidate = await adoptionCandidate(tx, rc, String(doc.userName), primaryEmail(doc));
  if (!candidate) return null;
  return commitUser(tx, rc, { ...candidate, doc: null, groups: [] }, doc, active, 'scim.user.create', { adopted: true });
}

function written(row: ScimUserRow, rc: ScimRequestContext): WriteResult {
  return { id: row.id, version: row.version, resource: renderUser(row, rc.baseUrl) };
}

export const userOps: ResourceOps = {
  async get(rc, id, projection) {
    const row = await rc.scim.getUser(id, { groups: wantsAttribute(projection, 'groups') });
    if (!row) throw scimError.notFound(`User "${id}" not found.`);
    return renderUser(row, rc.baseUrl);
  },

  async list(rc, request) {
    const { total, rows } = await rc.scim.queryUsers(request.query, { groups: wantsAttribute(request.projection, 'groups') });
    return { total, resources: rows.map((r) => renderUser(r, rc.baseUrl)) };
  },

  async listJson(rc, request) {
    const { total, rows } = await rc.scim.queryUsers(request.query, { groups: true, rawDocs: true });
    return { total, items: rows.map((r) => renderUserJson(r, rc.baseUrl)) };
  },

  async create(rc, body) {
    const doc = normalizeResource(USER_RESOURCE, body);
    const active = takeActive(doc) !== false;
    const id = randomUUID();
    const row = await withWriteRetry(rc, false, () =>
      rc.scim.transaction(async (tx) => {
        const adopted = await adopt(tx, rc, doc, active);
        if (adopted) return adopted;
        const claims = claimsFromUser(rc, { id, doc, status: 'active' }, []);
        const status: UserStatus = !active ? 'deprovisioned' : entitledAtCreate(rc, claims) ? 'active' : 'pending_approval';
        const inserted = throwOnConflict(await tx.scim.insertUser({ id, status, ...userWrite(doc, null) }));
        const mapped = await syncUserMapping(tx, rc, inserted, []);
        const final = mapped.status === inserted.status ? inserted : ((await tx.scim.getUser(id, { groups: false })) ?? inserted);
        await auditWrite(tx, rc, 'scim.user.create', {
          outcome: final.status,
          userId: id,
          details: { id, userName: doc.userName, ...(mapped.added.length ? { mapping: { added: mapped.added } } : {}) },
        });
        const origin = scimOrigin(rc);
        await emitScimEvents(tx, rc, [{ ...origin, type: 'user.created', user: final }, ...membershipEvents(origin, [{ user: final, ...mapped.facts }])]);
        return final;
      }),
    );
    return written(row, rc);
  },

  async replace(rc, id, body, ifMatch) {
    const doc = normalizeResource(USER_RESOURCE, body);
    const active = takeActive(doc);
    const row = await withWriteRetry(rc, ifMatch !== null, () =>
      rc.scim.transaction(async (tx) => commitUser(tx, rc, await loadForWrite(tx, id, ifMatch), doc, active, 'scim.user.replace')),
    );
    return written(row, rc);
  },

  async patch(rc, id, body, ifMatch) {
    const row = await withWriteRetry(rc, ifMatch !== null, () =>
      rc.scim.transaction(async (tx) => {
        const current = await loadForWrite(tx, id, ifMatch);
        const base = { ...storedDoc(current), active: current.status !== 'deprovisioned' };
        const doc = normalizeResource(USER_RESOURCE, applyPatch(USER_RESOURCE, base, body).doc);
        const active = takeActive(doc);
        return commitUser(tx, rc, current, doc, active, 'scim.user.patch');
      }),
    );
    return written(row, rc);
  },

  async remove(rc, id, ifMatch) {
    await withWriteRetry(rc, ifMatch !== null, () =>
      rc.scim.transaction(async (tx) => {
        const current = await loadForWrite(tx, id, ifMatch);
        await auditWrite(tx, rc, 'scim.user.delete', { outcome: 'deleted', userId: id, details: { id, userName: current.doc?.userName ?? current.userName } });
        // Sessions kept outside the database (Redis) end too, not only the rows deleted with the user.
        await tx.store.deleteSessionsOfUser(id);
        await tx.store.deleteUser(id);
        await emitScimEvents(tx, rc, [{ ...scimOrigin(rc), type: 'user.deleted', user: current }]);
        // The groups the user was in have one member fewer: their version moves.
        for (const g of current.groups ?? []) await tx.scim.updateGroup(g.id, null, null);
      }),
    );
  },
};
