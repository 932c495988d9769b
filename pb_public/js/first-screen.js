// first-screen.js is inlined into the shell's <head> by the server
// (hooks/web), so the home screen works from the first round trip on 2G:
// the buttons that change screens, an embassy card's Report button, the
// language menu and the quick exit, before app.js and its modules arrive.
// Once app.js has wired the page (data-wired on <html>) it does all of it
// and this steps aside. It also holds a report form back until app.js can
// save it: a plain form submit would put its words in the address.
(function () {
  'use strict';
  var root = document.documentElement;
  function wired() { return root.hasAttribute('data-wired'); }
  function show(id) {
    var screens = document.querySelectorAll('.screen');
    for (var i = 0; i < screens.length; i++) screens[i].hidden = screens[i].id !== id;
    window.scrollTo(0, 0);
  }
  document.addEventListener('click', function (e) {
    if (wired() || !e.target.closest) return;
    if (e.target.closest('#exit')) {
      try { sessionStorage.clear(); } catch (err) { /* private mode */ }
      location.replace('https://www.google.com/'); // as app.js's quick exit
      return;
    }
    var go = e.target.closest('[data-go]');
    if (!go) return;
    var to = go.getAttribute('data-go');
    var embassy = go.getAttribute('data-embassy');
    if (embassy) document.getElementById('f-embassy').value = embassy;
    show(to);
  });
  document.addEventListener('change', function (e) {
    if (wired() || e.target.id !== 'lang') return;
    var q = new URLSearchParams(location.search);
    q.set('lang', e.target.value);
    location.replace('?' + q.toString() + location.hash);
  });
  document.addEventListener('submit', function (e) {
    if (!wired()) e.preventDefault();
  });
})();
