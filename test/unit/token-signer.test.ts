import { SignJWT } from 'jose';
import { TokenSigner } from '../../src/services/token-signer';

const SECRET = 'unit-test-secret-0123456789abcdef-0123456789abcdef';
const SESSION = '0b5e7a52-4d0e-4c55-9b7a-2f0a9d6c1e11';

// Verified tokens are remembered; these cases show a remembered one is still refused once expired, and that a
// token is only remembered after it passed the signature check.
describe('TokenSigner.verifyAccessToken', () => {
  it('refuses a token it verified before once its expiry passes', async () => {
    const signer = new TokenSigner(SECRET, 1);
    const token = await signer.signAccessToken({ userId: 7, sessionId: SESSION });
    expect(await signer.verifyAccessToken(token)).toEqual({ userId: 7, sessionId: SESSION, generation: 0 });
    expect(await signer.verifyAccessToken(token)).toEqual({ userId: 7, sessionId: SESSION, generation: 0 });
    // exp is a whole second at most one second away.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await signer.verifyAccessToken(token)).toEqual({ refused: 'token expired' });
    expect(await signer.verifyAccessToken(token)).toEqual({ refused: 'token expired' });
  });

  it('refuses a token signed with another key, every time', async () => {
    const signer = new TokenSigner(SECRET, 60);
    const forged = await new TokenSigner(`${SECRET}-other`, 60).signAccessToken({
      userId: 7,
      sessionId: SESSION,
    });
    expect(await signer.verifyAccessToken(forged)).toEqual({ refused: 'invalid token' });
    expect(await signer.verifyAccessToken(forged)).toEqual({ refused: 'invalid token' });
  });

  it('refuses a token whose claims are malformed, every time', async () => {
    const signer = new TokenSigner(SECRET, 60);
    const malformed = await new SignJWT({ sid: 'not-a-uuid' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('7')
      .setIssuer('jobwarehouse')
      .setExpirationTime('60s')
      .sign(new TextEncoder().encode(SECRET));
    expect(await signer.verifyAccessToken(malformed)).toEqual({ refused: 'malformed token' });
    expect(await signer.verifyAccessToken(malformed)).toEqual({ refused: 'malformed token' });
  });
});
