import { describe, expect, it } from 'vitest';
import { keyFingerprint, isKeyUsableForEncryption } from '../src/autocrypt/keys.js';
import { formatAutocryptHeader, parseAutocryptGossipHeader, parseAutocryptHeader, selectAutocryptHeader } from '../src/autocrypt/header.js';
import { parseHeaderSection } from '../src/email-notify/mime.js';
import { manualClock } from '../src/runtime.js';

/**
 * The examples of the Autocrypt Level 1 specification (https://autocrypt.org/level1.html,
 * appendix "Example Autocrypt headers" and "Example Autocrypt Gossip headers", CC0), copied
 * byte for byte from doc/appendix/ of github.com/autocrypt/autocrypt.
 */
const EXAMPLE_SIMPLE = `Delivered-To: <bob@autocrypt.example>
From: Alice <alice@autocrypt.example>
To: Bob <bob@autocrypt.example>
Subject: an Autocrypt header example using RSA 3072 key
Autocrypt: addr=alice@autocrypt.example; prefer-encrypt=mutual; keydata=
 mQGNBFn+zzUBDADBo2D+WUbm3lN1lXtQTxLhxVADIIMLK1dFUgu5w1KAMrW0x9x27cRNxzVrTfiv
 2FiwThUHZmJBFai8HtsMvn/svrCPeGPvkjTDMCWZaEEc5/g51Uyszjf6fUsGXsC9tUcva6pGHaTe
 8Iwpz5stKjRKI3U/mPdQpXmaurwzEdvlNWNi9Ao2rwWV+BK3J/98gBRFT8W6gv+T/YGXVrqXMoMM
 KLTFze2uyO0ExJkhI64upJzD0HUbGjElYdeSWz7lYhQ2y5cmnWPfrnOxiOCVyKrgBulksda5SIjE
 qCJCVYprX/Wvh5feRXYftWVQUMeo6moNOhTM9X+zQJPWWuWivOJpamIuUCziEycX8RtRo0yAOPwc
 /vIppoxAMusQCVn15YwVECngzXUi3EB72wXJ4411VfzPCSlgVNZV7Yqx1lW4PMRcFB2oblO25rk3
 GDlmqEVcG1Hh4FtEBkmwVjiv4duN0E33r2Yf8OsFAkKnRCRllYn8409DaJGou41hEV+LAsUAEQEA
 AbQyYTFlYmQ2OGQtOGM3Ny00NWI4LWIwMzMtOGNhYzNmN2QyMDZkQGF1dG9jcnlwdC5vcmeJAc4E
 EwEIADgWIQTmBGjORNd8P86f0HJx28Vlf95lpwUCWf7PNQIbAwULCQgHAgYVCAkKCwIEFgIDAQIe
 AQIXgAAKCRBx28Vlf95lp3C/C/9tthB5Q6oyyjERPZmRY3V8n60wd0h35uLqQfcb51UYKZ3j+61n
 ckz2iB9LrRxY9Q31WozMqza+Jze4/g/VYHLlS7Zg0M3pLKzbSEyDvZVT523BVFsCQwjkq679JGZ/
 xPzJOPab1udXFsKPEfNvzKgK+x0a4Q8b03SemL5mmGPBrnuCza/nFhevUrQbbtuUzhBnMFBsPKvz
 WUTKHEgIDLqz+8auPOQZSbF2D/1BEvtbobdgQi+YJLaj77/pURR1kp7su51IffTs0qgMMJh8jwQY
 lMQMhozy43eqT1y9QE+DH9RBAYpcRCmTcBE5Z8apnWpH/axfCDjboWwD62gN0dawc7WEQ+rdgu8W
 Tocoo4A6iyCk6Xs59mOGE0gsCdZvzKruJOYqvERzeDibDc3hXDjOE82okBjQhsOVCK3a7uyAIZnc
 z9Kovi0CkQ9d3EuG8297HSf1/PupsiFgHBsJzmZ549+ZHLXlZ5ss4aj9Hpe7bCk8oUUL+A61+nNY
 VsVDSO25AY0EWf7PNQEMANI3/DkEjghl0SgsbzqHaUAohh+GSMXUD7dQn28ZGxR/2Y5wu7O5MdkP
 MKIrsyQowSeGn18rnM1PxnRGOrX+QnVZTdk73VeMID6nM1TTfv5gmkjcb6NphGPeOTZyJIbjgQxE
 z2LUbhFLseRS/6COF5q6Tj+TJFSPbDs5kVm8LqAra2vdvdpxV69WP2FfzwHIKTzxEwnDKc3rp7yE
 I52qz8xMTCO+IkBIc9rwdj7TqJxMOTZQdfpY/ltiGwg3lCGYaHuejJzDQlU/X6OCEq/WT7/UVqNw
 ZkrsT4uG9BFGW+WOXuOpgA4v0YQ62XQAotVNXUY10XFrSb6DTr6vYjd0Lk/z7icAX5uzjlfJN3TV
 qJxS0pDWtfYD52B936+mizGR+97uyqEBVNQKww1pvKdZDruiR43O0k63TMO/4cAhXfw7q91/RMGg
 TJX2UC/BGMiePziboP+GHX87hRmAvFCRjQc0KFyxJGbNKID3Kn/RhUrePCAVWI34lSQ0Do5qLlRn
 9QARAQABiQG2BBgBCAAgFiEE5gRozkTXfD/On9BycdvFZX/eZacFAln+zzUCGwwACgkQcdvFZX/e
 ZaeaIwv/WR2LYKlPXe/1sMKfh+iSYeJjvqx15i4OaLumont+btZmpyYDU8sOaMB12oBgQ3sNYaQp
 fkTk/QNw3lbuiROPJeANQzC7Ckj3SDBFoMXyqxmnzhH0P1qvT90VOB061P1aHg7usuU4+MuvLKrg
 vaLtzK4xuiHIzpkTCvtcyNmiS5Qi2guPV32UQ6HccSIEaZO5w+z6a/V0JZ19lVwOnOatUp4DsDHo
 4KfcUKpNUKoUGgkOhLP7DmsqdlnQoKCw4PxnSsg7H5imHKF1Xo/8nh0G5Wl5kpJendiI1ZGy/yES
 jN9i1kKSqL4X+R4PkT9foAootoK3TrLbcyHuxFj5umcUuqqGfsvjhgC/ZIyvvoRf4X0Bnn1h9hpo
 6ZvBoPDM5lJxtUL64Zx5HXLd6CQXGfZfZVeM+ODqQyITGQT+p7uMDiZF42DKiTyJjJHABgiV+J16
 IM4woaGfCwAU+0Vg+JDuf7Ec8iKx5UNDI18PJTTzGVp65Gvz2Mq/CHT/peFNHNqW
Date: Tue, 07 Nov 2017 14:53:50 +0100
Message-ID: <rsa-3072@autocrypt.example>
MIME-Version: 1.0
Content-Type: text/plain

This is an example e-mail with Autocrypt header and RSA 3072 key (key
id: 71DBC5657FDE65A7) as defined in Level 1.
`;

