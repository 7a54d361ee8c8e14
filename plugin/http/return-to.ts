/** Where a browser may be sent after a login: same-origin relative paths only (no open redirect). */

/** The value if it is a same-origin relative path; anything else falls back to `/`. */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f]/.test(value)) return '/';
  return value;
}
