/// A business outcome other than success, with the contract's error code (API.md, "Errors").
///
/// Each door maps these to its own status (an HTTP status, an RPC code); the domain knows neither.
public enum DomainError: Error, Sendable, Hashable {
    /// No such event, or it is still being created.
    case eventNotFound
    /// `POST /v1/events` with an id that is taken.
    case eventAlreadyExists
    /// A requested seat is held or sold, or fewer seats than requested are free.
    case seatUnavailable
    /// No such reservation for this caller (also when it belongs to someone else).
    case reservationNotFound
    /// The hold deadline passed.
    case reservationExpired
    /// The reservation is already confirmed.
    case alreadyConfirmed
    /// The reservation is already cancelled.
    case alreadyCancelled
    /// The hold was extended as often as allowed, or reaches its longest allowed life already.
    case holdExtensionLimit
    /// The caller already has `--max-live-holds-per-user` live holds (API.md, "Limits per caller").
    case holdLimitExceeded
    /// The input breaks a documented rule; one entry per field.
    case invalid([FieldProblem])
    /// The Idempotency-Key was used before, in the same scope, for a request with another
    /// fingerprint (API.md, "Idempotency"). Never stored: the key still belongs to the first request.
    case idempotencyConflict
    /// The caller already has as many idempotency keys remembered as one caller may; a new key
    /// is refused until older ones expire (at the latest after `retryAfterSeconds`). Never stored.
    case idempotencyKeyLimit(retryAfterSeconds: Int)
    /// The change could not be stored (the transaction failed or rolled back); nothing was changed,
    /// so the caller may retry.
    case storageFailure

    /// The API error code (API.md, "Errors").
    public var code: String {
        switch self {
        case .eventNotFound: "EVENT_NOT_FOUND"
        case .eventAlreadyExists: "EVENT_ALREADY_EXISTS"
        case .seatUnavailable: "SEAT_UNAVAILABLE"
        case .reservationNotFound: "RESERVATION_NOT_FOUND"
        case .reservationExpired: "RESERVATION_EXPIRED"
        case .alreadyConfirmed: "RESERVATION_ALREADY_CONFIRMED"
        case .alreadyCancelled: "RESERVATION_ALREADY_CANCELLED"
        case .holdExtensionLimit: "HOLD_EXTENSION_LIMIT"
        case .holdLimitExceeded: "HOLD_LIMIT_EXCEEDED"
        case .idempotencyKeyLimit: "RATE_LIMIT_EXCEEDED"
        case .invalid: "INVALID_REQUEST"
        case .idempotencyConflict: "IDEMPOTENCY_CONFLICT"
        case .storageFailure: "SERVICE_UNAVAILABLE"
        }
    }

    /// Whether this is an answer about stored state that a retry of the same request would not get
    /// again once the first request changed that state — and so is kept for idempotent replay.
    /// Malformed requests, key conflicts and storage failures are not.
    public var isBusinessOutcome: Bool {
        switch self {
        case .eventNotFound, .eventAlreadyExists, .seatUnavailable, .reservationNotFound, .reservationExpired,
            .alreadyConfirmed, .alreadyCancelled, .holdExtensionLimit, .holdLimitExceeded:
            true
        case .invalid, .idempotencyConflict, .idempotencyKeyLimit, .storageFailure: false
        }
    }

    /// A short human-readable message for the error body.
    public var message: String {
        switch self {
        case .eventNotFound: "Event not found"
        case .eventAlreadyExists: "An event with this id already exists"
        case .seatUnavailable: "The requested seats are not available"
        case .reservationNotFound: "Reservation not found"
        case .reservationExpired: "The reservation hold has expired"
        case .alreadyConfirmed: "The reservation is already confirmed"
        case .alreadyCancelled: "The reservation is already cancelled"
        case .holdExtensionLimit: "The hold cannot be extended any further"
        case .holdLimitExceeded: "This caller already holds as many live reservations as allowed"
        case .idempotencyKeyLimit: "This caller has as many Idempotency-Keys remembered as allowed; retry once older ones expire"
        case .invalid: "The request is invalid"
        case .idempotencyConflict: "This Idempotency-Key was already used with a different request"
        case .storageFailure: "The change could not be stored; try again"
        }
    }

    /// The per-field problems of `.invalid`, empty for every other case.
    public var details: [FieldProblem] {
        if case .invalid(let problems) = self { return problems }
        return []
    }
}
