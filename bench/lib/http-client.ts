/**
 * A lean HTTP/1.1 keep-alive client over `node:net`, for load generators.
 *
 * Why it exists: node:http's client (http.request + Agent) spends a lot of CPU per request on
 * its streams, events and header machinery. When the benchmark and the server share a small
 * machine, that CPU is taken from the server and the figures measure the client as much as the
 * server. This client does the minimum, like wrk: one request string written with one
 * socket.write, the response parsed in place from the socket's chunks.
 *
 * Scope: a fixed pool of `connections` sockets, one request in flight per socket (no
 * pipelining); requests beyond that wait in a queue. Responses framed by Content-Length, by
 * `Transfer-Encoding: chunked` (trailers are read and dropped), or by the end of the connection;
 * no body for HEAD, 1xx, 204 and 304. `Connection: close` (or HTTP/1.0 without keep-alive) drops
 * the socket after the response and the next request opens a new one. A socket error or a close
 * before the response is complete rejects the request, except that a request written to a
 * reused keep-alive socket which closed before answering anything (the server timed the idle
 * connection out at that moment) is sent once more on a new socket. No timeouts, no redirects,
 * no TLS; headers and paths are trusted (not checked for CR/LF).
 */
import net from 'node:net';

export interface LeanResponse {
  status: number;
  /** Lower-case names; repeated fields joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

export interface LeanClient {
  request(method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<LeanResponse>;
  /** Destroys every socket and rejects the requests in flight or waiting. */
  close(): void;
}

interface Job {
  wire: string | Buffer;
  /** A HEAD request: the response has no body whatever its headers say. */
  noBody: boolean;
  /** Written to a socket that had carried a response before. */
  reused: boolean;
  retried: boolean;
  resolve(res: LeanResponse): void;
  reject(err: Error): void;
}

const EMPTY = Buffer.alloc(0);

/** Where the parser is in the current response. */
type State = 'head' | 'fixed' | 'size' | 'data' | 'crlf' | 'trailer' | 'eof';

