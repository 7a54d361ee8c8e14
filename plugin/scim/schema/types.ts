/**
 * Attribute definitions in the RFC 7643 §7 vocabulary, plus two fields of ours that are never
 * served: `maxLength` (what storage accepts) and `storage` (where filters and sorting find the
 * attribute). One definition serves /Schemas, validation, PATCH, projection and filtering.
 */

export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

/** Where an attribute lives in storage (logical names, mapped to SQL by the store adapter). */
export interface AttributeStorage {
  /** A singular attribute (or a sub-attribute of a multi-valued one): its logical column. */
  column?: string;
  /** A multi-valued attribute kept in its own rows: the relation's logical name. */
  relation?: string;
  /** Column to sort by when `sortBy` names this multi-valued attribute (its primary value). */
  sort?: string;
  /** Filterable, but stored by the resource's own logic rather than copied from the document (`active` is the user status). */
  derived?: boolean;
}

export interface AttributeDef {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: Uniqueness;
  subAttributes?: AttributeDef[];
  canonicalValues?: string[];
  referenceTypes?: string[];
  /** Ours: the longest string storage accepts. */
  maxLength?: number;
  /** Ours: filterable/sortable attributes say where they are stored. */
  storage?: AttributeStorage;
}

export interface SchemaDef {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDef[];
}

type Options = Partial<Omit<AttributeDef, 'name' | 'type'>>;

/** An attribute with the RFC 7643 defaults (`readWrite`, `default`, not required, not case-exact). */
export function attr(name: string, type: AttributeType, options: Options = {}): AttributeDef {
  return {
    name,
    type,
    multiValued: false,
    description: '',
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  };
}

export function complex(name: string, subAttributes: AttributeDef[], options: Options = {}): AttributeDef {
  return attr(name, 'complex', { ...options, subAttributes });
}

/**
 * The usual shape of a multi-valued attribute: value, display, type, primary. With `relation`,
 * its values are stored as rows of that relation and value/type/primary are filterable.
 */
export function multi(
  name: string,
  description: string,
  types: string[],
  options: Options & { valueType?: AttributeType; valueMaxLength?: number; relation?: string; sort?: string } = {},
): AttributeDef {
  const { valueType, valueMaxLength, relation, sort, ...rest } = options;
  const stored = (column: string) => (relation ? { storage: { column } } : {});
  return complex(
    name,
    [
      attr('value', valueType ?? 'string', { description: `The ${name} value.`, maxLength: valueMaxLength ?? 2048, ...stored('value') }),
      attr('display', 'string', { description: 'A human-readable name, primarily used for display purposes.', maxLength: 1024 }),
      attr('type', 'string', { description: 'A label indicating the attribute\'s function.', canonicalValues: types, maxLength: 64, ...stored('type') }),
      attr('primary', 'boolean', { description: 'Indicates the primary or preferred value; at most one value is primary.', ...stored('primary') }),
    ],
    { multiValued: true, description, ...rest, ...(relation ? { storage: { relation, ...(sort ? { sort } : {}) } } : {}) },
  );
}

/** RFC 7643 §3.1 common attributes: present on every resource, not listed in /Schemas. */
export const COMMON_ATTRIBUTES: AttributeDef[] = [
  attr('id', 'string', {
    description: 'Unique identifier for the resource, assigned by the service provider.',
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
    storage: { column: 'id' },
  }),
  attr('externalId', 'string', {
    description: 'Identifier of the resource as defined by the provisioning client.',
    caseExact: true,
    maxLength: 255,
    storage: { column: 'externalId' },
  }),
  complex(
    'meta',
    [
      attr('resourceType', 'string', { caseExact: true, mutability: 'readOnly' }),
      attr('created', 'dateTime', { mutability: 'readOnly', storage: { column: 'created' } }),
      attr('lastModified', 'dateTime', { mutability: 'readOnly', storage: { column: 'lastModified' } }),
      attr('location', 'reference', { caseExact: true, mutability: 'readOnly', referenceTypes: ['uri'] }),
      attr('version', 'string', { caseExact: true, mutability: 'readOnly' }),
    ],
    { description: 'Resource metadata.', mutability: 'readOnly' },
  ),
];

/** Strips our private fields: what /Schemas serves. */
export function publicAttribute(def: AttributeDef): Record<string, unknown> {
  const { maxLength: _max, storage: _storage, subAttributes, ...rest } = def;
  return { ...rest, ...(subAttributes ? { subAttributes: subAttributes.map(publicAttribute) } : {}) };
}

/** Case-insensitive lookup of a (sub-)attribute by name. */
export function findAttribute(list: readonly AttributeDef[] | undefined, name: string): AttributeDef | undefined {
  if (!list) return undefined;
  const lower = name.toLowerCase();
  return list.find((a) => a.name.toLowerCase() === lower);
}
