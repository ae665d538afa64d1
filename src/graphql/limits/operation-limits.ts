import {
  type ASTVisitor,
  type FieldNode,
  type GraphQLField,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLOutputType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  specifiedRules,
  validate,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../services/paging';

/** The most one operation may ask for; each is a setting (see `.env.example`). */
export interface OperationLimits {
  readonly maxAliases: number;
  readonly maxRootFields: number;
  readonly maxDepth: number;
  readonly maxCost: number;
}

/** Root fields that hash a password: one per request, so aliases cannot multiply argon2 work or accounts. */
const AUTH_FIELDS = new Set(['register', 'login']);

// Cycles are refused by NoFragmentCyclesRule, but rules run side by side, so the walks guard against them too.
type Fragments = ReadonlyMap<string, FragmentDefinitionNode>;

/**
 * Selections one check may visit. A fragment spread twice in each of N nested fragments is a few hundred bytes that
 * flatten to 2^N selections; the walks give up at this bound instead of blocking the event loop.
 */
const MAX_VISITS = 20_000;

/** Thrown by a walk that ran out of visits: the operation is refused as too large to check. */
class TooLarge extends Error {}

class Visits {
  private left = MAX_VISITS;

  take(): void {
    this.left -= 1;
    if (this.left < 0) throw new TooLarge();
  }
}

function fragmentsOf(context: ValidationContext): Fragments {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of context.getDocument().definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

/** Every field selected directly in `set`, fragments and inline fragments flattened. */
function* fieldsOf(
  set: SelectionSetNode,
  fragments: Fragments,
  visits: Visits,
  seen = new Set<string>(),
): Generator<FieldNode> {
  for (const selection of set.selections) {
    visits.take();
    if (selection.kind === Kind.FIELD) yield selection;
    else if (selection.kind === Kind.INLINE_FRAGMENT)
      yield* fieldsOf(selection.selectionSet, fragments, visits, seen);
    else if (!seen.has(selection.name.value)) {
      const fragment = fragments.get(selection.name.value);
      if (fragment)
        yield* fieldsOf(fragment.selectionSet, fragments, visits, new Set([...seen, selection.name.value]));
    }
  }
}

/**
 * Introspection (`__schema`, `__type`) costs nothing to the estimate: it reads the schema, not the database, and
 * its lists (every type, every field) have no page size.
 */
const isIntrospection = (field: FieldNode): boolean => field.name.value.startsWith('__');

function countAliases(set: SelectionSetNode, fragments: Fragments, visits: Visits): number {
  let count = 0;
  for (const field of fieldsOf(set, fragments, visits)) {
    if (field.alias) count += 1;
    if (field.selectionSet) count += countAliases(field.selectionSet, fragments, visits);
  }
  return count;
}

function depthOf(set: SelectionSetNode, fragments: Fragments, limit: number, visits: Visits): number {
  let deepest = 0;
  for (const field of fieldsOf(set, fragments, visits)) {
    // Past the limit the exact depth no longer matters; stopping bounds the walk of a hostile document.
    const below =
      field.selectionSet && deepest <= limit ? depthOf(field.selectionSet, fragments, limit, visits) : 0;
    // An introspection type reference unwraps list and non-null levels (`ofType`), which carry no recursion.
    deepest = Math.max(deepest, (field.name.value === 'ofType' ? 0 : 1) + below);
  }
  return deepest;
}

/**
 * How many items a list field may return: its literal `first`; for a variable (unknown while validating) the
 * largest page any field serves; else the field's default, or the default page size.
 */
function listSize(field: FieldNode, definition: GraphQLField<unknown, unknown>): number {
  const first = field.arguments?.find((arg) => arg.name.value === 'first');
  if (first?.value.kind === Kind.INT) return Number(first.value.value);
  if (first?.value.kind === Kind.VARIABLE) return MAX_PAGE_SIZE;
  const fallback = definition.args.find((arg) => arg.name === 'first')?.defaultValue;
  return typeof fallback === 'number' ? fallback : DEFAULT_PAGE_SIZE;
}

/**
 * A static estimate: each field costs 1, and whatever a list field selects counts once per item it may return
 * (its `first` argument, or the default page size). A page object with a `first` (e.g. `realtimeEvents`) hands
 * it down to the lists it holds.
 */
function costOf(
  set: SelectionSetNode,
  type: GraphQLOutputType,
  fragments: Fragments,
  limit: number,
  visits: Visits,
  pageSize?: number,
): number {
  const parent = getNamedType(type);
  if (!isObjectType(parent) && !isInterfaceType(parent)) return 0;
  let total = 0;
  for (const field of fieldsOf(set, fragments, visits)) {
    if (isIntrospection(field)) continue;
    const definition = parent.getFields()[field.name.value];
    if (!definition) continue;
    let cost = 1;
    if (field.selectionSet) {
      const isList = isListType(getNullableType(definition.type));
      const paged = definition.args.some((arg) => arg.name === 'first');
      const inner = costOf(
        field.selectionSet,
        definition.type,
        fragments,
        limit,
        visits,
        !isList && paged ? listSize(field, definition) : undefined,
      );
      const many = isList ? (paged || pageSize === undefined ? listSize(field, definition) : pageSize) : 1;
      cost += inner * many;
    }
    total += cost;
    if (total > limit) return total;
  }
  return total;
}

function refuse(context: ValidationContext, node: OperationDefinitionNode, message: string): void {
  context.reportError(new GraphQLError(message, { nodes: [node] }));
}

function operationName(node: OperationDefinitionNode): string {
  return node.name ? `Operation "${node.name.value}"` : 'The operation';
}

/** The rules that bound what one operation may ask for, checked before anything runs. */
export function operationLimitRules(limits: OperationLimits): ValidationRule[] {
  const rule =
    (
      check: (
        context: ValidationContext,
        node: OperationDefinitionNode,
        fragments: Fragments,
        visits: Visits,
      ) => void,
    ) =>
    (context: ValidationContext): ASTVisitor => ({
      OperationDefinition(node) {
        try {
          check(context, node, fragmentsOf(context), new Visits());
        } catch (error) {
          if (!(error instanceof TooLarge)) throw error;
          refuse(
            context,
            node,
            `${operationName(node)} selects more than ${MAX_VISITS} fields once its fragments are expanded.`,
          );
        }
        return false;
      },
    });
  return [
    rule((context, node, fragments, visits) => {
      const aliases = countAliases(node.selectionSet, fragments, visits);
      if (aliases > limits.maxAliases) {
        refuse(
          context,
          node,
          `${operationName(node)} uses ${aliases} aliases; at most ${limits.maxAliases} are allowed.`,
        );
      }
    }),
    rule((context, node, fragments, visits) => {
      const roots = [...fieldsOf(node.selectionSet, fragments, visits)];
      if (roots.length > limits.maxRootFields) {
        refuse(
          context,
          node,
          `${operationName(node)} selects ${roots.length} root fields; at most ${limits.maxRootFields} are allowed.`,
        );
      }
      const auth = roots.filter((field) => AUTH_FIELDS.has(field.name.value));
      if (node.operation === 'mutation' && auth.length > 1) {
        refuse(
          context,
          node,
          `${operationName(node)} may contain only one register or login field per request.`,
        );
      }
    }),
    rule((context, node, fragments, visits) => {
      const depth = depthOf(node.selectionSet, fragments, limits.maxDepth, visits);
      if (depth > limits.maxDepth) {
        refuse(
          context,
          node,
          `${operationName(node)} is nested too deeply; at most ${limits.maxDepth} levels are allowed.`,
        );
      }
    }),
    rule((context, node, fragments, visits) => {
      const schema = context.getSchema();
      const root = schema.getRootType(node.operation);
      if (!root) return;
      const cost = costOf(node.selectionSet, root, fragments, limits.maxCost, visits);
      if (cost > limits.maxCost) {
        refuse(
          context,
          node,
          `${operationName(node)} is too expensive (estimated cost over ${limits.maxCost}); ask for fewer fields or smaller pages.`,
        );
      }
    }),
  ];
}

/** graphql's `validate` with the limit rules added, for servers (graphql-ws) that take a validate function. */
export function validateWithLimits(rules: readonly ValidationRule[]): typeof validate {
  return (schema, document, given, options, typeInfo) =>
    validate(schema, document, [...(given ?? specifiedRules), ...rules], options, typeInfo);
}
