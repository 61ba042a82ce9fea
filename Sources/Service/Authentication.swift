import Auth
import Synchronization

/// How callers are identified (API.md, "Authentication and ownership").
public enum AuthenticationMode: Sendable {
    /// The caller names itself (`X-User-Id`, `x-user-id`, a request's `user_id`) or is
    /// `anonymous`; the admin endpoints are open to every caller.
    case none
    /// `Authorization: Bearer <JWT>` on every call; the caller is the token's `sub`.
    case jwt(JWTVerifier)
}

/// What a request brings to say who sends it, as the door read it.
public struct Credentials: Sendable {
    /// `Authorization` (REST, Connect) or `authorization` metadata (gRPC), as sent.
    public var authorization: String?
    /// The caller id the request names (`X-User-Id`, `x-user-id`, `user_id`), if any.
    public var claimedUserID: String?
    /// Where `claimedUserID` came from, for error details.
    public var claimedField: String

    public init(authorization: String?, claimedUserID: String?, claimedField: String) {
        self.authorization = authorization
        self.claimedUserID = claimedUserID
        self.claimedField = claimedField
    }
}

/// Refusals counted by reason, for `auth_failures_total{reason}`; also the rate limiter's refusals.
public final class AuthStatistics: Sendable {
    /// Per reason; a lock on the refusal path only (an accepted request never takes it).
    private let failures = Mutex([UInt64](repeating: 0, count: AuthFailure.reasons.count))
    private let rateLimited = Atomic<UInt64>(0)

    public init() {}

    func record(_ failure: AuthFailure) {
        failures.withLock { $0[failure.reasonIndex] += 1 }
    }

    func recordRateLimited() {
        rateLimited.add(1, ordering: .relaxed)
    }

    /// Refusals with `reason` (one of `AuthFailure.reasons`).
    public func failures(reason: String) -> UInt64 {
        guard let index = AuthFailure.reasons.firstIndex(of: reason) else { return 0 }
        return failures.withLock { $0[index] }
    }

    /// Requests refused by the rate limit.
    public var rateLimitedCount: UInt64 { rateLimited.load(ordering: .relaxed) }
}

extension ReservationService {
    /// Whether callers prove who they are (`AUTH_MODE=jwt`).
    public var authenticates: Bool {
        if case .jwt = configuration.authentication { return true }
        return false
    }

    /// Who sends a request. Auth off: the id it claims, or `anonymous`. Auth on: the subject of
    /// its bearer token, verified (or found in this loop's cache of verified tokens); a claimed id
    /// must then be the same caller, since nobody may act as someone else.
    public func caller(_ credentials: Credentials, loop: Int) throws(ServiceError) -> Caller {
        guard case .jwt(let verifier) = configuration.authentication else {
            return try Caller.resolve(claimed: credentials.claimedUserID, field: credentials.claimedField)
        }
        let principal: Principal
        do throws(AuthFailure) {
            principal = try authenticate(credentials.authorization, verifier: verifier, loop: loop)
        } catch {
            authStatistics.record(error)
            throw .unauthenticated(error)
        }
        let caller: Caller
        do throws(ServiceError) {
            caller = try Caller.resolve(claimed: principal.subject, field: "sub")
        } catch {
            authStatistics.record(.subject)
            throw .unauthenticated(.subject)
        }
        if let claimed = credentials.claimedUserID, claimed != caller.userID {
            throw .forbidden("\(credentials.claimedField) names another caller than the bearer token")
        }
        return Caller(userID: caller.userID, isAdmin: principal.isAdmin)
    }

    /// Throws `.forbidden` unless `caller` may use the admin endpoints: with auth on, a token whose
    /// `roles` or `scope` holds `admin`; with auth off, everyone. One line at the top of any admin route.
    public func requireAdmin(_ caller: Caller) throws(ServiceError) {
        guard authenticates, !caller.isAdmin else { return }
        throw .forbidden("this endpoint is for admins (a token whose roles or scope contain admin)")
    }

    private func authenticate(_ authorization: String?, verifier: JWTVerifier, loop: Int) throws(AuthFailure) -> Principal {
        guard let authorization else { throw .missing }
        // RFC 6750 §2.1: "Bearer" (any case), one or more spaces, the token.
        let bytes = authorization.utf8
        guard bytes.count > 7, bytes.prefix(6).map({ $0 | 0x20 }).elementsEqual("bearer".utf8),
            bytes.dropFirst(6).first == UInt8(ascii: " ")
        else { throw .malformed("the Authorization scheme must be Bearer") }
        let token = authorization.utf8.dropFirst(7).drop { $0 == UInt8(ascii: " ") }
        guard token.count <= JWTVerifier.tokenBytesMax else { throw .tooLarge }
        let text = String(Substring(token))
        let nowMs = clock.wallMilliseconds()
        let cache = tokenCaches[loop]
        let generation = verifier.keyGeneration
        if let cached = cache.principal(for: text, nowMs: nowMs, keyGeneration: generation) { return cached }
        let principal = try verifier.verify(text, nowMs: nowMs).get()
        cache.remember(text, principal, keyGeneration: generation)
        return principal
    }
}
