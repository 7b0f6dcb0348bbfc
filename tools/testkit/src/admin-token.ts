/** The ADMIN_TOKEN of every process a test starts (the product wants at least 16 characters). */
export const ADMIN_TOKEN = 'testkit-admin-token-0123456789';

/** Headers of an admin request to those processes. */
export const asAdmin = { authorization: `Bearer ${ADMIN_TOKEN}` } as const;
