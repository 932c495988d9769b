// The parts of shamir-secret-sharing (Privy) that Homeward uses: split a
// secret into shares over GF(2^8), and combine a threshold of them.
export { split, combine } from 'shamir-secret-sharing';
