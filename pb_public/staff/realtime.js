// realtime.js: PocketBase's realtime API over a plain EventSource. The
// server sends PB_CONNECT with a client id; the subscriptions are then set
// with a POST carrying the staff token, so the server checks each record
// against the collections' rules before sending it. EventSource reconnects
// by itself; every new PB_CONNECT re-subscribes. The server keeps no events
// for a client that was away, so once live again after a break the
// console is told to read again what it shows (onResume).

import { request } from './api.js';

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
  }

  start() {
    this.stop();
    this.onState('connecting');
    const source = new EventSource('/api/realtime');
    this.source = source;
    let wasLive = false;
    source.addEventListener('PB_CONNECT', (e) => {
      const { clientId } = JSON.parse(e.data);
      request('/api/realtime', { method: 'POST', body: { clientId, subscriptions: this.topics } })
        .then(() => {
          if (this.source !== source) return; // stopped since
          this.onState('live');
          if (wasLive) this.onResume();
          wasLive = true;
        })
        .catch(() => this.onState('offline'));
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
    source.onerror = () => this.onState(source.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
  }

  stop() {
    if (this.source) this.source.close();
    this.source = null;
  }
}
