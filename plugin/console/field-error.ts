/**
 * A refused save shown where it belongs: the admin API's 400 names the field (`issuer`,
 * `provisioning.rules.organizations.home-lab.roles.expression`, `domains[1]`), and the form puts
 * the message next to the input that wrote that field, with the values the admin typed kept.
 */
import { isGatehouseError } from '../errors.ts';
import { html, type Html } from './html.ts';

export interface FieldProblem {
  field: string;
  message: string;
}

/** The field a validation error names, or null for any other error (those propagate). */
export function fieldProblem(e: unknown): FieldProblem | null {
  if (!isGatehouseError(e) || e.code !== 'ERR_VALIDATION') return null;
  const field = e.details?.field;
  return { field: typeof field === 'string' ? field : '(body)', message: e.message };
}

/** True when `problem` names `path` or something inside it (`domains` covers `domains[1]`). */
export function isAt(problem: FieldProblem | null, path: string): boolean {
  if (!problem) return false;
  const f = problem.field;
  return f === path || f.startsWith(`${path}.`) || f.startsWith(`${path}[`);
}

/** The inline message for an input whose `aria-describedby` is `id` (nothing when it is not at `path`). */
export function problemAt(problem: FieldProblem | null, path: string, id: string): Html {
  return isAt(problem, path) ? html`<p class="field-error" id="${id}" role="alert">${problem!.message}</p>` : html``;
}

/** `aria-invalid` and `aria-describedby` for an input at `path`. */
export function invalidAttrs(problem: FieldProblem | null, path: string, id: string): Html {
  return isAt(problem, path) ? html` aria-invalid="true" aria-describedby="${id}"` : html``;
}
