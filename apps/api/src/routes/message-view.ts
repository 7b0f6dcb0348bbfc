import type { HistoryEntry, MessageJob, MessageStatus } from '@msgpipe/shared';

/** A message as the API shows it: `GET /v1/messages/{id}`, `?wait`, and the stream. */
export interface MessageView {
  id: string;
  status: MessageStatus;
  message: string;
  ip: string;
  sendTime: string;
  response?: string;
  respondedAt?: string;
  error?: string;
}

/** Named fields only: a job also carries what its sender is not shown (its trace context, the retries' bookkeeping). */
export const fromJob = ({ id, message, ip, sendTime }: MessageJob, status: MessageStatus): MessageView => ({ id, status, message, ip, sendTime });

export const fromHistory = ({ id, status, message, sendTime, response, respondedAt, error }: HistoryEntry, ip: string): MessageView => ({
  id,
  status,
  message,
  ip,
  sendTime,
  ...(response !== undefined && { response }),
  ...(respondedAt !== undefined && { respondedAt }),
  ...(error !== undefined && { error }),
});
