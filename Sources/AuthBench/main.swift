// Prints how long token verification takes (scripts/bench.sh runs it; build with -c release):
// RS256 over a 2048-bit key (the RSA verification alone, and the whole JWT check), HS256, and a
// hit in a loop's cache of verified tokens. The RS256 token is RFC 7515 Appendix A.2's.
import Auth
import Bytes
import Crypto
import Glibc

let modulus =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
let rs256Token =
    "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
/// Before the example token's `exp`, so the check runs to its end (it stops at the missing `sub`).
let beforeExpiryMs: Int64 = 1_300_819_000_000

func nanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// Runs `body` `iterations` times after a warm-up and prints the mean time per call.
func measure(_ name: String, iterations: Int, _ body: () -> Bool) {
    for _ in 0..<(iterations / 10 + 1) { precondition(body(), "\(name) failed") }
    let start = nanoseconds()
    for _ in 0..<iterations { precondition(body(), "\(name) failed") }
    let perCall = Double(nanoseconds() - start) / Double(iterations)
    let text = perCall >= 1000 ? "\(Double(Int(perCall / 10)) / 100) µs" : "\(Int(perCall)) ns"
    print(name + String(repeating: " ", count: max(1, 48 - name.count)) + "\(text) per call (\(iterations) calls)")
}

let key = try RSAPublicKey(modulus: Base64URL.decode(modulus)!, exponent: [1, 0, 1])
let parts = rs256Token.split(separator: ".")
let signature = Base64URL.decode(parts[2])!
let digest = SHA256.hash(Array("\(parts[0]).\(parts[1])".utf8))
measure("RSA PKCS#1 v1.5 verify, 2048-bit, e=65537", iterations: 2_000) { key.verifySHA256(signature: signature, digest: digest) }

let jwksPath = "/tmp/auth-bench-\(getpid()).json"
let jwks = #"{"keys":[{"kty":"RSA","kid":"a2","n":"\#(modulus)","e":"AQAB"}]}"#
guard let file = fopen(jwksPath, "w") else { fatalError("cannot write \(jwksPath)") }
fputs(jwks, file)
fclose(file)
defer { unlink(jwksPath) }
let rsVerifier = JWTVerifier(settings: JWTVerifier.Settings(), keys: try JWKSSource(path: jwksPath))
measure("JWT RS256 verify, 2048-bit (parse, RSA, claims)", iterations: 2_000) {
    rsVerifier.verify(rs256Token, nowMs: beforeExpiryMs) == .failure(.subject)
}

let secret = Array("an-hs256-secret-of-at-least-32-bytes!".utf8)
var settings = JWTVerifier.Settings()
settings.hs256Secret = secret
let hsVerifier = JWTVerifier(settings: settings, keys: nil)
let input = Base64.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8), url: true, padded: false) + "."
    + Base64.encode(Array(#"{"sub":"alice","exp":4102444800,"roles":["user"]}"#.utf8), url: true, padded: false)
let hs256Token = input + "." + Base64.encode(HMACSHA256.authenticate(key: secret, message: Array(input.utf8)), url: true, padded: false)
measure("JWT HS256 verify (parse, HMAC, claims)", iterations: 50_000) {
    (try? hsVerifier.verify(hs256Token, nowMs: 1_767_225_600_000).get())?.subject == "alice"
}

let cache = TokenCache(capacity: 4096)
let principal = try hsVerifier.verify(hs256Token, nowMs: 1_767_225_600_000).get()
cache.remember(hs256Token, principal, keyGeneration: 0)
measure("cache hit (a caller's repeat request)", iterations: 200_000) {
    cache.principal(for: hs256Token, nowMs: 1_767_225_600_000, keyGeneration: 0) != nil
}
