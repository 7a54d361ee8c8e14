/**
 * The Group resource: the IdP's groups, in their own tables. Membership changes are applied as
 * deltas (never by rewriting the member list) and re-run the mapping of exactly the users whose
 * groups changed, in the same transaction.
 */
import { randomUUID } from 'node:crypto';
import { auditWrite, StaleWrite, withWriteRetry, type ScimRequestContext } from '../context.ts';
import { membershipEvents, type DirectoryEvent, type EventGroup, type MembershipChange } from '../../directory-events.ts';
import { scimError, throwOnConflict } from '../errors.ts';
import { emitScimEvents, scimOrigin } from '../events.ts';
import { matchElement } from '../filter/match.ts';
import { checkIfMatch, etagOf, type Precondition } from '../http.ts';
import { remapUsers } from '../mapping.ts';
import { applyPatch, type MemberDelta } from '../patch.ts';
import type { ScimGroupRow, ScimTransaction } from '../ports.ts';
import { wantsAttribute } from '../project.ts';
import { isPlainObject, normalizeResource, stableStringify, type ResourceSchema } from '../schema/resource.ts';
import { storageWrite } from '../schema/storage.ts';
import { GROUP_SCHEMA, groupSchema } from '../schema/group.ts';
import { findAttribute } from '../schema/types.ts';
import type { ResourceOps, ScimResource, WriteResult } from './types.ts';

export const GROUP_RESOURCE: ResourceSchema = { name: 'Group', core: groupSchema, extensions: [] };
const MEMBERS = findAttribute(groupSchema.attributes, 'members');
/** Members per request body, to keep one transaction bounded. */
export const MAX_MEMBERS_PER_REQUEST = 10_000;

const iso = (ms: number) => new Date(ms).toISOString();

export function renderGroup(row: ScimGroupRow, baseUrl: string): ScimResource {
  return {
    schemas: [GROUP_SCHEMA],
    id: row.id,
    ...(row.doc ?? { displayName: row.displayName, ...(row.externalId ? { externalId: row.externalId } : {}) }),
    ...(row.members
      ? { members: row.members.map((m) => ({ value: m.id, ...(m.display ? { display: m.display } : {}), $ref: `${baseUrl}/Users/${m.id}`, type: 'User' })) }
      : {}),
    meta: { resourceType: 'Group', created: iso(row.createdAt), lastModified: iso(row.updatedAt), location: `${baseUrl}/Groups/${row.id}`, version: etagOf(row.version) },
  };
}

/** Splits the normalized `members` out of a document, as user ids. */
function takeMembers(doc: Record<string, unknown>): string[] | undefined {
  const members = doc.members;
  delete doc.members;
  if (members === undefined) return undefined;
  const ids = (members as unknown[]).filter(isPlainObject).map((m, i) => {
    if (typeof m.type === 'string' && m.type.toLowerCase() !== 'user') throw scimError.invalidValue(`members[${i}]: only Users can be members (nested groups are not supported).`);
    if (typeof m.value !== 'string' || m.value === '') throw scimError.invalidValue(`members[${i}]: a member needs a "value" (the User id).`);
    return m.value;
  });
  return [...new Set(ids)];
}

/** How many skipped member ids an audit row lists (the count is always there). */
const SKIPPED_IDS_AUDITED = 100;

/**
 * The ids that are Users; the others (deleted since, never provisioned, a group's id) go to
 * `skipped`. A group write applies the members it knows and records the rest in its audit row,
 * rather than failing whole: the IdP would retry it forever and the known members never land.
 */
async function knownUsers(tx: ScimTransaction, ids: string[], skipped: Set<string>): Promise<string[]> {
  if (ids.length > MAX_MEMBERS_PER_REQUEST) throw scimError.tooMany(`At most ${MAX_MEMBERS_PER_REQUEST} members per request.`);
  if (ids.length === 0) return ids;
  const found = await tx.scim.existingUserIds(ids);
  for (const id of ids) if (!found.has(id)) skipped.add(id);
  return ids.filter((id) => found.has(id));
}

/** The audit details of skipped members: their ids (the first SKIPPED_IDS_AUDITED) and count. */
function skippedDetails(skipped: Set<string>): Record<string, unknown> {
  if (skipped.size === 0) return {};
  const ids = [...skipped];
  return { membersSkipped: ids.slice(0, SKIPPED_IDS_AUDITED), ...(ids.length > SKIPPED_IDS_AUDITED ? { membersSkippedCount: ids.length } : {}) };
}

