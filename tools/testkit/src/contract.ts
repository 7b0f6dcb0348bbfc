/**
 * The product's promises about time that tests measure: the only durations a test asserts.
 * Each is kept by a deadline timer of the product's own set well inside the promise (the API's
 * Redis deadline is 1.8 s, a producer command's 1.5 s), so a slow or busy machine does not
 * break it; how fast things go is the benchmark's business, not a test's.
 */
export const Contract: Readonly<Record<'unavailableWithinMs', number>> = {
  /** docs/http-api.md: while Redis is stalled or down, a request answers 503 within 2 s. */
  unavailableWithinMs: 2000,
};
