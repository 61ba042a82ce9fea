import Crypto
import Reservations

/// What a door says about a request's idempotency key (API.md and RPC.md, "Idempotency").
///
/// The door knows how its requests are recognised when retried; the service knows the key's rules
/// and how scopes are formed.
public struct IdempotencyRequest: Sendable {
    /// The key as received, or nil when the request carried none.
    public var key: String?
    /// Where the key came from, for error details (`Idempotency-Key`, `idempotency_key`).
    public var field: String
    /// The operation as the door names it; part of the scope, so one key can serve several
    /// operations (REST: method and route template; RPC: the method's full name).
    public var operation: String
    /// The door's digest of what the request asks (REST: method, path and canonical JSON body; RPC:
    /// the deterministic encoding of the request with its key cleared).
    public var fingerprint: [UInt8]

    /// Describes a request's key.
    public init(key: String?, field: String, operation: String, fingerprint: [UInt8]) {
        self.key = key
        self.field = field
        self.operation = operation
        self.fingerprint = fingerprint
    }
}

/// The key's rules: 1–255 visible ASCII characters; scopes (caller, operation, key).
public enum IdempotencyKeys {
    /// Longest key, in characters.
    public static let lengthMax = 255

    /// The claim for `request` by `caller`; nil when it carries no key and none is `required`.
    static func claim(_ request: IdempotencyRequest?, caller: Caller, required: Bool) throws(ServiceError)
        -> IdempotencyClaim?
    {
        guard let request, let key = request.key else {
            if required { throw .missingIdempotencyKey }
            return nil
        }
        guard isValid(key) else {
            throw .invalid([FieldProblem(field: request.field, problem: "must be 1-\(lengthMax) visible ASCII characters")])
        }
        // NUL separates the parts: a key is visible ASCII and a caller id has no control characters,
        // so the parts cannot run together.
        return IdempotencyClaim(
            scope: "\(caller.userID)\u{0}\(request.operation)\u{0}\(key)", fingerprint: request.fingerprint)
    }

    /// Whether `key` is 1–255 visible ASCII characters.
    public static func isValid(_ key: String) -> Bool {
        let bytes = key.utf8
        return !bytes.isEmpty && bytes.count <= lengthMax && bytes.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }
}