/** Applies member deltas in order; returns who joined, who left, and the ids skipped as unknown. */
async function applyDeltas(tx: ScimTransaction, groupId: string, deltas: MemberDelta[]): Promise<{ added: Set<string>; removed: Set<string>; skipped: Set<string> }> {
  const added = new Set<string>();
  const removed = new Set<string>();
  const skipped = new Set<string>();
  const joined = (ids: string[]) => ids.forEach((id) => (removed.delete(id) ? undefined : added.add(id)));
  const left = (ids: string[]) => ids.forEach((id) => (added.delete(id) ? undefined : removed.add(id)));
  for (const d of deltas) {
    if (d.op === 'removeWhere') {
      const def = MEMBERS;
      if (!def) continue;
      const matching = (await tx.scim.members(groupId)).filter((m) => matchElement(def, d.filter, { value: m.id, display: m.display ?? undefined, type: 'User' }));
      left(await tx.scim.removeMembers(groupId, matching.map((m) => m.id)));
    } else if (d.op === 'add') {
      joined(await tx.scim.addMembers(groupId, await knownUsers(tx, [...new Set(d.values)], skipped)));
    } else if (d.op === 'remove') {
      left(await tx.scim.removeMembers(groupId, [...new Set(d.values)]));
    } else {
      const ids = await knownUsers(tx, [...new Set(d.values)], skipped);
      const current = new Set(await tx.scim.memberIds(groupId));
      const wanted = new Set(ids);
      left(await tx.scim.removeMembers(groupId, [...current].filter((id) => !wanted.has(id))));
      joined(await tx.scim.addMembers(groupId, ids.filter((id) => !current.has(id))));
    }
  }
  return { added, removed, skipped };
}

async function loadForWrite(tx: ScimTransaction, id: string, ifMatch: Precondition): Promise<ScimGroupRow> {
  const row = await tx.scim.getGroup(id, { members: false, lock: true });
  if (!row) throw scimError.notFound(`Group "${id}" not found.`);
  checkIfMatch(ifMatch, row.version);
  return row;
}

/** A group's member changes and the membership rows they moved, as directory events. */
function memberEvents(rc: ScimRequestContext, group: EventGroup, added: Iterable<string>, removed: Iterable<string>, mapped: { changes: MembershipChange[] }): DirectoryEvent[] {
  const origin = scimOrigin(rc);
  const ref = { id: group.id, displayName: group.displayName };
  const joined = [...added];
  const left = [...removed];
  return [
    ...(joined.length ? [{ ...origin, type: 'group.members_added' as const, group: ref, members: joined }] : []),
    ...(left.length ? [{ ...origin, type: 'group.members_removed' as const, group: ref, members: left }] : []),
    ...membershipEvents(origin, mapped.changes),
  ];
}

function editableDoc(row: ScimGroupRow): Record<string, unknown> {
  return row.doc ?? { displayName: row.displayName, ...(row.externalId ? { externalId: row.externalId } : {}) };
}

/**
 * Writes the document (when it changed) and the membership deltas, then maps the affected users:
 * those who joined or left, and every member when the display name (a group claim) changed.
 */
async function commitGroup(
  tx: ScimTransaction,
  rc: ScimRequestContext,
  row: ScimGroupRow,
  doc: Record<string, unknown>,
  deltas: MemberDelta[],
  pinned: boolean,
  action: string,
): Promise<ScimGroupRow> {
  const docChanged = stableStringify(doc) !== stableStringify(editableDoc(row));
  const { added, removed, skipped } = await applyDeltas(tx, row.id, deltas);
  if (!docChanged && added.size === 0 && removed.size === 0) {
    await auditWrite(tx, rc, action, { outcome: 'unchanged', details: { id: row.id, displayName: row.displayName, ...skippedDetails(skipped) } });
    return row;
  }
  // Member deltas commute, so they need no version check of their own; a document change does.
  const updated = throwOnConflict(await tx.scim.updateGroup(row.id, docChanged ? storageWrite(GROUP_RESOURCE, doc) : null, docChanged || pinned ? row.version : null, row));
  if (!updated) throw new StaleWrite();
  const renamed = docChanged && String(doc.displayName).toLowerCase() !== row.displayName.toLowerCase();
  const affected = renamed ? [...(await tx.scim.memberIds(row.id)), ...removed] : [...added, ...removed];
  const mapped = await remapUsers(tx, rc, affected);
  await auditWrite(tx, rc, action, {
    outcome: 'ok',
    details: {
      id: row.id,
      displayName: updated.displayName,
      ...(renamed ? { renamedFrom: row.displayName } : {}),
      membersAdded: added.size,
      membersRemoved: removed.size,
      ...skippedDetails(skipped),
      usersRemapped: affected.length,
      usersPromoted: mapped.promoted,
    },
  });
  await emitScimEvents(tx, rc, memberEvents(rc, updated, added, removed, mapped));
  return updated;
}

