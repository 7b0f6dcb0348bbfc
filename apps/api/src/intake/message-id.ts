import { randomFillSync } from 'node:crypto';

const ID_BYTES = 16;
/** Ids drawn per call to the CSPRNG: one syscall-backed fill per 256 messages, not one per message. */
const POOL_BYTES = ID_BYTES * 256;

/** What every message id looks like: 22 base64url characters (a batch's id and a place in it, too). */
export const MESSAGE_ID = /^[A-Za-z0-9_-]{22}$/;

let pool = Buffer.alloc(0);
let offset = 0;

/** 128 random bits, URL-safe: opaque and unguessable (at least 96, so that ids cannot be guessed). */
export function newMessageId(): string {
  if (offset === pool.length) {
    // A fresh buffer each time, never refilled in place: an id handed out is never reused.
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}

/** Whether `text` has the shape of a message id, so it is worth looking up at all. */
export function isMessageId(text: string): boolean {
  return MESSAGE_ID.test(text);
}
