// Package receipts turns a reporter's receipt code into what the server
// stores instead of it, and keys anonymous phones' sync ops the same way.
//
// A receipt is the 20-digit code a phone shows after sending a report
// (PRODUCT.md, "Receipt"): the only thing that ties an anonymous reporter
// to their report. The server keeps a keyed hash of it (Keys.Hash), never
// the code; the key lives in the data dir (homeward_receipt.key), so a
// backup carries it. Normalize is the rule for reading a code as people
// type it, shared with the phone (pb_public/js/ids.js) through
// testdata/receipts.json. OpKey keys an anonymous phone's op in sync_ops
// with the same secret, so a retry finds its op and nothing links one
// phone's reports.
package receipts