/** The decrypted part of the spec's gossip example: Alice introduces Bob and Carol. */
const EXAMPLE_GOSSIP_CLEARTEXT = `Autocrypt-Gossip: addr=bob@autocrypt.example; keydata=
 mQGNBFoBt74BDAC8AMsjPY17kxodbfmHah38ZQipY0yfuo97WUBs2jeiFYlQdunPANi5VMgbAX+H
 Qb8LBKKoUOmJQrONj1EXz5ILEHc/rSlbJjdmCE8cw9X+EN6PW1y9XNx1ohR1OGKjs9cVW87uPmz/
 TkIslmfzVB6wjMIll8ax/Kb3IKr6wQXUT+JvJajWoVDOOD+7FPondqOxITXMEzinJtzqfEY6SB8q
 +bwRP9bMSyGaJl0fxbqdUxU4iVj8b1JpxuhFtvZik8i06avrOPfYmSnqANBOECSmuC3Uf2plIHJR
 Fd8o12j0lzdQQH3EAcG4dAdIuGHzxdLBQSQ8o8HvBDno9epaui42HDHKUji42mf9Bc9DK4wW6Szb
 BGdefacEmowrwn1Ruc3TyFwfNLuM6AB3k0HhOftUz/4tFKWNlDxN/w6xT30GSE2pp21lu9xN1S6X
 GXOstmDX40tgdMIfZVZqzDWfkZLVeKsE7Z/SNcKouS49FdipChdy0FuEi4ua3NBFb8ImK60AEQEA
 AbQyZjJlMDk5ZDQtYmM5Yi00MGM4LWE2NmItMWE1YmM0MjFjYjRhQGF1dG9jcnlwdC5vcmeJAc4E
 EwEKADgCGwMFCwkIBwIGFQoJCAsCBBYCAwECHgECF4AWIQRp5NnH84f8yaNXvfFHTviz1NECaAUC
 WgG34wAKCRBHTviz1NECaLEtDACaozWd0RHFsA8scsp/J63hHmJplmE9eQiei3WTaypWOTwrNXFu
 2evLWETKM2JP5mKHU2EIq55lcXxUxUxVOzFZ6/4pJ7OJh8je9sg8/9aZCGLu+0B9VmTKEtOJRitG
 y+AeosZUAKhPhLWvNwCnN3sjfBEuZ8p1febYy1ZqedA1yzr8F6FinBfAiVPXqVbEOCB9dQ2JVgjA
 U/5joG6jDenTOIReerLFc90n3riZs6AFN8LtgDMjx6GJ45WjnpawEYeUd3jqMwZ5HrPkR3CMM3Kx
 XCv8r6Si9UdXQsFonVb2ZI5narwCQpRLi0FwlvretzSOgKdtYOXDWXpgMw7npS0NqCTyYF8WG+Nq
 Gq4cwKmlSmYYhvsxIwu134CrA5HNvESUaVPHlenRtfajeAHf2KiVx5Wt4tM/RSm+Ls+3U8wKnzGt
 hNcfnmAhHZ4O+45Drmjc/RzWQMGTWLMQd4uEQ79bulcRXrdde+0sRGweBdLACIU9R8meLXUtwFRN
 jY0/OQS5AY0EWgG3vgEMALLuoUYqjHxHWA5rtGWVgN7s36ypU7KLX8gWk0cz15K0j1K6x+RAQfq0
 IkcMekC5ShdIt4B7P8+dwWPK75VsTnPk8mlm/QurSNx6KMpBDsr6qy3S6u8C8JicNgutEA3s3nAE
 fkvnMmqzp9Z+g8BI5ZUjQAahlW3Qj7g/QKFHhSrYU/7TXGn7o9VvpvKF5HqLdhmpPWI/pUrO2sK5
 48R8q8MPXa9fdbE3edYWmAwMP69wYbyC2aW2OnKyI/jfcjiMDabGTSDysCmyJ2F5NU9gluOac6qE
 CVCmC8LI2ddQp+h4A8QcVVRsvxYGg25d9Ii5dJVRupKTWWEy7Xak5xEECeEZC78y7HAsaA39M9JM
 zsLD/szyrVuo7gXzgyoZJNQ6O+b+GrRVJEikrUTddbLaPq/v3hYZaGg3ECuBOy2ISf1OeC7S6ObF
 jrSQ9WmIG6s5r2IjOaPX++9xrqh9uUAeEgO9dtDBMfEtW8X6buL9uSXM16z5z6E8L1BqGG4x56OI
 owARAQABiQG2BBgBCgAgFiEEaeTZx/OH/MmjV73xR074s9TRAmgFAloBt74CGwwACgkQR074s9TR
 Amg7YAv/cv5Yt3Ja/flXuFhk+TU6WMvz0ehbMIIegW42aW69k78vtEnhwZEYfvE0Vn8YO2/s+n8q
 cimkJFm0TNYnmybO6lbCtJG03UsJ84H0zB2L5ws8hTfTHy3xqBqaz7hBxki9oK1rIcSeSPfbGa48
 O8w1+FQswFht0L4BTCd/4OfdwLVWFPVgjk/UZn9vMKxMgtN9+VJ72hwKU/Rf3PnWI6DIKM6MA50a
 YUHxZjYR2KBmq6LJ91rdJ+WUBV7EB2HwtCsx/6kA5gy4ZLQLhrhQz9fS5sjCwFH4mg0i3qTRGxWx
 UwKVvwExHYbqvcEQvWw/l3PO6eNJd2qG1Y6uAI0K8Un3UmFeVRQBNmFyX52GqJvMtPdXcawrj081
 Mq1XoBRs6qW+WpX8Uj11mu22c57BTUXJRbRr4TnTuuOQmT0egwFDe3x8vHSFmcf9OzG8iKR9ftUE
 +F2ewrzzmm3XY8hy7QeUgBfClZVA6A3rsX4gGawjDo6ZRBbYwckINgGX/vQk6rGs
Autocrypt-Gossip: addr=carol@autocrypt.example; keydata=
 mQGNBFoBt8oBDADGqfZ6PqW05hUEO1dkKm+ixJXnbVriPz2tRkAqT7lTF4KBGitxo4IPv9RPIjJR
 UMUo89ddyqQfiwKxdFCMDqFDnVRWlDaM+r8sauNJoIFwtTFuvUpkFeCI5gYvneEIIbf1r3Xx1pf5
 sLzaERhrHMZMG2farrA+IBymPf/BRdcE3rkUU95ssna51/aEEA/YrCFAwcGq7yW70OmF1Km/SiCZ
 V4/m0fae9+Xw+elWMb+Mav7xL1vbqGIIPVr0bZgg8rr4qnJeK/Nx9OvFDD/TepcUfWWUTd8mFYdE
 P/2OJs5WGLjlQKUK7LNLDix7deGVhriugVGMsDn5BToj0EXlqi1khOGX2PGz/E+KOWBMnUdU7M1B
 qeCfKIIDtwCx3bkLd+eRAvF7UPQ+nZV8c/BvDJSGL7Mak3wrd9P2YxmSFditPReemtGHsSE0KdJ7
 Cbg5w4LqD9nTv2CETwFsZeP2YABqLe31d1fKEsxTJahVTmTWMkBSTaAmtTmbU2tZsr6nJJsAEQEA
 AbQyNDRkYTliODUtZDgwYS00NmQzLWJjMGUtOTM2ZWMxN2Y5YWZkQGF1dG9jcnlwdC5vcmeJAc4E
 EwEKADgCGwMFCwkIBwIGFQoJCAsCBBYCAwECHgECF4AWIQRNY57MDS/rhzDQVtfBq7jfn25RMgUC
 WgG3/wAKCRDBq7jfn25RMsNkDACs+o9B41TQlTfx+vChiw2KNdlVGCFFSp2TwuiUjkqpLXHwk34N
 pFAbiAUgNNg80Wh9Jkv7b0KX1+eapmkMbNpHWN7u2bMxjerKvp1uuuZNSYGB6YYDDQJrhUariEFm
 eYNMV0r3NGKihfM41+E9rvbrUs4AIWdGn5Wx9mM78XzGy2WSxuI0fRN+zJ5dYphVI+VM8IR5Ah8f
 b/g7c9Vttc1h3ICEuOkxJBcvSGafSc+KVj8SrsAjnh1vRD/RBwQmWN7Lay0+9GIWG7U1xLm5LjWb
 0vZ+9giGbZuzuKUtvAu05j6pxdVdNn2yXYKvM6RNTFrnzRZ0JSuB7JmcS8xUvJhl1Xk+lLa+x1eS
 r5URQJ7weoqSffKyCojFMd+l3tfv3lfhCk+9VYqnxAq817ooTeRYH1rXn6vI5qxWjYqpF4Av+yiy
 77lj8ES7wRfTSmvHblZHYehr20kQr2ibRiv28XdOvxh5UDU4joNvV7btK+uQM0fqgdpPQd6RQQ97
 BjJxI/W5AY0EWgG3ygEMAL2AepcoX8fAdRuyajftxM+9PBiARIu5Nvf8rVbI87+qvENEXoDWfT2I
 /iGskpY+5KtnYnDfqo8ut/DgHg53Ea6gtdr1z6+FibmmoTXm81tXnTIMf2WhHMq/P343bHRWYqh4
 V3qes1cAzugp8DF8sE4Jte1rCksRjzAWjlBD2X3g2WWSx2wZT4LsIAuDXW0xXSrlVzg8hSK4Xq+4
 6KxaRzG0H+N91X8mjlQMTV16aX5WVI6Rk8WDxpAmBny1CbKlUu/sRhN40Td3NMQj7bkpcnXeeceO
 /JVbgLEvARG5mj14BWJMSdgXoI12o6/v7xPh+b3cpc7+W6zApvwyhDLaizHjDeS1SqT/BeeIQqiw
 4G75zwBkD3jLRPr/meO/z6J99hQVZYCnIQtZfxw4dZ6teJ1W7rfkn9BiX1dG94xi2poWR0T4TPjP
 TAFTDSzWdLsPJvklb0/+nhHuGeYzTVEW7Y0yIZZXE5rVmTcuCpFPv+M6VrFfnlCdb5iSJZ341Ol9
 owARAQABiQG2BBgBCgAgFiEETWOezA0v64cw0FbXwau4359uUTIFAloBt8oCGwwACgkQwau4359u
 UTKySwv/caLupPaC7kudaEEWlwlY1KbrKAwPeS0RYIYaPGnrgDFj8e9ThaxMaogD8JRdJ35kZedm
 wInRKvwSCE9NydkJNGBbUkXqInnnuqgq0nFELdwJkfk8+sOhnXDoCrUkAoS6IbUqQ9ua9gFF5kmj
 +jKhwMnRR90k5refGrpp9C6lDTxGSOkNqt2Ca7/O6oBovckRNQln75xR04ikvBF9o3VZcfSyDxR+
 eNEb2fMmp66vda8KYncvhBMC3Gi+ablNCfbMP9Lax+pzAB2xb1USBxQcJzDQBmhYLBESAx6IEDne
 c6d9sMH9Y3GPq4aS4M9gFVCCVv+nUGzkYYEordIot2dKTPRQi2Cz//XXrVNglpXhdtDUgh0mKBuM
 6dYFLBDqcDrPcQabyGUJZyHknkQJkto0aSNmHqasjuVhS2N7UuHI+ILMUlSQpBQaCirTTz+CpwKU
 Iy9qsd5eg/4Vvc2AezUv+A6p2DUNHgFMX2FfDus+EPO0wgeWbNaV601aE7UhyugB
Content-Type: text/plain

Hi Bob and Carol,

I wanted to introduce the two of you to each other.

I hope you are both doing well!  You can now both "reply all" here,
and the thread will remain encrypted.

Regards,
Alice
`;

