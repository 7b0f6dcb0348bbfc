import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * How long the test certificates are valid: long enough that a run with the apps' clock moved
 * a year ahead of Redis's (tools/testkit/bin/test-with-clock.sh) still trusts them.
 */
const CERTIFICATE_DAYS = '800';

/** A private CA and a server certificate it signed, as PEM files in a temporary directory. */
export interface TestCertificates {
  readonly dir: string;
  /** The CA's certificate: what a client must trust (e.g. through NODE_EXTRA_CA_CERTS). */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** Removes the directory and every file in it. */
  remove(): void;
}

export interface CertificateOptions {
  /** Subject alternative names of the server certificate. Default `IP:127.0.0.1`. */
  subjectAltNames?: readonly string[];
  /** Name of the CA, to tell two test CAs apart in error messages. Default "msgpipe test CA". */
  caName?: string;
  /**
   * Also let the certificate identify a client (`extendedKeyUsage=serverAuth,clientAuth`), as
   * the nodes of a cluster with `tls-cluster yes` do on the cluster bus, where Redis always asks
   * the connecting node for a certificate. Default false: a server certificate only.
   */
  clientAuth?: boolean;
}

/**
 * Makes a CA and a server certificate with the openssl CLI, for tests of TLS with real
 * processes. Nothing is trusted by default: a client trusts the CA only when told to.
 */
export function createTestCertificates({
  subjectAltNames = ['IP:127.0.0.1'],
  caName = 'msgpipe test CA',
  clientAuth = false,
}: CertificateOptions = {}): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'msgpipe-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', CERTIFICATE_DAYS, '-subj', `/CN=${caName}`,
      '-keyout', file('ca.key'), '-out', file('ca.crt'));
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=msgpipe test redis',
      '-keyout', file('server.key'), '-out', file('server.csr'));
    // openssl x509 -req copies no extensions from the request: the SAN comes from this file.
    const usage = clientAuth ? 'serverAuth,clientAuth' : 'serverAuth';
    writeFileSync(file('server.ext'), `subjectAltName=${subjectAltNames.join(',')}\nextendedKeyUsage=${usage}\n`);
    openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial',
      '-days', CERTIFICATE_DAYS, '-extfile', file('server.ext'), '-out', file('server.crt'));
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl could not make the test certificates: ${(error as Error).message}\n${stderr}`);
  }
  return {
    dir,
    caFile: file('ca.crt'),
    certFile: file('server.crt'),
    keyFile: file('server.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
