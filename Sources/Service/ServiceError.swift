import Auth
import Reservations

/// Why the service did not do what a door asked, in words every door can map.
public enum ServiceError: Error, Sendable, Hashable {
    /// A business outcome or a malformed request, as the domain decided it.
    case domain(DomainError)
    /// A write that needs an idempotency key came without one.
    case missingIdempotencyKey
    /// The server cannot take this now (starting, draining, a full queue); a retry shortly may work.
    case unavailable(String)
    /// A bug or a storage fault on a read; the text is for the log, never for the client.
    case internalFailure(String)
    /// The credentials are missing or refused (auth on).
    case unauthenticated(AuthFailure)
    /// The caller is known but may not do this (an admin endpoint, another caller's listing).
    case forbidden(String)
    /// The caller's token bucket is empty (`--rate-limit-per-second`); never stored for idempotency.
    case rateLimited(RateLimiter.Refusal)

    /// A malformed request with these problems.
    public static func invalid(_ problems: [FieldProblem]) -> ServiceError { .domain(.invalid(problems)) }

    /// The contract's error code (API.md, "Errors"; RPC.md puts it at the start of RPC messages).
    public var code: String {
        switch self {
        case .domain(let error): error.code
        case .missingIdempotencyKey: "MISSING_IDEMPOTENCY_KEY"
        case .unavailable: "SERVICE_UNAVAILABLE"
        case .internalFailure: "INTERNAL_ERROR"
        case .unauthenticated: "AUTHENTICATION_FAILED"
        case .forbidden: "FORBIDDEN"
        case .rateLimited: "RATE_LIMIT_EXCEEDED"
        }
    }

    /// A short message for the client.
    public var message: String {
        switch self {
        case .domain(let error): error.message
        case .missingIdempotencyKey: "an idempotency key is required"
        case .unavailable(let reason): reason
        case .internalFailure: "internal error; the log line carries this trace id"
        case .unauthenticated(let failure): failure.message
        case .forbidden(let reason): reason
        case .rateLimited(let refusal): "too many changes from this caller; retry in \(refusal.retryAfterSeconds) s"
        }
    }

    /// One problem per field for a malformed request; empty otherwise.
    public var details: [FieldProblem] {
        if case .domain(let error) = self { return error.details }
        return []
    }

    /// How the doors classify it (RPC.md, "Errors").
    public var errorClass: ErrorClass {
        switch self {
        case .domain(let error): error.errorClass
        case .missingIdempotencyKey: .invalidArgument
        case .unavailable: .unavailable
        case .internalFailure: .internal
        case .unauthenticated: .unauthenticated
        case .forbidden: .permissionDenied
        case .rateLimited: .resourceExhausted
        }
    }

    /// Seconds a client should wait before retrying, for the errors where a retry may succeed.
    public var retryAfterSeconds: Int? {
        if case .domain(.idempotencyKeyLimit(let seconds)) = self { return max(seconds, 1) }
        if case .rateLimited(let refusal) = self { return refusal.retryAfterSeconds }
        return errorClass == .unavailable ? 1 : nil
    }
}

/// The canonical error classes (the gRPC status codes, which Connect shares): each door maps them
/// to its own numbers — REST to HTTP statuses, RPC to status codes.
public enum ErrorClass: Sendable, Hashable, CaseIterable {
    case invalidArgument
    case notFound
    case alreadyExists
    case aborted
    case failedPrecondition
    case resourceExhausted
    case unauthenticated
    case permissionDenied
    case unavailable
    case deadlineExceeded
    case unimplemented
    case `internal`
}

extension DomainError {
    /// RPC.md's table: not found; conflicts of keys and ids; a lost race for seats; refusals by
    /// the reservation's state.
    public var errorClass: ErrorClass {
        switch self {
        case .eventNotFound, .reservationNotFound: .notFound
        case .eventAlreadyExists, .idempotencyConflict: .alreadyExists
        case .seatUnavailable: .aborted
        case .reservationExpired, .alreadyConfirmed, .alreadyCancelled, .holdExtensionLimit, .holdLimitExceeded: .failedPrecondition
        case .idempotencyKeyLimit: .resourceExhausted
        case .invalid: .invalidArgument
        // Nothing was committed and a retry may well succeed.
        case .storageFailure: .unavailable
        }
    }
}

extension [FieldProblem] {
    /// These problems with `later` appended except for fields already named: one problem per field,
    /// the earlier (usually a type problem found while reading the wire) winning.
    public func merging(_ later: [FieldProblem]) -> [FieldProblem] {
        var named = Set(map(\.field))
        var merged = self
        for problem in later where named.insert(problem.field).inserted {
            merged.append(problem)
        }
        return merged
    }
}
