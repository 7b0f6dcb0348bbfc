import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureRedisServerBinary } from './binary.js';
import { freePort } from './free-port.js';
import { spawnOwned } from './owned-process.js';

export interface RedisServerOptions {
  /** Default: a free port (retried if another process takes it first). */
  port?: number;
  /** Default: 127.0.0.1. */
  bind?: string;
  /** Data directory. Default: a fresh temporary directory, removed again by stop(). */
  dir?: string;
  /** A redis.conf to start from; command-line settings below override it. */
  configFile?: string;
  /**
   * Extra `--name value` settings. Without a config file the server runs with no
   * persistence (`--save '' --appendonly no`) unless these say otherwise.
   */
  settings?: Record<string, string>;
  /** How long to wait for "Ready to accept connections". Default 30 s: generous, for a busy machine. */
  startTimeoutMs?: number;
  /**
   * Serve TLS only: `port` becomes the TLS port and the plain port is closed. Clients are not
   * asked for certificates (`tls-auth-clients no`), as with a managed Redis.
   */
  tls?: RedisTlsFiles;
}

/** PEM files for a TLS-only server. */
export interface RedisTlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

function listenSettings(port: number, tls: RedisTlsFiles | undefined): Record<string, string> {
  if (!tls) return { port: String(port) };
  return {
    port: '0',
    'tls-port': String(port),
    'tls-cert-file': tls.certFile,
    'tls-key-file': tls.keyFile,
    'tls-ca-cert-file': tls.caFile,
    'tls-auth-clients': 'no',
  };
}

const READY_LINE = /Ready to accept connections/;
const PORT_TAKEN = /Address already in use|bind: /;

/** A real redis-server child process, for the launcher, the tests and the benchmark. */
export class RedisServer {
  readonly exited: Promise<number | null>;
  #stopping?: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly host: string,
    readonly port: number,
    readonly dir: string,
    private readonly ownsDir: boolean,
    readonly tls: boolean,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const attempts = options.port === undefined ? 5 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await RedisServer.#startOnce(options, options.port ?? (await freePort(options.bind)));
      } catch (error) {
        if (attempt >= attempts || !PORT_TAKEN.test((error as Error).message)) throw error;
      }
    }
  }

  static async #startOnce(options: RedisServerOptions, port: number): Promise<RedisServer> {
    const binary = ensureRedisServerBinary();
    const host = options.bind ?? '127.0.0.1';
    const ownsDir = options.dir === undefined;
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'msgpipe-redis-'));
    mkdirSync(dir, { recursive: true });

    const defaults: Record<string, string> = options.configFile ? {} : { save: '', appendonly: 'no' };
    const settings: Record<string, string> = {
      ...defaults,
      ...options.settings,
      ...listenSettings(port, options.tls),
      bind: host,
      dir,
      daemonize: 'no',
      logfile: '',
    };
    const args = [
      ...(options.configFile ? [options.configFile] : []),
      ...Object.entries(settings).flatMap(([name, value]) => [`--${name}`, value]),
    ];
    // Its own process group: a Ctrl-C meant for the launcher must not stop Redis before the
    // processes that still write to it. Owned: it dies with its parent all the same.
    const child = spawnOwned(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const server = new RedisServer(child, host, port, dir, ownsDir, options.tls !== undefined);

    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      const timeoutMs = options.startTimeoutMs ?? 30_000;
      const timer = setTimeout(() => reject(new Error(`redis-server did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (READY_LINE.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with code ${code} before it was ready:\n${output}`));
      });
    });
    try {
      await ready;
    } catch (error) {
      await server.stop();
      throw error;
    }
    // Keep draining the pipes so a chatty server never blocks on a full buffer.
    child.stdout?.resume();
    child.stderr?.resume();
    return server;
  }

  get url(): string {
    return `${this.tls ? 'rediss' : 'redis'}://${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a signal: SIGSTOP/SIGCONT to stall and resume it, SIGKILL to crash it. */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Stops the server (SIGTERM: it saves if persistence is on), SIGKILL after a grace period. */
  stop(graceMs = 10_000): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.running) {
        this.child.kill('SIGCONT'); // a stopped process cannot act on SIGTERM
        this.child.kill('SIGTERM');
        const killer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
        await this.exited;
        clearTimeout(killer);
      }
      if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.#stopping;
  }
}
