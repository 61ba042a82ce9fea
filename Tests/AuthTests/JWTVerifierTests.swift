import Auth
import Bytes
import Crypto
import Foundation
import JSON
import Testing

/// RFC 7515 Appendix A.2: the 2048-bit RSA key (n, e) and the RS256 JWS made with it.
enum RFC7515 {
    static let rsaModulus =
        "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
    static let rsaExponent = "AQAB"
    static let rs256Token =
        "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
    /// Appendix A.1: the HMAC key and the HS256 JWS.
    static let hmacKey = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
    static let hs256Token =
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    /// Both tokens' `exp` (2011-03-22T18:43:00Z); the examples carry no `sub`.
    static let expMs: Int64 = 1_300_819_380_000

    static var jwks: String {
        #"{"keys":[{"kty":"RSA","kid":"a2","use":"sig","alg":"RS256","n":"\#(rsaModulus)","e":"\#(rsaExponent)"}]}"#
    }
}

/// Mints HS256 tokens for the claim checks.
struct Minter {
    var secret = Array("0123456789abcdef0123456789abcdef".utf8)

    func token(header: String = #"{"alg":"HS256","typ":"JWT"}"#, claims: String) -> String {
        let input = Base64.encode(Array(header.utf8), url: true, padded: false) + "." + Base64.encode(Array(claims.utf8), url: true, padded: false)
        return input + "." + Base64.encode(HMACSHA256.authenticate(key: secret, message: Array(input.utf8)), url: true, padded: false)
    }
}