class Connection {
  private socket: net.Socket | null = null;
  private job: Job | null = null;
  // Parser state for the response to `job`.
  private buf: Buffer = EMPTY;
  private scan = 0;
  private state: State = 'head';
  private status = 0;
  private headers: Record<string, string> = {};
  private parts: Buffer[] = [];
  private remaining = 0;
  private keepAlive = true;
  private received = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly onFree: (c: Connection) => void,
  ) {}

  send(job: Job): void {
    if (this.socket && !this.socket.writable) this.dropSocket();
    job.reused = this.socket !== null;
    if (!this.socket) this.connect();
    this.job = job;
    this.buf = EMPTY;
    this.scan = 0;
    this.state = 'head';
    this.parts = [];
    this.received = false;
    this.socket!.write(job.wire);
  }

  destroy(err: Error): void {
    this.dropSocket();
    const job = this.job;
    this.job = null;
    job?.reject(err);
  }

  private connect(): void {
    const socket = net.connect(this.port, this.host);
    socket.setNoDelay(true);
    // A socket replaced by a newer one (closed by us) no longer reports anything.
    socket.on('data', (chunk: Buffer) => {
      if (socket === this.socket) this.onData(chunk);
    });
    socket.on('error', (err) => {
      if (socket === this.socket) this.onGone(err);
    });
    socket.on('close', () => {
      if (socket === this.socket) this.onGone(null);
    });
    this.socket = socket;
  }

  private dropSocket(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private onData(chunk: Buffer): void {
    if (!this.job) {
      // Bytes nobody asked for: the connection can no longer be trusted.
      this.dropSocket();
      return;
    }
    this.received = true;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    try {
      this.parse();
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** The socket errored or closed. */
  private onGone(err: Error | null): void {
    this.socket = null;
    const job = this.job;
    if (!job) return;
    if (!err && this.state === 'eof') return this.complete();
    if (job.reused && !this.received && !job.retried) {
      job.retried = true;
      return this.send(job);
    }
    this.fail(err ?? new Error('connection closed before the response was complete'));
  }

  private fail(err: Error): void {
    this.dropSocket();
    const job = this.job;
    this.job = null;
    job?.reject(err);
    this.onFree(this);
  }

  /** Consumes `buf` as far as it goes; returns when it needs more bytes or the response is done. */
  private parse(): void {
    while (this.job) {
      const buf = this.buf;
      switch (this.state) {
        case 'head': {
          const end = buf.indexOf('\r\n\r\n', this.scan);
          if (end === -1) {
            this.scan = Math.max(0, buf.length - 3);
            return;
          }
          this.buf = buf.subarray(end + 4);
          this.scan = 0;
          this.readHead(buf.toString('latin1', 0, end));
          break;
        }
        case 'fixed':
        case 'data': {
          if (buf.length === 0) return;
          const n = Math.min(this.remaining, buf.length);
          this.parts.push(n === buf.length ? buf : buf.subarray(0, n));
          this.buf = buf.subarray(n);
          this.remaining -= n;
          if (this.remaining > 0) return;
          if (this.state === 'fixed') return this.complete();
          this.state = 'crlf';
          break;
        }
        case 'crlf': {
          if (buf.length < 2) return;
          if (buf[0] !== 13 || buf[1] !== 10) throw new Error('malformed chunked body: no CRLF after chunk data');
          this.buf = buf.subarray(2);
          this.state = 'size';
          break;
        }
        case 'size': {
          const eol = buf.indexOf('\r\n');
          if (eol === -1) return;
          const line = buf.toString('latin1', 0, eol);
          const size = parseInt(line, 16); // stops at a ";name=value" extension
          if (!Number.isSafeInteger(size) || size < 0) throw new Error(`malformed chunk size: ${JSON.stringify(line.slice(0, 40))}`);
          this.buf = buf.subarray(eol + 2);
          if (size === 0) this.state = 'trailer';
          else {
            this.remaining = size;
            this.state = 'data';
          }
          break;
        }
        case 'trailer': {
          const eol = buf.indexOf('\r\n');
          if (eol === -1) return;
          this.buf = buf.subarray(eol + 2);
          if (eol === 0) return this.complete();
          break;
        }
        case 'eof': {
          if (buf.length > 0) this.parts.push(buf);
          this.buf = EMPTY;
          return;
        }
      }
    }
  }

  /** Parses the status line and header fields, and sets how the body is framed. */
  private readHead(head: string): void {
    const lines = head.split('\r\n');
    const statusLine = lines[0] ?? '';
    if (!/^HTTP\/1\.[01] [1-9]\d\d(?: |$)/.test(statusLine)) throw new Error(`malformed status line: ${JSON.stringify(statusLine.slice(0, 60))}`);
    const status = Number(statusLine.slice(9, 12));
    if (status < 200) {
      // Interim response (100 Continue, 103 Early Hints): the real one follows.
      if (status === 101) throw new Error('protocol upgrades are not supported');
      return;
    }
    const headers: Record<string, string> = Object.create(null) as Record<string, string>;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`malformed header line: ${JSON.stringify(line.slice(0, 60))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const seen = headers[name];
      headers[name] = seen === undefined ? value : `${seen}, ${value}`;
    }
    this.status = status;
    this.headers = headers;
    const connection = (headers['connection'] ?? '').toLowerCase();
    this.keepAlive = statusLine[7] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    if (this.job!.noBody || status === 204 || status === 304) return this.complete();
    if (te !== undefined) {
      // Chunked must be the last coding; anything else is delimited by the end of the connection.
      if (/(^|,)\s*chunked\s*$/i.test(te)) this.state = 'size';
      else this.readToEof();
    } else if (cl !== undefined) {
      const length = Number(cl);
      if (!/^\d+$/.test(cl) || !Number.isSafeInteger(length)) throw new Error(`malformed Content-Length: ${JSON.stringify(cl.slice(0, 40))}`);
      if (length === 0) return this.complete();
      this.remaining = length;
      this.state = 'fixed';
    } else this.readToEof();
  }

  private readToEof(): void {
    this.state = 'eof';
    this.keepAlive = false;
  }

  private complete(): void {
    const job = this.job!;
    this.job = null;
    const parts = this.parts;
    const body = parts.length === 0 ? EMPTY : parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    // Bytes after a complete response were never asked for (no pipelining): do not reuse the socket.
    if (!this.keepAlive || this.buf.length > 0) this.dropSocket();
    this.buf = EMPTY;
    this.parts = [];
    this.state = 'head';
    job.resolve({ status: this.status, headers: this.headers, body });
    this.onFree(this);
  }
}

export function createLeanClient(options: { host: string; port: number; connections: number }): LeanClient {
  const { host, port } = options;
  const hostHeader = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const idle: Connection[] = [];
  const all: Connection[] = [];
  const waiting: Job[] = [];
  let closed = false;

  const onFree = (c: Connection) => {
    if (closed) return;
    const next = waiting.shift();
    if (next) c.send(next);
    else idle.push(c);
  };

  const dispatch = (job: Job) => {
    const free = idle.pop();
    if (free) return free.send(job);
    if (all.length < options.connections) {
      const c = new Connection(host, port, onFree);
      all.push(c);
      return c.send(job);
    }
    waiting.push(job);
  };

  return {
    request(method, path, headers, body) {
      if (closed) return Promise.reject(new Error('client closed'));
      let head = `${method} ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\n`;
      for (const name in headers) {
        const lower = name.toLowerCase();
        if (lower !== 'host' && lower !== 'content-length') head += `${name}: ${headers[name]}\r\n`;
      }
      let wire: string | Buffer;
      if (body === undefined) wire = `${head}\r\n`;
      else if (typeof body === 'string') wire = `${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      else wire = Buffer.concat([Buffer.from(`${head}Content-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
      return new Promise<LeanResponse>((resolve, reject) => {
        dispatch({ wire, noBody: method === 'HEAD', reused: false, retried: false, resolve, reject });
      });
    },
    close() {
      closed = true;
      const err = new Error('client closed');
      for (const job of waiting.splice(0)) job.reject(err);
      for (const c of all) c.destroy(err);
      all.length = 0;
      idle.length = 0;
    },
  };
}
