/** A body read up to a limit: `complete` is false when there was more, left unread. */
export interface BoundedBody {
  text: string;
  complete: boolean;
}

/**
 * Reads at most `limit` bytes of a response's body, so an upstream cannot make the worker hold
 * more than that: a Content-Length over the limit is refused before reading anything, and a
 * body without one is counted as it arrives. Whatever is left is cancelled, which closes the
 * connection rather than draining it.
 */
export async function readAtMost(response: Response, limit: number): Promise<BoundedBody> {
  if (response.body === null) return { text: '', complete: true };
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await response.body.cancel().catch(() => {});
    return { text: '', complete: false };
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: Buffer.concat(chunks).toString('utf8'), complete: true };
    if (bytes + value.byteLength > limit) {
      chunks.push(value.subarray(0, limit - bytes));
      await reader.cancel().catch(() => {});
      return { text: Buffer.concat(chunks).toString('utf8'), complete: false };
    }
    chunks.push(value);
    bytes += value.byteLength;
  }
}