func temporaryFile(_ contents: String) throws -> String {
    let path = NSTemporaryDirectory() + "jwks-\(UInt64.random(in: 0...UInt64.max)).json"
    try contents.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

func rfcVerifier() throws -> JWTVerifier {
    var settings = JWTVerifier.Settings()
    settings.hs256Secret = Base64URL.decode(RFC7515.hmacKey)
    return JWTVerifier(settings: settings, keys: try JWKSSource(path: try temporaryFile(RFC7515.jwks)))
}

@Test func rsa_rfc7515A2SignatureVerifies() throws {
    let key = try RSAPublicKey(modulus: Base64URL.decode(RFC7515.rsaModulus)!, exponent: Base64URL.decode(RFC7515.rsaExponent)!)
    #expect(key.modulusBits == 2048)
    let parts = RFC7515.rs256Token.split(separator: ".")
    let digest = SHA256.hash(Array("\(parts[0]).\(parts[1])".utf8))
    var signature = Base64URL.decode(parts[2])!
    #expect(key.verifySHA256(signature: signature, digest: digest))
    signature[100] ^= 1
    #expect(!key.verifySHA256(signature: signature, digest: digest))
    var otherDigest = digest
    otherDigest[0] ^= 1
    #expect(!key.verifySHA256(signature: Base64URL.decode(parts[2])!, digest: otherDigest))
}

@Test func rsa_refusesKeysOutsideTheRules() {
    let modulus = Base64URL.decode(RFC7515.rsaModulus)!
    #expect(throws: RSAPublicKey.KeyError.modulusSize(bits: 1024)) { try RSAPublicKey(modulus: Array(modulus.prefix(128)), exponent: [1, 0, 1]) }
    var even = modulus
    even[even.count - 1] &= 0xFE
    #expect(throws: RSAPublicKey.KeyError.evenModulus) { try RSAPublicKey(modulus: even, exponent: [1, 0, 1]) }
    #expect(throws: (any Error).self) { try RSAPublicKey(modulus: modulus, exponent: [1]) }
    #expect(throws: (any Error).self) { try RSAPublicKey(modulus: modulus, exponent: [1, 0, 0]) }
}

@Test func verifier_rfc7515VectorsPassTheSignatureAndStopAtTheMissingSubject() throws {
    let verifier = try rfcVerifier()
    // The examples carry no `sub`: reaching that check means the signature verified.
    #expect(verifier.verify(RFC7515.rs256Token, nowMs: RFC7515.expMs - 100_000) == .failure(.subject))
    #expect(verifier.verify(RFC7515.hs256Token, nowMs: RFC7515.expMs - 100_000) == .failure(.subject))
    // Decades later they are long expired.
    #expect(verifier.verify(RFC7515.rs256Token, nowMs: 1_800_000_000_000) == .failure(.expired))
}

@Test func verifier_refusesTamperedSignaturesAndSegments() throws {
    let verifier = try rfcVerifier()
    let now = RFC7515.expMs - 100_000
    var tampered = Array(RFC7515.rs256Token.utf8)
    tampered[tampered.count - 5] = tampered[tampered.count - 5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
    #expect(verifier.verify(String(decoding: tampered, as: UTF8.self), nowMs: now) == .failure(.signature))
    let hs = RFC7515.hs256Token
    var hsTampered = Array(hs.utf8)
    hsTampered[hsTampered.count - 10] = hsTampered[hsTampered.count - 10] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
    #expect(verifier.verify(String(decoding: hsTampered, as: UTF8.self), nowMs: now) == .failure(.signature))
    // A changed payload under the old signature.
    let parts = hs.split(separator: ".").map(String.init)
    let otherPayload = Base64.encode(Array(#"{"iss":"joe","exp":1300819380,"sub":"mallory"}"#.utf8), url: true, padded: false)
    #expect(verifier.verify("\(parts[0]).\(otherPayload).\(parts[2])", nowMs: now) == .failure(.signature))
    for malformed in ["", "abc", "a.b", "a.b.c.d", "\(parts[0]).\(parts[1]).\(parts[2])=", "\(parts[0])=.\(parts[1]).\(parts[2])", "!!.\(parts[1]).\(parts[2])"] {
        guard case .failure(.malformed) = verifier.verify(malformed, nowMs: now) else {
            Issue.record("\(malformed) was not refused as malformed")
            continue
        }
    }
    #expect(verifier.verify(String(repeating: "a", count: JWTVerifier.tokenBytesMax + 1), nowMs: now) == .failure(.tooLarge))
}

@Test func verifier_refusesAlgNoneUnknownAlgorithmsAndKeyConfusion() throws {
    let minter = Minter()
    let claims = #"{"sub":"alice","exp":4102444800}"#
    let rsaOnly = JWTVerifier(settings: JWTVerifier.Settings(), keys: try JWKSSource(path: try temporaryFile(RFC7515.jwks)))
    let now: Int64 = 1_700_000_000_000
    // HS256 signed with anything (here even the RSA modulus as the secret) when only RS256 is configured.
    guard case .failure(.algorithm) = rsaOnly.verify(minter.token(claims: claims), nowMs: now) else { Issue.record("HS256 accepted"); return }
    let unsigned = Base64.encode(Array(#"{"alg":"none"}"#.utf8), url: true, padded: false) + "." + Base64.encode(Array(claims.utf8), url: true, padded: false) + "."
    guard case .failure(.algorithm) = rsaOnly.verify(unsigned, nowMs: now) else { Issue.record("alg none accepted"); return }
    guard case .failure(.algorithm) = rsaOnly.verify(unsigned + "AAAA", nowMs: now) else { Issue.record("alg none accepted"); return }
    guard case .failure(.algorithm) = rsaOnly.verify(minter.token(header: #"{"alg":"HS512"}"#, claims: claims), nowMs: now) else {
        Issue.record("HS512 accepted"); return
    }
    #expect(rsaOnly.verify(minter.token(header: #"{"alg":"RS256","kid":"nope"}"#, claims: claims), nowMs: now) == .failure(.unknownKey))
    #expect(rsaOnly.verify(minter.token(header: #"{"alg":"RS256","kid":"a2"}"#, claims: claims), nowMs: now) == .failure(.signature))
    guard case .failure(.malformed) = rsaOnly.verify(minter.token(header: #"{"alg":"RS256","crit":["exp"]}"#, claims: claims), nowMs: now) else {
        Issue.record("crit accepted"); return
    }
    // And the reverse: an RS256 token where only HS256 is configured.
    var settings = JWTVerifier.Settings()
    settings.hs256Secret = minter.secret
    let hsOnly = JWTVerifier(settings: settings, keys: nil)
    guard case .failure(.algorithm) = hsOnly.verify(RFC7515.rs256Token, nowMs: now) else { Issue.record("RS256 accepted"); return }
}

@Test func verifier_checksTimesIssuerAudienceAndRoles() {
    let minter = Minter()
    var settings = JWTVerifier.Settings()
    settings.hs256Secret = minter.secret
    settings.issuer = "https://issuer.example"
    settings.audience = "reservations"
    settings.leewaySeconds = 60
    let verifier = JWTVerifier(settings: settings, keys: nil)
    let now: Int64 = 1_700_000_000_000
    let nowSeconds = now / 1000
    func check(_ extra: String) -> Result<Principal, AuthFailure> {
        verifier.verify(minter.token(claims: "{\"sub\":\"alice\",\"iss\":\"https://issuer.example\",\"aud\":\"reservations\",\(extra)}"), nowMs: now)
    }
    #expect(check("\"exp\":\(nowSeconds + 3600)") == .success(Principal(subject: "alice", isAdmin: false, acceptedUntilMs: (nowSeconds + 3660) * 1000)))
    // Within the leeway still accepted; one second beyond it refused.
    #expect((try? check("\"exp\":\(nowSeconds - 59)").get()) != nil)
    #expect(check("\"exp\":\(nowSeconds - 61)") == .failure(.expired))
    #expect(verifier.verify(minter.token(claims: #"{"sub":"alice","iss":"https://issuer.example","aud":"reservations"}"#), nowMs: now) == .failure(.expired))
    #expect(check("\"exp\":\(nowSeconds + 3600),\"nbf\":\(nowSeconds + 61)") == .failure(.notYetValid))
    #expect((try? check("\"exp\":\(nowSeconds + 3600),\"nbf\":\(nowSeconds + 59)").get()) != nil)
    #expect(check("\"exp\":\(nowSeconds + 3600),\"iat\":\(nowSeconds + 120)") == .failure(.issuedInFuture))
    guard case .failure(.malformed) = check("\"exp\":\"tomorrow\"") else { Issue.record("string exp accepted"); return }
    let exp = "\"exp\":\(nowSeconds + 3600)"
    #expect(verifier.verify(minter.token(claims: "{\"sub\":\"alice\",\"iss\":\"other\",\"aud\":\"reservations\",\(exp)}"), nowMs: now) == .failure(.issuer))
    #expect(verifier.verify(minter.token(claims: "{\"sub\":\"alice\",\"iss\":\"https://issuer.example\",\"aud\":\"other\",\(exp)}"), nowMs: now) == .failure(.audience))
    #expect(verifier.verify(minter.token(claims: "{\"sub\":\"alice\",\"iss\":\"https://issuer.example\",\"aud\":[\"x\",\"reservations\"],\(exp)}"), nowMs: now).map(\.subject) == .success("alice"))
    #expect(verifier.verify(minter.token(claims: "{\"sub\":\"alice\",\"iss\":\"https://issuer.example\",\(exp)}"), nowMs: now) == .failure(.audience))
    #expect(check("\(exp),\"roles\":[\"user\",\"admin\"]").map(\.isAdmin) == .success(true))
    #expect(check("\(exp),\"scope\":\"read admin write\"").map(\.isAdmin) == .success(true))
    #expect(check("\(exp),\"scope\":\"administrator\"").map(\.isAdmin) == .success(false))
    #expect(check("\(exp),\"roles\":[\"user\"]").map(\.isAdmin) == .success(false))
}

@Test func jwks_selectsByKidSkipsOtherKeysAndRefusesBrokenSets() throws {
    let rsa = #"{"kty":"RSA","kid":"k1","n":"\#(RFC7515.rsaModulus)","e":"AQAB"}"#
    let set = try JWKSet.parse(Array(#"{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"},{"kty":"RSA","use":"enc","n":"AA","e":"AQAB"},\#(rsa)]}"#.utf8))
    #expect(set.keys.count == 1)
    #expect(set.key(id: "k1") != nil)
    #expect(set.key(id: nil) != nil)
    #expect(set.key(id: "k2") == nil)
    for broken in [
        #"{"keys":[]}"#, #"{"keys":{}}"#, "[]", "not json",
        #"{"keys":[{"kty":"RSA","kid":"k1","n":"AQAB","e":"AQAB"}]}"#,
        #"{"keys":[\#(rsa),\#(rsa)]}"#,
        #"{"keys":[{"kty":"RSA","kid":"k1","n":"\#(RFC7515.rsaModulus)=","e":"AQAB"}]}"#,
    ] {
        #expect(throws: JWKSet.ParseError.self, "\(broken)") { try JWKSet.parse(Array(broken.utf8)) }
    }
}

@Test func jwksSource_reloadsAChangedFileAndKeepsKeysWhenTheNewFileIsBroken() throws {
    let path = try temporaryFile(RFC7515.jwks)
    let source = try JWKSSource(path: path)
    let first = source.generation
    guard case .unchanged = source.reloadIfChanged() else { Issue.record("an unchanged file reloaded"); return }
    try #"{"keys":[{"kty":"RSA","kid":"rotated","n":"\#(RFC7515.rsaModulus)","e":"AQAB"}]}"#.write(toFile: path, atomically: true, encoding: .utf8)
    guard case .replaced(keyCount: 1) = source.reloadIfChanged() else { Issue.record("the new file was not read"); return }
    #expect(source.generation > first)
    #expect(source.current.key(id: "rotated") != nil)
    #expect(source.current.key(id: "a2") == nil)
    try "{ half written".write(toFile: path, atomically: true, encoding: .utf8)
    guard case .refused = source.reloadIfChanged() else { Issue.record("a broken file was accepted"); return }
    #expect(source.current.key(id: "rotated") != nil)
}

@Test func tokenCache_isBoundedAndForgetsExpiredTokensAndOldKeys() {
    let cache = TokenCache(capacity: 100)
    let principal = Principal(subject: "alice", isAdmin: false, acceptedUntilMs: 2_000)
    for index in 0..<10_000 { cache.remember("token-\(index)", principal, keyGeneration: 0) }
    #expect(cache.count <= 100)
    #expect(cache.principal(for: "token-9999", nowMs: 1_000, keyGeneration: 0) == principal)
    #expect(cache.principal(for: "token-0", nowMs: 1_000, keyGeneration: 0) == nil)
    #expect(cache.principal(for: "token-9999", nowMs: 2_000, keyGeneration: 0) == nil)
    #expect(cache.principal(for: "token-9998", nowMs: 1_000, keyGeneration: 1) == nil)
    #expect(cache.count == 0)
}
