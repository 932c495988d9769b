// Print button of the poster page (no inline script under the CSP).
document.getElementById('print-poster')?.addEventListener('click', () => window.print());