function written(row: ScimGroupRow, rc: ScimRequestContext): WriteResult {
  return { id: row.id, version: row.version, resource: renderGroup(row, rc.baseUrl) };
}

async function withMembers(tx: ScimTransaction, row: ScimGroupRow): Promise<ScimGroupRow> {
  return { ...row, members: await tx.scim.members(row.id) };
}

export const groupOps: ResourceOps = {
  async get(rc, id, projection) {
    const row = await rc.scim.getGroup(id, { members: wantsAttribute(projection, 'members') });
    if (!row) throw scimError.notFound(`Group "${id}" not found.`);
    return renderGroup(row, rc.baseUrl);
  },

  async list(rc, request) {
    const { total, rows } = await rc.scim.queryGroups(request.query, { members: wantsAttribute(request.projection, 'members') });
    return { total, resources: rows.map((r) => renderGroup(r, rc.baseUrl)) };
  },

  async create(rc, body) {
    const doc = normalizeResource(GROUP_RESOURCE, body);
    const members = takeMembers(doc) ?? [];
    const id = randomUUID();
    const row = await withWriteRetry(rc, false, () =>
      rc.scim.transaction(async (tx) => {
        const skipped = new Set<string>();
        const known = await knownUsers(tx, members, skipped);
        const inserted = throwOnConflict(await tx.scim.insertGroup({ id, ...storageWrite(GROUP_RESOURCE, doc) }));
        const added = known.length ? await tx.scim.addMembers(id, known) : [];
        const mapped = await remapUsers(tx, rc, added);
        await auditWrite(tx, rc, 'scim.group.create', {
          outcome: 'ok',
          details: { id, displayName: inserted.displayName, membersAdded: added.length, ...skippedDetails(skipped), usersPromoted: mapped.promoted },
        });
        await emitScimEvents(tx, rc, [{ ...scimOrigin(rc), type: 'group.created', group: { id, displayName: inserted.displayName } }, ...memberEvents(rc, inserted, added, [], mapped)]);
        return withMembers(tx, inserted);
      }),
    );
    return written(row, rc);
  },

  async replace(rc, id, body, ifMatch) {
    const doc = normalizeResource(GROUP_RESOURCE, body);
    // PUT replaces: no members in the body means no members.
    const members = takeMembers(doc) ?? [];
    const row = await withWriteRetry(rc, ifMatch !== null, () =>
      rc.scim.transaction(async (tx) => {
        const current = await loadForWrite(tx, id, ifMatch);
        const updated = await commitGroup(tx, rc, current, doc, [{ op: 'replace', values: members }], ifMatch !== null, 'scim.group.replace');
        return withMembers(tx, updated);
      }),
    );
    return written(row, rc);
  },

  async patch(rc, id, body, ifMatch, projection) {
    // 200 with the group (RFC 7644 §3.5.2), as for Users; its member list only when the request
    // projects (attributes/excludedAttributes): a push to 100,000 members does not send them back.
    const row = await withWriteRetry(rc, ifMatch !== null, () =>
      rc.scim.transaction(async (tx) => {
        const current = await loadForWrite(tx, id, ifMatch);
        const result = applyPatch(GROUP_RESOURCE, editableDoc(current), body, { delta: 'members' });
        const doc = normalizeResource(GROUP_RESOURCE, result.doc);
        delete doc.members;
        const updated = await commitGroup(tx, rc, current, doc, result.deltas, ifMatch !== null, 'scim.group.patch');
        return projection && wantsAttribute(projection, 'members') ? withMembers(tx, updated) : updated;
      }),
    );
    return written(row, rc);
  },

  async remove(rc, id, ifMatch) {
    await withWriteRetry(rc, ifMatch !== null, () =>
      rc.scim.transaction(async (tx) => {
        const current = await loadForWrite(tx, id, ifMatch);
        const members = await tx.scim.memberIds(id);
        await tx.scim.deleteGroup(id);
        const mapped = await remapUsers(tx, rc, members);
        await auditWrite(tx, rc, 'scim.group.delete', {
          outcome: 'deleted',
          details: { id, displayName: current.displayName, members: members.length, usersPromoted: mapped.promoted },
        });
        const origin = scimOrigin(rc);
        await emitScimEvents(tx, rc, [{ ...origin, type: 'group.deleted', group: { id, displayName: current.displayName } }, ...membershipEvents(origin, mapped.changes)]);
      }),
    );
  },
};
