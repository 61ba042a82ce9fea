import Crypto
import JSON

/// Verifies JSON Web Tokens in the JWS compact serialization (RFC 7515 §7.1, RFC 7519): HS256 with a
/// shared secret, RS256 with the RSA keys of a JWKS file, and the time, issuer and audience claims.
///
/// Stateless apart from the key source, so any loop thread may call it; `TokenCache` keeps a
/// loop's recent answers so that a caller's repeat requests skip the signature.
public final class JWTVerifier: Sendable {
    /// Longest token looked at; a longer one is refused before it is decoded.
    public static let tokenBytesMax = 8192

    /// What tokens must satisfy besides a good signature.
    public struct Settings: Sendable {
        /// The HS256 key; nil refuses HS256 tokens. At least 32 bytes (RFC 7518 §3.2).
        public var hs256Secret: [UInt8]?
        /// `iss` must equal this when set.
        public var issuer: String?
        /// `aud` must be or contain this when set.
        public var audience: String?
        /// Clock skew allowed on `exp`, `nbf` and `iat`.
        public var leewaySeconds: Int64 = 60

        public init() {}
    }

    public static let hs256SecretBytesMin = 32

    public let settings: Settings
    /// The RS256 keys; nil refuses RS256 tokens.
    public let keys: JWKSSource?
    /// The HS256 secret with its HMAC pads hashed once.
    private let hs256Key: HMACSHA256Key?

    public init(settings: Settings, keys: JWKSSource?) {
        self.settings = settings
        self.keys = keys
        hs256Key = settings.hs256Secret.map(HMACSHA256Key.init)
    }

    /// Changes whenever the RS256 keys change, so answers cached under older keys can be dropped.
    public var keyGeneration: UInt64 { keys?.generation ?? 0 }

    /// JSON limits for a token's header and claims (a token is at most 8 KiB anyway).
    static let jsonLimits = JSONLimits(maxDepth: 8, maxDocumentBytes: tokenBytesMax, maxStringBytes: tokenBytesMax)

    /// The principal `token` speaks for at wall-clock `nowMs`, or why it is refused. The signature
    /// is checked before any claim is read.
    public func verify(_ token: String, nowMs: Int64) -> Result<Principal, AuthFailure> {
        guard token.utf8.count <= Self.tokenBytesMax else { return .failure(.tooLarge) }
        var token = token
        return token.withUTF8 { verify(UnsafeRawBufferPointer($0), nowMs: nowMs) }
    }

    private func verify(_ bytes: UnsafeRawBufferPointer, nowMs: Int64) -> Result<Principal, AuthFailure> {
        // RFC 7515 §7.1: BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature).
        guard let firstDot = bytes.firstIndex(of: UInt8(ascii: ".")),
            let secondDot = bytes[(firstDot + 1)...].firstIndex(of: UInt8(ascii: ".")),
            !bytes[(secondDot + 1)...].contains(UInt8(ascii: "."))
        else { return .failure(.malformed("a JWS has three segments separated by dots")) }
        let segment = { (range: Range<Int>) in Base64URL.decode(UnsafeRawBufferPointer(rebasing: bytes[range])) }
        guard let headerBytes = segment(0..<firstDot), let payloadBytes = segment((firstDot + 1)..<secondDot),
            let signature = segment((secondDot + 1)..<bytes.count)
        else { return .failure(.malformed("a segment is not base64url without padding")) }
        guard case .object(let header)? = try? JSON.parse(headerBytes, limits: Self.jsonLimits) else {
            return .failure(.malformed("the header is not a JSON object"))
        }
        // RFC 7515 §4.1.11: extensions named in `crit` must be understood; this server knows none.
        guard header["crit"] == nil else { return .failure(.malformed("the header lists critical extensions (crit)")) }
        guard case .string(let algorithm)? = header["alg"] else { return .failure(.malformed("the header has no alg")) }
        let signingInput = UnsafeRawBufferPointer(rebasing: bytes[0..<secondDot])
        switch algorithm {
        case "HS256":
            guard let hs256Key else { return .failure(.algorithm("HS256 is not configured")) }
            guard constantTimeEquals(hs256Key.authenticate(signingInput), signature) else { return .failure(.signature) }
        case "RS256":
            guard let keys else { return .failure(.algorithm("RS256 is not configured")) }
            var id: String?
            if let kid = header["kid"] {
                guard case .string(let text) = kid else { return .failure(.malformed("kid must be a string")) }
                id = text
            }
            guard let key = keys.current.key(id: id) else { return .failure(.unknownKey) }
            guard key.verifySHA256(signature: signature, digest: SHA256.hash(signingInput)) else { return .failure(.signature) }
        case "none":
            return .failure(.algorithm("unsigned tokens (alg none) are refused"))
        default:
            return .failure(.algorithm("\(algorithm.prefix(32)) is not HS256 or RS256"))
        }
        guard case .object(let claims)? = try? JSON.parse(payloadBytes, limits: Self.jsonLimits) else {
            return .failure(.malformed("the claims are not a JSON object"))
        }
        return check(claims, nowMs: nowMs)
    }

