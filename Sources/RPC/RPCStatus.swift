import Protobuf
import Reservations
import Service

/// The RPC status codes (the gRPC codes, which Connect shares by name).
public struct RPCCode: RawRepresentable, Sendable, Hashable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let ok = RPCCode(rawValue: 0)
    public static let canceled = RPCCode(rawValue: 1)
    public static let unknown = RPCCode(rawValue: 2)
    public static let invalidArgument = RPCCode(rawValue: 3)
    public static let deadlineExceeded = RPCCode(rawValue: 4)
    public static let notFound = RPCCode(rawValue: 5)
    public static let alreadyExists = RPCCode(rawValue: 6)
    public static let permissionDenied = RPCCode(rawValue: 7)
    public static let resourceExhausted = RPCCode(rawValue: 8)
    public static let failedPrecondition = RPCCode(rawValue: 9)
    public static let aborted = RPCCode(rawValue: 10)
    public static let outOfRange = RPCCode(rawValue: 11)
    public static let unimplemented = RPCCode(rawValue: 12)
    public static let `internal` = RPCCode(rawValue: 13)
    public static let unavailable = RPCCode(rawValue: 14)
    public static let dataLoss = RPCCode(rawValue: 15)
    public static let unauthenticated = RPCCode(rawValue: 16)

    /// RPC.md's table: each error class is one code.
    public init(_ errorClass: ErrorClass) {
        self = switch errorClass {
        case .invalidArgument: .invalidArgument
        case .notFound: .notFound
        case .alreadyExists: .alreadyExists
        case .aborted: .aborted
        case .failedPrecondition: .failedPrecondition
        case .resourceExhausted: .resourceExhausted
        case .unauthenticated: .unauthenticated
        case .permissionDenied: .permissionDenied
        case .unavailable: .unavailable
        case .deadlineExceeded: .deadlineExceeded
        case .unimplemented: .unimplemented
        case .internal: .internal
        }
    }

    private static let names = [
        "ok", "canceled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists",
        "permission_denied", "resource_exhausted", "failed_precondition", "aborted", "out_of_range",
        "unimplemented", "internal", "unavailable", "data_loss", "unauthenticated",
    ]

    /// The Connect name (`aborted`, `invalid_argument`); `unknown` for a number outside the table.
    public var name: String {
        Self.names.indices.contains(Int(rawValue)) ? Self.names[Int(rawValue)] : "unknown"
    }
}

/// A failed call: code, message, and the `google.rpc.ErrorInfo` RPC.md promises.
public struct RPCStatus: Error, Sendable, Equatable {
    public var code: RPCCode
    public var message: String
    public var details: [GoogleProtobuf.`Any`]

    public init(_ code: RPCCode, _ message: String, details: [GoogleProtobuf.`Any`] = []) {
        self.code = code
        self.message = message
        self.details = details
    }

    /// The domain of every ErrorInfo this server sends.
    public static let errorDomain = "reservation.v1"

    /// A service error as RPC.md says: the message starts with the REST code, and an ErrorInfo
    /// carries the code as its reason and one metadata entry per field problem.
    public init(_ error: ServiceError) {
        var info = GoogleRPC.ErrorInfo()
        info.reason = error.code
        info.domain = Self.errorDomain
        for problem in error.details { info.metadata[problem.field] = problem.problem }
        if let seconds = error.retryAfterSeconds { info.metadata["retryAfterSeconds"] = String(seconds) }
        self.init(RPCCode(error.errorClass), "\(error.code): \(error.message)", details: [GoogleProtobuf.Any(packing: info)])
    }

    /// A service error as an RPC client sees it: field problems named by the proto fields
    /// (`event_id`, `pagination.page_size`) rather than the REST ones.
    public init(rpc error: ServiceError) {
        guard case .domain(.invalid(let problems)) = error else {
            self.init(error)
            return
        }
        self.init(.invalid(problems.map { FieldProblem(field: Self.protoFieldNames[$0.field] ?? $0.field, problem: $0.problem) }))
    }

    /// REST field names (the service's) → the request messages' proto field names.
    static let protoFieldNames = [
        "eventId": "event_id", "seatIds": "seat_ids", "reservationToken": "reservation_token", "userId": "user_id",
        "reservationId": "reservation_id", "paymentIntentId": "payment_intent_id", "seconds": "extension_seconds",
        "limit": "pagination.page_size", "cursor": "pagination.cursor",
    ]

    /// A request the server cannot read.
    public static func malformed(_ error: ProtoError) -> RPCStatus {
        RPCStatus(ServiceError.invalid([FieldProblem(field: "request", problem: error.message)]))
    }

    /// A call that could not be admitted: its loop has no room left for a late answer.
    public static let tooManyInFlight = RPCStatus(.unavailable, "SERVICE_UNAVAILABLE: too many requests in flight; retry shortly")

    /// `google.rpc.Status` with this code, message and details.
    public var googleStatus: GoogleRPC.Status {
        var status = GoogleRPC.Status()
        status.code = code.rawValue
        status.message = message
        status.details = details
        return status
    }

    /// The status as stored for replay and as gRPC sends it in `grpc-status-details-bin`.
    public var serializedBytes: [UInt8] { googleStatus.serializedBytes() }

    /// A stored status; nil when the bytes are not one.
    public init?(serializedBytes bytes: [UInt8]) {
        guard let status = try? GoogleRPC.Status(serializedBytes: bytes) else { return nil }
        self.init(RPCCode(rawValue: status.code), status.message, details: status.details)
    }
}

/// A call's deadline (`grpc-timeout`, `Connect-Timeout-Ms`), kept on the monotonic clock so that a
/// step of the wall clock neither expires nor stretches calls in flight.
public struct RPCDeadline: Sendable {
    private let atNanoseconds: UInt64

    public init(timeoutMilliseconds: Int64, nowNanoseconds: UInt64) {
        atNanoseconds = nowNanoseconds &+ UInt64(clamping: timeoutMilliseconds) &* 1_000_000
    }

    /// Throws DEADLINE_EXCEEDED when the deadline has come before the call starts.
    public func checkBeforeCall(nowNanoseconds: UInt64) throws(RPCStatus) {
        if atNanoseconds <= nowNanoseconds {
            throw RPCStatus(.deadlineExceeded, "DEADLINE_EXCEEDED: the deadline passed before the call started")
        }
    }

    /// DEADLINE_EXCEEDED when the answer came after the deadline, else nil.
    public func statusForAnswer(nowNanoseconds: UInt64) -> RPCStatus? {
        atNanoseconds < nowNanoseconds ? RPCStatus(.deadlineExceeded, "DEADLINE_EXCEEDED: the deadline passed before the answer") : nil
    }
}

extension RPCPayload {
    /// The request message, or INVALID_ARGUMENT for bytes that are not one.
    public func decode<Message: ProtoMessage>(_: Message.Type, limits: ProtoLimits) throws(RPCStatus) -> Message {
        do throws(ProtoError) {
            switch self {
            case .proto(let bytes): return try Message(serializedBytes: bytes, limits: limits)
            case .json(let bytes): return try Message(jsonBytes: bytes, limits: limits)
            }
        } catch {
            throw RPCStatus.malformed(error)
        }
    }
}
