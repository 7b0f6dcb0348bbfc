/**
 * How an admin proves it: the admin token as a Bearer token, or as the password of HTTP Basic
 * (any user name) so a browser can open the admin pages (admin-auth.ts).
 */
export const SECURITY_SCHEMES = {
  adminBearer: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN as a Bearer token.' },
  adminBasic: { type: 'http', scheme: 'basic', description: 'Any user name, ADMIN_TOKEN as the password.' },
} as const;

/** Admin routes: either scheme. */
export const ADMIN_ONLY: Array<Record<string, string[]>> = [{ adminBearer: [] }, { adminBasic: [] }];
/** Public routes where the admin token widens what is answered (or spends no read budget). */
export const ADMIN_OPTIONAL: Array<Record<string, string[]>> = [{}, ...ADMIN_ONLY];
