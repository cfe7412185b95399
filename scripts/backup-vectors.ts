import { sealBackup } from '../src/lib/crypto/backup';
import { bytesToHex, hexToBytes, utf8Encode } from '../src/lib/shared/bytes';
const specs = [
  { passphrase: 'correct horse battery staple', salt: '000102030405060708090a0b0c0d0e0f', noncePrefix: 'a0a1a2a3a4a5a6', logN: 10, r: 8, p: 1, chunkSize: 65536,
    plaintext: '{"t":"meta","format":"veil-backup","version":1}\n{"t":"end","records":0}\n' },
  { passphrase: 'pässwörd ﬁve', salt: 'f0e0d0c0b0a090807060504030201000', noncePrefix: '01020304050607', logN: 12, r: 8, p: 1, chunkSize: 32,
    plaintext: 'Three chunks of 32 bytes and a short last one: 0123456789abcdef!' + '\n' + 'x'.repeat(40) }
];
const out = [];
for (const s of specs) {
  const file = await sealBackup(utf8Encode(s.plaintext), s.passphrase, { salt: hexToBytes(s.salt), noncePrefix: hexToBytes(s.noncePrefix), logN: s.logN, r: s.r, p: s.p, chunkSize: s.chunkSize });
  out.push({ ...s, file: bytesToHex(file) });
}
console.log(JSON.stringify(out, null, 2));
