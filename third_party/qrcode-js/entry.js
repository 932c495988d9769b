// The part of qrcode-generator (Kazuhiko Arase) that Homeward uses: draw a
// QR code's modules in the browser, for the paper recovery shares the
// staff console prints (they must never reach the server).
export { qrcode } from 'qrcode-generator';
