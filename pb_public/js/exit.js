// exit.js: the quick exit of the QR and contact pages, as the reporter
// app's (js/app.js): leave at once for a plain website, replacing this
// page in the history so Back does not return to it, and clear session
// storage. Without JavaScript the link still leaves, as an ordinary link.
(function () {
  var a = document.getElementById('exit');
  if (!a) return;
  a.addEventListener('click', function (e) {
    e.preventDefault();
    try { sessionStorage.clear(); } catch (err) { /* private mode */ }
    location.replace(a.href);
  });
})();
