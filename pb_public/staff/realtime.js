// realtime.js: PocketBase's realtime API over a plain EventSource. The
// server sends PB_CONNECT with a client id; the subscriptions are then set
// with a POST carrying the staff token, so the server checks each record
// against the collections' rules before sending it. EventSource reconnects
// by itself; every new PB_CONNECT re-subscribes. It gives up for good on
// an answer that is not the stream (a proxy's 502 while the server
// restarts): then a new one is opened after a wait, longer each time. The
// server keeps no events for a client that was away, so once live again
// after a break the console is told to read again what it shows
// (onResume).

import { request } from './api.js';

// RETRY_FIRST and RETRY_MAX bound the wait before a new stream after the
// browser gave one up, in ms.
const RETRY_FIRST = 2000;
const RETRY_MAX = 60000;

export class Realtime {
  /**
   * @param {string[]} topics e.g. ["reports/*", "messages/*"]
   * @param {(topic: string, event: {action: string, record: object}) => void} onEvent
   * @param {(state: "live"|"connecting"|"offline") => void} onState
   * @param {() => void} onResume called when live again after a break,
   *   when events may have been missed
   */
  constructor(topics, onEvent, onState = () => {}, onResume = () => {}) {
    this.topics = topics;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onResume = onResume;
    this.source = null;
    this.wasLive = false; // live once already: the next time is a resumption
    this.retry = 0; // the timer of the next start after a give-up
    this.wait = RETRY_FIRST;
  }

  start() {
    this.stop();
    this.onState('connecting');
    const source = new EventSource('/api/realtime');
    this.source = source;
    // giveUp closes a stream that will not serve, and opens a new one later.
    const giveUp = () => {
      if (this.source !== source) return; // stopped or replaced since
      source.close();
      this.onState('offline');
      this.retry = setTimeout(() => this.start(), this.wait);
      this.wait = Math.min(this.wait * 2, RETRY_MAX);
    };
    source.addEventListener('PB_CONNECT', (e) => {
      const { clientId } = JSON.parse(e.data);
      request('/api/realtime', { method: 'POST', body: { clientId, subscriptions: this.topics } })
        .then(() => {
          if (this.source !== source) return; // stopped since
          this.onState('live');
          this.wait = RETRY_FIRST;
          if (this.wasLive) this.onResume();
          this.wasLive = true;
        })
        .catch(giveUp); // not subscribed: no event would come
    });
    for (const topic of this.topics) {
      source.addEventListener(topic, (e) => {
        try {
          this.onEvent(topic, JSON.parse(e.data));
        } catch {
          // A malformed event is dropped; the next list load shows the truth.
        }
      });
    }
    source.onerror = () => {
      if (this.source !== source) return;
      if (source.readyState === EventSource.CLOSED) giveUp();
      else this.onState('connecting'); // the browser tries again by itself
    };
  }

  stop() {
    clearTimeout(this.retry);
    if (this.source) this.source.close();
    this.source = null;
  }
}
