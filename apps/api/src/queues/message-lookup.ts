import type { Services } from '../context.js';
import { fromHistory, fromJob, type MessageView } from '../routes/message-view.js';

/** Who asks for a message: a client by its IP, and whether it is an admin, who may read any message. */
export interface MessageAsker {
  ip: string;
  admin: boolean;
}

/**
 * A message by id, as `GET /v1/messages/{id}` and the ops page's search show it: found
 * through its job while BullMQ still keeps it, else in its sender's history, the record that
 * outlives the job. `id` must have a message id's shape (isMessageId).
 */
export async function lookUpMessage({ queues, history, redisWork }: Pick<Services, 'queues' | 'history' | 'redisWork'>, id: string, asker: MessageAsker): Promise<MessageView | undefined> {
  const inQueue = await redisWork(() => (asker.admin ? queues.findAny(id) : queues.find(asker.ip, id)));
  // A message of a batch still running may be finished already: its history says so.
  const sender = inQueue?.job.ip ?? asker.ip;
  const unfinished = inQueue && inQueue.status !== 'completed' && inQueue.status !== 'failed';
  if (unfinished && !(inQueue.inBatch && inQueue.status === 'processing')) return fromJob(inQueue.job, inQueue.status);
  const entry = await redisWork(() => history.find(sender, id));
  if (entry) return fromHistory(entry, sender);
  if (unfinished) return fromJob(inQueue.job, inQueue.status);
  return undefined;
}
