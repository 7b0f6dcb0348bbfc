import { describe, expect, it } from 'vitest';
import { newMessageId } from './message-id.js';

describe('newMessageId', () => {
  it('gives 22-character base64url ids (128 bits), all distinct across several pool refills', () => {
    const ids = Array.from({ length: 2000 }, () => newMessageId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses every bit position: no byte of the ids is constant', () => {
    const bytes = Array.from({ length: 512 }, () => Buffer.from(newMessageId(), 'base64url'));
    for (let index = 0; index < 16; index++) {
      expect(new Set(bytes.map((id) => id[index])).size, `byte ${index}`).toBeGreaterThan(100);
    }
  });
});
