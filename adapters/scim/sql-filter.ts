/**
 * Resolved SCIM filters (plugin/scim/ports.ts `ScimFilterNode`) as parameterized SQL for the knex
 * SCIM store, one query path on SQLite, PostgreSQL and MySQL: identifiers through `??`, values
 * through `?`, never spliced. Case-insensitive compares use columns stored lower-cased (userName,
 * emails, group names: index-friendly) or `lower()`; LIKE metacharacters are escaped, and LIKE on
 * a case-exact attribute is confirmed case-exactly. Multi-valued attributes compile to
 * `id in (select ...)`, which every database answers from the relation's index.
 */
import type { ScimFilterNode } from '../../plugin/scim/ports.ts';
import { escapeLike, LIKE_ESCAPE } from '../store/sql.ts';

export type Sql = { sql: string; bindings: unknown[] };

/** A logical column: its qualified SQL name, and whether it holds lower-cased values. */
export interface Column {
  sql: string;
  lowered: boolean;
}

export interface Relation {
  /** `select <key> from <from> where ...`; `from` may join; its `??` are the `tables`. */
  key: string;
  from: string;
  tables: (p: string) => string[];
  /** The parent's key that `key` refers to. */
  parentKey: string;
  columns: Record<string, Column>;
}

export interface Scope {
  columns: Record<string, Column>;
  relations: Record<string, Relation>;
}

const col = (sql: string, lowered = false): Column => ({ sql, lowered });

/** The logical columns and relations of Users and Groups, and the physical columns writes go to. */
export function scimScopes(p: string): { users: Scope; groups: Scope; userWrite: Record<string, string>; groupWrite: Record<string, string> } {
  const u = `${p}users`;
  const g = `${p}scim_groups`;
  const userWrite: Record<string, string> = {
    userName: 'user_name',
    externalId: 'external_id',
    displayName: 'display_name',
    givenName: 'given_name',
    familyName: 'family_name',
    nickName: 'nick_name',
    title: 'title',
    userType: 'user_type',
    employeeNumber: 'employee_number',
    costCenter: 'cost_center',
    organization: 'organization',
    division: 'division',
    department: 'department',
    managerId: 'manager_id',
    email: 'email',
  };
  const userColumns: Record<string, Column> = {
    id: col(`${u}.id`),
    created: col(`${u}.created_at`),
    lastModified: col(`${u}.updated_at`),
    active: col(`${u}.status`),
  };
  for (const [logical, physical] of Object.entries(userWrite)) userColumns[logical] = col(`${u}.${physical}`, physical === 'user_name' || physical === 'email');
  return {
    users: {
      columns: userColumns,
      relations: {
        emails: {
          key: 'e.user_id',
          from: '?? as e',
          tables: (px) => [`${px}scim_emails`],
          parentKey: `${u}.id`,
          columns: { value: col('e.value_lower', true), type: col('e.type'), primary: col('e.is_primary') },
        },
        groups: {
          key: 'gm.user_id',
          from: '?? as gm inner join ?? as gg on gg.id = gm.group_id',
          tables: (px) => [`${px}scim_group_members`, `${px}scim_groups`],
          parentKey: `${u}.id`,
          columns: { value: col('gm.group_id'), display: col('gg.display_name_lower', true) },
        },
      },
    },
    groups: {
      columns: {
        id: col(`${g}.id`),
        displayName: col(`${g}.display_name_lower`, true),
        externalId: col(`${g}.external_id`),
        created: col(`${g}.created_at`),
        lastModified: col(`${g}.updated_at`),
      },
      relations: {
        members: { key: 'mm.group_id', from: '?? as mm', tables: (px) => [`${px}scim_group_members`], parentKey: `${g}.id`, columns: { value: col('mm.user_id') } },
      },
    },
    userWrite,
    groupWrite: { displayName: 'display_name', externalId: 'external_id' },
  };
}

export function columnOf(scope: Scope, name: string): Column {
  const c = scope.columns[name];
  if (!c) throw new TypeError(`SCIM store: no column "${name}" in this scope`);
  return c;
}

function compileCompare(node: Extract<ScimFilterNode, { kind: 'compare' }>, c: Column): Sql {
  const insensitive = node.type === 'string' && !node.caseExact;
  const value = insensitive && typeof node.value === 'string' ? node.value.toLowerCase() : node.value;
  const expr = insensitive && !c.lowered ? 'lower(??)' : '??';
  const guard = '?? is not null and ';
  const ops: Record<string, string> = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' };
  if (node.op in ops) return { sql: `(${guard}${expr} ${ops[node.op]} ?)`, bindings: [c.sql, c.sql, value] };
  const s = String(value);
  const pattern = node.op === 'co' ? `%${escapeLike(s)}%` : node.op === 'sw' ? `${escapeLike(s)}%` : `%${escapeLike(s)}`;
  const like: Sql = { sql: `${guard}${expr} like ? ${LIKE_ESCAPE}`, bindings: [c.sql, c.sql, pattern] };
  if (!node.caseExact || s === '') return { sql: `(${like.sql})`, bindings: like.bindings };
  // LIKE ignores ASCII case on SQLite (and MySQL's default collations): confirm case-exactly.
  const n = [...s].length;
  if (node.op === 'co') return { sql: `(${like.sql} and replace(??, ?, '') <> ??)`, bindings: [...like.bindings, c.sql, s, c.sql] };
  if (node.op === 'sw') return { sql: `(${like.sql} and substr(??, 1, ?) = ?)`, bindings: [...like.bindings, c.sql, n, s] };
  return { sql: `(${like.sql} and substr(??, length(??) - ? + 1) = ?)`, bindings: [...like.bindings, c.sql, c.sql, n, s] };
}

export function compile(node: ScimFilterNode, scope: Scope, p: string): Sql {
  switch (node.kind) {
    case 'and':
    case 'or': {
      const parts = node.terms.map((t) => compile(t, scope, p));
      return { sql: `(${parts.map((x) => x.sql).join(` ${node.kind} `)})`, bindings: parts.flatMap((x) => x.bindings) };
    }
    case 'not': {
      const inner = compile(node.term, scope, p);
      return { sql: `(not ${inner.sql})`, bindings: inner.bindings };
    }
    case 'present': {
      const c = columnOf(scope, node.column);
      if (node.column === 'active' && c.sql.endsWith('.status')) return { sql: '(1 = 1)', bindings: [] };
      if (node.type === 'string') return { sql: "(?? is not null and ?? <> '')", bindings: [c.sql, c.sql] };
      return { sql: '(?? is not null)', bindings: [c.sql] };
    }
    case 'compare': {
      const c = columnOf(scope, node.column);
      if (node.column === 'active' && c.sql.endsWith('.status')) {
        // `active` is the user status: false means deprovisioned.
        return { sql: node.value === true ? '(?? <> ?)' : '(?? = ?)', bindings: [c.sql, 'deprovisioned'] };
      }
      return compileCompare(node, c);
    }
    case 'some': {
      const rel = scope.relations[node.relation];
      if (!rel) throw new TypeError(`SCIM store: no relation "${node.relation}" in this scope`);
      const where = node.where ? compile(node.where, { columns: rel.columns, relations: {} }, p) : null;
      return {
        sql: `(?? in (select ?? from ${rel.from}${where ? ` where ${where.sql}` : ''}))`,
        bindings: [rel.parentKey, rel.key, ...rel.tables(p), ...(where?.bindings ?? [])],
      };
    }
  }
}
