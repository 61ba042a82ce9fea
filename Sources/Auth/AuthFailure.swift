/// Why a request's credentials were refused. Every case is answered the same way to the client
/// (401, `WWW-Authenticate: Bearer error="invalid_token"`, or `unauthenticated`); the case names
/// the reason in the message and in `auth_failures_total{reason}`, whose label values are exactly
/// `AuthFailure.reasons`.
public enum AuthFailure: Error, Sendable, Hashable {
    /// No `Authorization: Bearer …` at all.
    case missing
    /// The token is longer than `JWTVerifier.tokenBytesMax`; nothing else was looked at.
    case tooLarge
    /// Not `Bearer <token>`, not three base64url segments, a header or claims that are not a JSON
    /// object, a claim of the wrong type, or a header this server must not ignore (`crit`).
    case malformed(String)
    /// `alg` is `none`, unknown, or an algorithm this server has no key for (an HS256 token when
    /// only RSA keys are configured, or the reverse: no key confusion).
    case algorithm(String)
    /// No configured RSA key has the token's `kid` (or it names none while several keys exist).
    case unknownKey
    /// The signature does not verify.
    case signature
    /// `exp` is missing or lies more than the leeway in the past.
    case expired
    /// `nbf` lies more than the leeway in the future.
    case notYetValid
    /// `iat` lies more than the leeway in the future.
    case issuedInFuture
    /// `iss` is not the configured issuer.
    case issuer
    /// `aud` does not name the configured audience.
    case audience
    /// `sub` is missing or not a usable caller id.
    case subject

    /// Every value of `reason`, for registering the metric's series up front.
    public static let reasons = [
        "missing", "too_large", "malformed", "algorithm", "unknown_key", "signature", "expired", "not_yet_valid",
        "issued_in_future", "issuer", "audience", "subject",
    ]

    /// The metric label (one of `reasons`).
    public var reason: String {
        switch self {
        case .missing: "missing"
        case .tooLarge: "too_large"
        case .malformed: "malformed"
        case .algorithm: "algorithm"
        case .unknownKey: "unknown_key"
        case .signature: "signature"
        case .expired: "expired"
        case .notYetValid: "not_yet_valid"
        case .issuedInFuture: "issued_in_future"
        case .issuer: "issuer"
        case .audience: "audience"
        case .subject: "subject"
        }
    }

    /// Index of `reason` in `reasons`.
    public var reasonIndex: Int { Self.reasons.firstIndex(of: reason) ?? 0 }

    /// What the client is told; never the token or a key.
    public var message: String {
        switch self {
        case .missing: "a bearer token is required (Authorization: Bearer <JWT>)"
        case .tooLarge: "the bearer token is longer than \(JWTVerifier.tokenBytesMax) bytes"
        case .malformed(let detail): "the bearer token is malformed: \(detail)"
        case .algorithm(let detail): "the token's algorithm is not accepted: \(detail)"
        case .unknownKey: "the token's key id (kid) names no configured key"
        case .signature: "the token's signature does not verify"
        case .expired: "the token has expired"
        case .notYetValid: "the token is not valid yet (nbf)"
        case .issuedInFuture: "the token is issued in the future (iat)"
        case .issuer: "the token's issuer (iss) is not accepted"
        case .audience: "the token's audience (aud) does not include this server"
        case .subject: "the token's subject (sub) is missing or not a valid caller id"
        }
    }
}

/// Who a verified token speaks for.
public struct Principal: Sendable, Hashable {
    /// The `sub` claim.
    public let subject: String
    /// Whether `roles` (an array) or `scope` (space-separated) contains `admin`.
    public let isAdmin: Bool
    /// When the token stops being accepted (its `exp` plus the leeway), wall-clock milliseconds.
    public let acceptedUntilMs: Int64

    public init(subject: String, isAdmin: Bool, acceptedUntilMs: Int64) {
        self.subject = subject
        self.isAdmin = isAdmin
        self.acceptedUntilMs = acceptedUntilMs
    }
}
