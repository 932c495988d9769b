// realtime.js: PocketBase's realtime API over a plain EventSource. The
// server sends PB_CONNECT with a client id; the subscriptions are then set
// with a POST carrying the staff token, so the server checks each record
// against the collections' rules before sending it. EventSource reconnects
// by itself; every new PB_CONNECT re-subscribes.

import { request } from './api.js';

export class Realtime {
  /**
   * @param {string[]} topics e.g. ["reports/*", "messages/*"]
   * @param {(topic: string, event: {action: string, record: object}) => void} onEvent
   * @param {(state: "live"|"connecting"|"offline") => void} onState
   */
  constructor(topics, onEvent, onState = () => {}) {
    this.topics = topics;
    this.onEvent = onEvent;
    this.onState = onState;
    this.source = null;
  }

  start() {
    this.stop();
    this.onState('connecting');
    const source = new EventSource('/api/realtime');
    this.source = source;
    source.addEventListener('PB_CONNECT', (e) => {
      const { clientId } = JSON.parse(e.data);
      request('/api/realtime', { method: 'POST', body: { clientId, subscriptions: this.topics } })
        .then(() => this.onState('live'))
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
