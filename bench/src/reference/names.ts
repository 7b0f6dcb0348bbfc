/** The reference pipeline's queue, under a prefix of its own. */
export const REFERENCE_QUEUE = 'reference';
