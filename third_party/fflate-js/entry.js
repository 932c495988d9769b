// The parts of fflate that Homeward uses: zlib's format (RFC 1950), to
// compress a report before it is sealed and to inflate it when it is
// opened (pb_public/js/seal.js): into one reused buffer, or in pieces for a
// body larger than that buffer. The browser's own
// CompressionStream took 5 ms a body through its streams, too slow to
// open a page of fifty reports.
export { zlibSync, unzlibSync, Unzlib } from 'fflate';