const autocryptValues = (text: string): string[] => parseHeaderSection(text).fields.filter((field) => field.name === 'Autocrypt').map((field) => field.raw);
const runtime = { clock: manualClock(Date.parse('2017-11-08T00:00:00Z')) };

describe('Autocrypt Level 1 specification examples', () => {
  it('simple example: a valid header for the From address, RSA 3072 key 71DBC5657FDE65A7, prefer-encrypt mutual', async () => {
    const header = selectAutocryptHeader(autocryptValues(EXAMPLE_SIMPLE), 'alice@autocrypt.example');
    expect(header?.addr).toBe('alice@autocrypt.example');
    expect(header?.preferEncrypt).toBe('mutual');
    const keydata = header?.keydata as Uint8Array;
    expect(await keyFingerprint(keydata)).toBe('E60468CE44D77C3FCE9FD07271DBC5657FDE65A7');
    expect(await isKeyUsableForEncryption(keydata, runtime)).toBe(true);
  });

  it('simple example: our formatter writes the very same header field', () => {
    const field = parseHeaderSection(EXAMPLE_SIMPLE).fields.find((each) => each.name === 'Autocrypt');
    const header = parseAutocryptHeader(field?.raw ?? '', { fromAddress: 'alice@autocrypt.example' });
    expect(formatAutocryptHeader(header)).toBe(`Autocrypt:${field?.raw}`);
  });

  it('simple example: the header is invalid for any other sender', () => {
    expect(selectAutocryptHeader(autocryptValues(EXAMPLE_SIMPLE), 'bob@autocrypt.example')).toBeUndefined();
  });

  it('gossip example: both gossip headers are valid for the To recipients, and give Bob and Carol gossip keys', async () => {
    const recipients = ['bob@autocrypt.example', 'carol@autocrypt.example'];
    const gossip = parseHeaderSection(EXAMPLE_GOSSIP_CLEARTEXT).fields.filter((field) => field.name === 'Autocrypt-Gossip');
    expect(gossip).toHaveLength(2);
    const headers = gossip.map((field) => parseAutocryptGossipHeader(field.raw, { recipients }));
    expect(headers.map((header) => header.addr)).toEqual(recipients);
    expect(await keyFingerprint(headers[0]?.keydata as Uint8Array)).toMatch(/474EF8B3D4D10268$/);
    expect(await keyFingerprint(headers[1]?.keydata as Uint8Array)).toMatch(/C1ABB8DF9F6E5132$/);
    expect(() => parseAutocryptGossipHeader(gossip[0]?.raw ?? '', { recipients: ['carol@autocrypt.example'] })).toThrow(/does not match/);
  });
});
