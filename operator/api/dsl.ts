// A small builder for CRD OpenAPI schemas. The schema written with it (api/<version>/schema.ts) is
// the single source of truth: render.ts turns it into the CRD YAML, the TypeScript types and
// docs/api.md, so the three never disagree.

/** One CEL rule (`x-kubernetes-validations` entry). */
export interface Rule {
  rule: string;
  message?: string;
  messageExpression?: string;
  /** Relative JSON path of the field the error names, e.g. `.tls`. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** An OpenAPI v3 schema node as a CRD accepts it, plus `tsType` (never emitted) naming its TS type. */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema;
  required?: string[];
  items?: Schema;
  enum?: (string | number)[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  nullable?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: Rule[];
  /** Name of the generated TypeScript interface or type alias (objects and enums). */
  tsType?: string;
  /** Doc comment of that TS type, when it should differ from this use's description. */
  typeDoc?: string;
}

type Extra = Omit<Partial<Schema>, 'type' | 'description' | 'properties' | 'items'>;

/** Keys of Schema that exist only for the generator and never reach the CRD. */
export const generatorOnlyKeys = ['tsType', 'typeDoc'] as const;

/** An object with named fields. `required` fields and defaulted fields are non-optional in TS. */
export function object(
  tsType: string | undefined,
  description: string,
  properties: Record<string, Schema>,
  extra: Extra = {},
): Schema {
  return { type: 'object', description, properties, ...extra, ...named(tsType, description, extra) };
}

function named(tsType: string | undefined, description: string, extra: Extra) {
  return tsType ? { tsType, typeDoc: extra.typeDoc ?? description } : {};
}

export function string(description: string, extra: Extra = {}): Schema {
  return { type: 'string', description, ...extra };
}

/** A string limited to the listed values (`tsType` names the generated union type). */
export function oneOf(
  tsType: string | undefined,
  values: string[],
  description: string,
  extra: Extra = {},
): Schema {
  return { type: 'string', description, enum: values, ...extra, ...named(tsType, description, extra) };
}

export function integer(description: string, extra: Extra = {}): Schema {
  return { type: 'integer', description, ...extra };
}

export function number(description: string, extra: Extra = {}): Schema {
  return { type: 'number', description, ...extra };
}

export function boolean(description: string, extra: Extra = {}): Schema {
  return { type: 'boolean', description, ...extra };
}

export function array(items: Schema, description: string, extra: Extra = {}): Schema {
  return { type: 'array', description, items, ...extra };
}

/** A string-to-string map (labels, annotations, node selectors). */
export function stringMap(
  description: string,
  maxProperties: number,
  valueMaxLength: number,
  extra: Extra = {},
): Schema {
  return {
    type: 'object',
    description,
    additionalProperties: { type: 'string', description: '', maxLength: valueMaxLength },
    maxProperties,
    ...extra,
  };
}

export function rule(rule: string, message: string, extra: Omit<Rule, 'rule' | 'message'> = {}): Rule {
  return { rule, message, ...extra };
}

/** What one kind needs beyond its schema: names, printer columns, the text above its reference. */
export interface Kind {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  /** Shown at the top of the kind's section in docs/api.md. */
  overview: string;
  printerColumns: PrinterColumn[];
  /** Condition types the operator writes, with what each means (docs and a TS union). */
  conditionTypes: Record<string, string>;
  spec: Schema;
  status: Schema;
  /** Restrictions on metadata.name (the only part of metadata a CRD may constrain). */
  name?: Schema;
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

export interface ApiVersion {
  group: string;
  version: string;
  kinds: Kind[];
}
