/**
 * What a document stores besides itself: the values of its filterable attributes (registry
 * `storage.column`) and the rows of its writable multi-valued relations (`storage.relation`).
 * Derived from the same definitions that resolve filters, so a filterable attribute is always
 * written where the filter looks for it.
 */
import type { ScimColumnValue, ScimWrite } from '../ports.ts';
import { isPlainObject, topLevelAttributes, type ResourceSchema } from './resource.ts';
import type { AttributeDef } from './types.ts';

function scalar(v: unknown): ScimColumnValue {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null;
}

function collect(list: readonly AttributeDef[], holder: Record<string, unknown>, out: Omit<ScimWrite, 'doc'>): void {
  for (const def of list) {
    if (def.mutability === 'readOnly') continue;
    const v = holder[def.name];
    if (def.multiValued) {
      const relation = def.storage?.relation;
      if (relation === undefined) continue;
      const columns = (def.subAttributes ?? []).filter((s) => s.storage?.column !== undefined);
      out.relations[relation] = (Array.isArray(v) ? v : []).filter(isPlainObject).map((element) => {
        const row: Record<string, ScimColumnValue> = {};
        for (const s of columns) row[s.storage?.column as string] = s.type === 'boolean' ? element[s.name] === true : scalar(element[s.name]);
        return row;
      });
    } else if (def.type === 'complex') {
      const obj = isPlainObject(v) ? v : {};
      for (const s of def.subAttributes ?? []) {
        if (s.storage?.column !== undefined && !s.storage.derived) out.columns[s.storage.column] = scalar(obj[s.name]);
      }
    } else if (def.storage?.column !== undefined && !def.storage.derived) {
      out.columns[def.storage.column] = scalar(v);
    }
  }
}

/** The write for a canonical document. */
export function storageWrite(schema: ResourceSchema, doc: Record<string, unknown>): ScimWrite {
  const out: Omit<ScimWrite, 'doc'> = { columns: {}, relations: {} };
  collect(topLevelAttributes(schema), doc, out);
  for (const ext of schema.extensions) collect(ext.attributes, isPlainObject(doc[ext.id]) ? (doc[ext.id] as Record<string, unknown>) : {}, out);
  return { doc, ...out };
}
