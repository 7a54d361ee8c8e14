/**
 * A tiny browser stand-in for end-to-end tests: real HTTP (fetch), a cookie jar per agent,
 * redirects followed by hand so tests can stop at any hop and look at it.
 */
export interface AgentResponse {
  status: number;
  url: string;
  headers: Headers;
  text: string;
  location: string | null;
  json<T = unknown>(): T;
}

export class Agent {
  private readonly jar = new Map<string, Map<string, string>>();
  /** Each request is aborted after this long (a test of a hang fails instead of waiting forever). */
  private readonly timeoutMs: number | undefined;

  constructor(opts: { timeoutMs?: number } = {}) {
    this.timeoutMs = opts.timeoutMs;
  }

  /** Cookie header value for a URL's origin (host-scoped; good enough for loopback tests). */
  cookieHeader(url: string): string {
    const host = new URL(url).host;
    const cookies = this.jar.get(host);
    if (!cookies) return '';
    return [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  setCookie(url: string, name: string, value: string): void {
    const host = new URL(url).host;
    let cookies = this.jar.get(host);
    if (!cookies) this.jar.set(host, (cookies = new Map()));
    cookies.set(name, value);
  }

  clearCookies(url?: string): void {
    if (url === undefined) this.jar.clear();
    else this.jar.delete(new URL(url).host);
  }

  /** Copies this agent's cookies for one origin into another agent (session theft / replay tests). */
  copyCookiesTo(other: Agent, url: string): void {
    const host = new URL(url).host;
    const cookies = this.jar.get(host);
    if (cookies) for (const [k, v] of cookies) other.setCookie(url, k, v);
  }

  private store(url: string, headers: Headers): void {
    const host = new URL(url).host;
    for (const line of headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      if (!pair) continue;
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let cookies = this.jar.get(host);
      if (!cookies) this.jar.set(host, (cookies = new Map()));
      const expired = attrs.some((a) => /^\s*max-age=0/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
      if (expired || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
  }

  /** One request, no redirect following. */
  async request(
    url: string,
    init: { method?: string; body?: string | URLSearchParams; headers?: Record<string, string>; json?: unknown } = {},
  ): Promise<AgentResponse> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers['content-type'] ??= 'application/json';
    } else if (init.body instanceof URLSearchParams) {
      body = init.body.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else body = init.body;
    const signal = this.timeoutMs === undefined ? undefined : AbortSignal.timeout(this.timeoutMs);
    const res = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual', signal });
    this.store(url, res.headers);
    const text = await res.text();
    const location = res.headers.get('location');
    return {
      status: res.status,
      url,
      headers: res.headers,
      text,
      location: location === null ? null : new URL(location, url).toString(),
      json<T>() {
        return JSON.parse(text) as T;
      },
    };
  }

  get(url: string, headers?: Record<string, string>): Promise<AgentResponse> {
    return this.request(url, headers ? { headers } : {});
  }

  postForm(url: string, form: Record<string, string>): Promise<AgentResponse> {
    return this.request(url, { method: 'POST', body: new URLSearchParams(form) });
  }

  /** Follows redirects (GET) until a non-3xx answer or `stopWhen` says stop; returns every hop. */
  async follow(
    url: string,
    opts: { max?: number; stopWhen?: (res: AgentResponse) => boolean } = {},
  ): Promise<AgentResponse[]> {
    const hops: AgentResponse[] = [];
    let next: string | null = url;
    for (let i = 0; i < (opts.max ?? 20) && next; i++) {
      const res = await this.get(next);
      hops.push(res);
      if (opts.stopWhen?.(res)) break;
      next = res.status >= 300 && res.status < 400 ? res.location : null;
    }
    return hops;
  }
}

/** Parses the first HTML form on a page: action and hidden/visible input values (for auto-post pages). */
export function parseForm(
  html: string,
  baseUrl: string,
  pick: (inner: string) => boolean = () => true,
): { action: string; method: string; fields: Record<string, string> } {
  const form = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].find((m) => pick(m[2] ?? ''));
  if (!form) throw new Error(`no matching form in page: ${html.slice(0, 300)}`);
  const attrs = form[1] ?? '';
  const action = /action="([^"]*)"/i.exec(attrs)?.[1] ?? baseUrl;
  const method = (/method="([^"]*)"/i.exec(attrs)?.[1] ?? 'GET').toUpperCase();
  const fields: Record<string, string> = {};
  for (const m of (form[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
    const a = m[1] ?? '';
    const name = /name="([^"]*)"/i.exec(a)?.[1];
    if (name === undefined) continue;
    fields[name] = decodeEntities(/value="([^"]*)"/i.exec(a)?.[1] ?? '');
  }
  return { action: new URL(decodeEntities(action), baseUrl).toString(), method, fields };
}

export function decodeEntities(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
