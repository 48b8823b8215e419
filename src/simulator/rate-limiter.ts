/**
 * The simulator's requests-per-second limit: a sliding one-second window over the accepted
 * requests, as a vendor that "limits requests per second per token" would count them. A refused
 * request does not count, so a client that backs off gets through again after the window slides.
 */
export function rateLimiter(perSecond: number): (now: number) => boolean {
  const accepted: number[] = [];
  let head = 0;
  return (now) => {
    while (head < accepted.length && accepted[head]! <= now - 1000) head++;
    if (head > 4096) {
      accepted.splice(0, head);
      head = 0;
    }
    if (accepted.length - head >= perSecond) return true;
    accepted.push(now);
    return false;
  };
}
