/**
 * HTML templating for the console: a tagged template whose interpolations are escaped unless
 * they are already `Html` (the result of another `html` template). Escaping happens here and
 * nowhere else; pages never concatenate strings into markup.
 */
import { escapeHtml } from '../http/pages.ts';

/** Markup that is safe to insert as is. Only `html` and `trusted` make one. */
export class Html {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

/** Anything a template accepts: text (escaped), markup, lists of either, or nothing. */
export type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** For constant markup written in this code base (never for data). */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** Pretty JSON for a `<pre>`; escaped by the template that inserts it. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'null';
}

/** `2024-05-01 12:34:56 UTC` from an ISO string (or a dash). */
export function when(iso: string | null | undefined): Html {
  if (!iso) return html`<span class="muted">–</span>`;
  const [date, time] = iso.replace(/\.\d{3}Z$/, '').split('T');
  // Wraps between date and time only, never inside either.
  return html`<time datetime="${iso}"><span class="nw">${date}</span> <span class="nw">${time ?? ''} UTC</span></time>`;
}