    /// RFC 7519 §4.1: the registered claims, then who the token names and what it may do.
    func check(_ claims: JSONObject, nowMs: Int64) -> Result<Principal, AuthFailure> {
        let leewayMs = settings.leewaySeconds * 1000
        // A token that never expires would be valid forever once leaked: `exp` is required.
        guard let exp = claims["exp"] else { return .failure(.expired) }
        guard let expMs = Self.milliseconds(exp) else { return .failure(.malformed("exp must be a NumericDate")) }
        guard nowMs < expMs &+ leewayMs else { return .failure(.expired) }
        if let nbf = claims["nbf"] {
            guard let nbfMs = Self.milliseconds(nbf) else { return .failure(.malformed("nbf must be a NumericDate")) }
            guard nowMs &+ leewayMs >= nbfMs else { return .failure(.notYetValid) }
        }
        if let iat = claims["iat"] {
            guard let iatMs = Self.milliseconds(iat) else { return .failure(.malformed("iat must be a NumericDate")) }
            guard iatMs <= nowMs &+ leewayMs else { return .failure(.issuedInFuture) }
        }
        if let issuer = settings.issuer {
            guard claims["iss"]?.stringValue == issuer else { return .failure(.issuer) }
        }
        if let audience = settings.audience {
            // RFC 7519 §4.1.3: one string, or an array of strings.
            switch claims["aud"] {
            case .string(let single)?:
                guard single == audience else { return .failure(.audience) }
            case .array(let many)?:
                guard many.contains(where: { $0.stringValue == audience }) else { return .failure(.audience) }
            default:
                return .failure(.audience)
            }
        }
        guard case .string(let subject)? = claims["sub"] else { return .failure(.subject) }
        var isAdmin = false
        switch claims["roles"] {
        case .array(let roles)?: isAdmin = roles.contains { $0.stringValue == "admin" }
        case nil, .null?: break
        default: return .failure(.malformed("roles must be an array of strings"))
        }
        switch claims["scope"] {
        case .string(let scope)?: isAdmin = isAdmin || scope.split(separator: " ").contains("admin")
        case nil, .null?: break
        default: return .failure(.malformed("scope must be a space-separated string"))
        }
        return .success(Principal(subject: subject, isAdmin: isAdmin, acceptedUntilMs: expMs &+ leewayMs))
    }

    /// A NumericDate (seconds since the epoch, fractions allowed) in milliseconds; nil when it is not
    /// a number or lies beyond what milliseconds can count.
    static func milliseconds(_ value: JSONValue) -> Int64? {
        switch value {
        case .int(let seconds):
            let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
            return overflow ? nil : product
        case .number(let seconds):
            let milliseconds = seconds * 1000
            guard milliseconds.isFinite, milliseconds > -9.2e18, milliseconds < 9.2e18 else { return nil }
            return Int64(milliseconds)
        default:
            return nil
        }
    }
}
