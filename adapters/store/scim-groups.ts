/** SCIM Groups on knex: scim_groups (the SCIM document in `scim`) and their members (scim_group_members). */
import type { Knex } from 'knex';
import type { ScimFilterNode, ScimGroupRow, ScimGroupStore, ScimWrite } from '../../plugin/scim/ports.ts';
import { compile, type scimScopes } from '../scim/sql-filter.ts';
import type { Row } from './rows.ts';
import { toGroupRow } from './scim-rows.ts';
import { insertUnique, page, versionedUpdate } from './scim-paging.ts';
import { chunks, lockRows, type SqlContext } from './sql.ts';

/** The groups port of the SCIM store, plus the filtered query (as for users). */
export interface KnexScimGroups extends ScimGroupStore {
  groupsWhere(filter: ScimFilterNode | null): Knex.QueryBuilder;
}

function groupColumns(columns: ScimWrite['columns']): Row {
  const out: Row = {};
  if ('displayName' in columns) {
    const name = String(columns.displayName ?? '');
    out.display_name = name;
    out.display_name_lower = name.toLowerCase();
  }
  if ('externalId' in columns) out.external_id = columns.externalId;
  return out;
}

/** SCIM Groups on the runner of `c`; `s` as for knexScimUsers. */
export function knexScimGroups(c: SqlContext, s: ReturnType<typeof scimScopes>): KnexScimGroups {
  const { db, t } = c;

  const attachMembers = async (rows: ScimGroupRow[]): Promise<ScimGroupRow[]> => {
    const byGroup = new Map<string, ScimGroupRow>(rows.map((r) => [r.id, { ...r, members: [] }]));
    for (const ids of chunks([...byGroup.keys()])) {
      const found = (await db({ mm: t('scim_group_members') })
        .join({ uu: t('users') }, 'uu.id', 'mm.user_id')
        .select('mm.group_id', 'uu.id', 'uu.display_name', 'uu.user_name')
        .whereIn('mm.group_id', ids)
        .orderBy('uu.id')) as Row[];
      for (const f of found) {
        const display = f.display_name ?? f.user_name;
        byGroup.get(String(f.group_id))?.members?.push({ id: String(f.id), display: display === null || display === undefined ? null : String(display) });
      }
    }
    return rows.map((r) => byGroup.get(r.id) as ScimGroupRow);
  };

  const getGroup: ScimGroupStore['getGroup'] = async (id, opts) => {
    const q = db(t('scim_groups')).where({ id }).first();
    const r = (await (opts.lock ? lockRows(q, c.dialect) : q)) as Row | undefined;
    if (!r) return null;
    const row = toGroupRow(r);
    return opts.members ? ((await attachMembers([row]))[0] ?? row) : row;
  };

  const groupsWhere = (filter: ScimFilterNode | null): Knex.QueryBuilder => {
    const q = db(t('scim_groups'));
    if (filter) {
      const compiled = compile(filter, s.groups, c.prefix);
      q.whereRaw(compiled.sql, compiled.bindings as Knex.RawBinding[]);
    }
    return q;
  };

  const currentMembers = async (groupId: string, ids: string[]): Promise<Set<string>> => {
    const out = new Set<string>();
    for (const part of chunks(ids)) {
      for (const r of (await db(t('scim_group_members')).select('user_id').where({ group_id: groupId }).whereIn('user_id', part)) as Row[]) {
        out.add(String(r.user_id));
      }
    }
    return out;
  };

  return {
    groupsWhere,
    getGroup,

    async queryGroups(query, opts) {
      const { total, rows } = await page(groupsWhere(query.filter), t('scim_groups'), null, s.groups, query);
      const groups = rows.map(toGroupRow);
      return { total, rows: opts.members && groups.length ? await attachMembers(groups) : groups };
    },

    async insertGroup(input) {
      const at = c.now();
      const row: Row = { id: input.id, ...groupColumns(input.columns), scim: JSON.stringify(input.doc), created_at: at, updated_at: at, version: 1 };
      return (await insertUnique(c, 'scim_groups', row, input.columns)) ?? toGroupRow(row);
    },

    async updateGroup(id, input, expectedVersion, base) {
      const columns = input ? groupColumns(input.columns) : {};
      const cols: Row = input ? { ...columns, scim: JSON.stringify(input.doc) } : {};
      const at = c.now();
      const updated = await versionedUpdate(c, 'scim_groups', id, cols, expectedVersion, at, input?.columns ?? {});
      if (updated !== true) return updated === false ? null : updated;
      if (base && base.id === id && expectedVersion === base.version) {
        return {
          ...base,
          ...(input ? { displayName: String(columns.display_name ?? base.displayName), externalId: 'external_id' in columns ? ((columns.external_id as string | null) ?? null) : base.externalId, doc: input.doc } : {}),
          updatedAt: at,
          version: base.version + 1,
        };
      }
      return getGroup(id, { members: false });
    },

    async deleteGroup(id) {
      await db(t('scim_group_members')).where({ group_id: id }).delete();
      return (await db(t('scim_groups')).where({ id }).delete()) > 0;
    },

    async members(groupId) {
      const row = (await attachMembers([{ id: groupId } as ScimGroupRow]))[0];
      return row?.members ?? [];
    },

    async memberIds(groupId) {
      const rows = (await db(t('scim_group_members')).select('user_id').where({ group_id: groupId })) as Row[];
      return rows.map((r) => String(r.user_id));
    },

    async addMembers(groupId, userIds) {
      const ids = [...new Set(userIds)];
      if (ids.length === 0) return [];
      const present = await currentMembers(groupId, ids);
      const added = ids.filter((id) => !present.has(id));
      for (const part of chunks(added)) {
        await db(t('scim_group_members'))
          .insert(part.map((user_id) => ({ group_id: groupId, user_id })))
          .onConflict(['group_id', 'user_id'])
          .ignore();
      }
      return added;
    },

    async removeMembers(groupId, userIds) {
      const ids = [...new Set(userIds)];
      if (ids.length === 0) return [];
      const present = [...(await currentMembers(groupId, ids))];
      for (const part of chunks(present)) await db(t('scim_group_members')).where({ group_id: groupId }).whereIn('user_id', part).delete();
      return present;
    },
  };
}
