// The parts of @hpke/core that Homeward uses: one cipher suite, RFC 9180
// base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, all on
// WebCrypto.
export { Aes128Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from '@hpke/core';
