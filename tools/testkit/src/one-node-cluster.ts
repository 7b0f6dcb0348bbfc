import { RedisServer, runOwned } from '@msgpipe/redis-server';
import { Timeouts } from './timeouts.js';
import { waitFor } from './wait-for.js';


/**
 * A Redis Cluster of one node that owns every slot. Redis still refuses (CROSSSLOT) any
 * multi-key command or script whose keys hash to different slots, exactly as it would across
 * many nodes, so code that passes here keeps each step inside one slot.
 */
export async function startOneNodeCluster(): Promise<RedisServer> {
  const node = await RedisServer.start({ settings: { 'cluster-enabled': 'yes', 'cluster-announce-ip': '127.0.0.1' } });
  const cli = (...args: string[]) => runOwned('redis-cli', ['-p', String(node.port), ...args], { timeoutMs: Timeouts.request });
  try {
    await cli('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    await waitFor('the one-node cluster to be ok', async () => /cluster_state:ok/.test((await cli('CLUSTER', 'INFO')).stdout));
    return node;
  } catch (error) {
    await node.stop();
    throw error;
  }
}
