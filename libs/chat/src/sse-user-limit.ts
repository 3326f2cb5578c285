import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { AppConfig, TooManyRequestsError } from '@agents/core';

/** Seconds a refused client is told to wait: streams free up as soon as another of theirs closes. */
const RETRY_AFTER_SECONDS = 5;

/**
 * Caps the chat streams (SSE) one user holds open at MAX_SSE_CONNECTIONS_PER_USER. Counted per api
 * process, in memory: behind a load balancer a user may hold that many on each instance, which
 * still bounds what any one instance keeps open for them (sockets, bus subscriptions, timers), and
 * a crashed instance leaves no count behind in shared state to clean up.
 */
@Injectable()
export class SseUserLimit {
  private readonly open = new Map<string, number>();

  constructor(private readonly config: AppConfig) {}

  /**
   * Counts `res` against the user until it finishes or its connection closes; 429 with Retry-After
   * when they already hold the maximum. A response whose client is already gone is not counted:
   * its close has happened and would never release it.
   */
  hold(userId: string, res: Response): void {
    const count = this.open.get(userId) ?? 0;
    const max = this.config.maxSseConnectionsPerUser;
    if (count >= max) {
      throw new TooManyRequestsError(
        `You already have ${max} streams open; close one before opening another`,
        RETRY_AFTER_SECONDS,
      );
    }
    if (res.writableEnded || res.destroyed || !res.socket || res.socket.destroyed) return;
    this.open.set(userId, count + 1);
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      const left = (this.open.get(userId) ?? 1) - 1;
      if (left > 0) this.open.set(userId, left);
      else this.open.delete(userId);
    };
    res.once('finish', release);
    res.once('close', release);
  }

  /** Streams the user holds open on this process. */
  openFor(userId: string): number {
    return this.open.get(userId) ?? 0;
  }
}
