// idle.js: the embassy's idle timeout (embassies.staff_idle_minutes, 30
// when empty). The last time anyone used the console, in any tab of this
// browser, is kept in localStorage; each tab keeps a timer to that time
// plus the limit, and the first to reach it signs out, which signs out the
// others (api.js). A console reopened after the limit drops the stored
// token before using it.

const ACTIVE_KEY = 'homeward.staff.active';
const LIMIT_KEY = 'homeward.staff.idle';

export const DEFAULT_IDLE_MINUTES = 30;

// USE is what counts as using the console; realtime updates do not.
const USE = ['pointerdown', 'keydown', 'wheel', 'touchstart'];

function lastUse() {
  return Number(localStorage.getItem(ACTIVE_KEY)) || 0;
}

function storedLimit() {
  return Number(localStorage.getItem(LIMIT_KEY)) || DEFAULT_IDLE_MINUTES * 60000;
}

/** idleExpired says whether the stored sign-in has been unused too long. */
export function idleExpired(now = Date.now()) {
  const last = lastUse();
  return last > 0 && now - last > storedLimit();
}

/** forgetUse removes the last use, with the sign-in it belongs to. */
export function forgetUse() {
  localStorage.removeItem(ACTIVE_KEY);
}

export class IdleWatch {
  /** @param {() => void} onIdle called once the limit has passed */
  constructor(onIdle) {
    this.onIdle = onIdle;
    this.timer = 0;
    this.running = false;
    this.used = () => this.touch();
    this.check = () => this.schedule();
  }

  /** start watches with a limit in minutes (the embassy's, or the default). */
  start(minutes) {
    const limit = (minutes > 0 ? minutes : DEFAULT_IDLE_MINUTES) * 60000;
    localStorage.setItem(LIMIT_KEY, String(limit));
    // Writes are spaced out, a tenth of the limit at most: a session is
    // never cut more than that early.
    this.spacing = Math.min(10000, limit / 10);
    if (!this.running) {
      for (const type of USE) window.addEventListener(type, this.used, { capture: true, passive: true });
      // Background tabs' timers are slowed: look again when one is shown,
      // and when another tab records a use.
      document.addEventListener('visibilitychange', this.check);
      window.addEventListener('storage', this.check);
      this.running = true;
    }
    this.touch(true);
  }

  stop() {
    clearTimeout(this.timer);
    for (const type of USE) window.removeEventListener(type, this.used, { capture: true });
    document.removeEventListener('visibilitychange', this.check);
    window.removeEventListener('storage', this.check);
    this.running = false;
  }

  touch(force = false) {
    const now = Date.now();
    if (force || now - lastUse() >= this.spacing) localStorage.setItem(ACTIVE_KEY, String(now));
    this.schedule();
  }

  schedule() {
    if (!this.running) return;
    clearTimeout(this.timer);
    const last = lastUse();
    if (!last) {
      // No use is stored: another tab is signing out, and the sign-in it
      // drops next ends this tab with its reason (api.js). Look again
      // after the limit in case it never comes.
      this.timer = setTimeout(() => this.schedule(), storedLimit());
      return;
    }
    const left = last + storedLimit() - Date.now();
    if (left <= 0) {
      this.stop();
      this.onIdle();
      return;
    }
    this.timer = setTimeout(() => this.schedule(), left + 50);
  }
}
