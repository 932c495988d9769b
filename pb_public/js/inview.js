// inview.js: whether the page is in view, for what counts as seen. A
// message drawn in a tab in the background, or on a locked phone, has not
// been read: the reporter app and the staff console mark one read only
// once the page is in view (Page Visibility, document.visibilityState).

/** inView resolves once the page is in view (not hidden, locked or in the background). */
export function inView() {
  if (document.visibilityState === 'visible') return Promise.resolve();
  return new Promise((resolve) => {
    const seen = () => {
      if (document.visibilityState !== 'visible') return;
      document.removeEventListener('visibilitychange', seen);
      resolve();
    };
    document.addEventListener('visibilitychange', seen);
  });
}
