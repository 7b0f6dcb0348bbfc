/** Host parts 1–254 of each /24: .0 and .255 are network and broadcast addresses. */
const HOSTS_PER_SUBNET = 254;

/**
 * `count` client addresses 127.<block>.x.y: 127.<block>.0.1 … 127.<block>.0.254, then
 * 127.<block>.1.1 and on (up to 65,024 of them). On Linux every 127.x.y.z address is local, so
 * each is a client of its own to the API (its own history, rate limit and partition).
 *
 * `block` (1–255) keeps users apart: give each test file (or other user) a block of its own,
 * so files sharing one Redis never share a client. 127.0.x.y (block 0) is left to the
 * addresses tests write out by hand, 127.0.0.1 among them.
 */
export function clientIps(block: number, count: number): string[] {
  if (!Number.isInteger(block) || block < 1 || block > 255) throw new RangeError(`block must be 1–255, got ${block}`);
  if (count > HOSTS_PER_SUBNET * 256) throw new RangeError(`at most ${HOSTS_PER_SUBNET * 256} addresses per block, asked for ${count}`);
  return Array.from({ length: count }, (_, index) => `127.${block}.${Math.floor(index / HOSTS_PER_SUBNET)}.${(index % HOSTS_PER_SUBNET) + 1}`);
}
