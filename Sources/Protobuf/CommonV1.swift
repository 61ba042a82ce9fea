/// The messages of `proto/common/v1/types.proto` (package `common.v1`).
public enum CommonV1 {
    /// An amount in the currency's minor units (KRW has none).
    public struct Money: ProtoMessage {
        public var amount: Int64 = 0
        /// ISO 4217, e.g. `KRW`.
        public var currency = ""

        public init() {}

        public init(amount: Int64, currency: String) {
            self.amount = amount
            self.currency = currency
        }

        public static let protoName = "common.v1.Money"
        public static let schema = ProtoSchema<Money>([
            .scalar(1, "amount", \.amount),
            .scalar(2, "currency", \.currency),
        ])
    }

    /// One seat; `A-12` is `{id: "A-12", section: "A", number: "12"}`.
    public struct Seat: ProtoMessage {
        public var id = ""
        public var section = ""
        public var row = ""
        public var number = ""
        public var price: Money?
        public var status = SeatStatus.unspecified

        public init() {}

        public static let protoName = "common.v1.Seat"
        public static let schema = ProtoSchema<Seat>([
            .scalar(1, "id", \.id),
            .scalar(2, "section", \.section),
            .scalar(3, "row", \.row),
            .scalar(4, "number", \.number),
            .message(5, "price", \.price),
            .scalar(6, "status", \.status),
        ])
    }

    /// Where a seat stands.
    public struct SeatStatus: ProtoEnum {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let unspecified = SeatStatus(rawValue: 0)
        public static let available = SeatStatus(rawValue: 1)
        public static let reserved = SeatStatus(rawValue: 2)
        public static let sold = SeatStatus(rawValue: 3)
        public static let blocked = SeatStatus(rawValue: 4)

        public static let protoName = "common.v1.SeatStatus"
        public static let protoValues: ProtoEnumValues = [
            0: "SEAT_STATUS_UNSPECIFIED",
            1: "SEAT_STATUS_AVAILABLE",
            2: "SEAT_STATUS_RESERVED",
            3: "SEAT_STATUS_SOLD",
            4: "SEAT_STATUS_BLOCKED",
        ]
    }

    /// A page request: a page number, or a cursor from `PageInfo`.
    public struct Pagination: ProtoMessage {
        public var page: Int32 = 0
        public var pageSize: Int32 = 0
        public var cursor = ""

        public init() {}

        public static let protoName = "common.v1.Pagination"
        public static let schema = ProtoSchema<Pagination>([
            .scalar(1, "page", \.page),
            .scalar(2, "page_size", \.pageSize),
            .scalar(3, "cursor", \.cursor),
        ])
    }

    /// What a listing returned and how to get the next page.
    public struct PageInfo: ProtoMessage {
        public var totalCount: Int32 = 0
        public var hasNext = false
        public var hasPrevious = false
        public var nextCursor = ""
        public var previousCursor = ""

        public init() {}

        public static let protoName = "common.v1.PageInfo"
        public static let schema = ProtoSchema<PageInfo>([
            .scalar(1, "total_count", \.totalCount),
            .scalar(2, "has_next", \.hasNext),
            .scalar(3, "has_previous", \.hasPrevious),
            .scalar(4, "next_cursor", \.nextCursor),
            .scalar(5, "previous_cursor", \.previousCursor),
        ])
    }

    /// An error inside a response message.
    public struct Error: ProtoMessage {
        public var code = ErrorCode.unspecified
        public var message = ""
        public var traceID = ""
        public var details: [ErrorDetail] = []

        public init() {}

        public static let protoName = "common.v1.Error"
        public static let schema = ProtoSchema<Error>([
            .scalar(1, "code", \.code),
            .scalar(2, "message", \.message),
            .scalar(3, "trace_id", \.traceID),
            .repeatedMessage(4, "details", \.details),
        ])
    }

    /// One problem with one field of a request.
    public struct ErrorDetail: ProtoMessage {
        public var field = ""
        public var reason = ""
        public var value = ""

        public init() {}

        public static let protoName = "common.v1.ErrorDetail"
        public static let schema = ProtoSchema<ErrorDetail>([
            .scalar(1, "field", \.field),
            .scalar(2, "reason", \.reason),
            .scalar(3, "value", \.value),
        ])
    }

    /// Error codes shared by the services.
    public struct ErrorCode: ProtoEnum {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let unspecified = ErrorCode(rawValue: 0)
        public static let unauthenticated = ErrorCode(rawValue: 1)
        public static let forbidden = ErrorCode(rawValue: 2)
        public static let unauthorized = ErrorCode(rawValue: 3)
        public static let invalidArgument = ErrorCode(rawValue: 4)
        public static let notFound = ErrorCode(rawValue: 5)
        public static let alreadyExists = ErrorCode(rawValue: 6)
        public static let failedPrecondition = ErrorCode(rawValue: 7)
        public static let rateLimited = ErrorCode(rawValue: 8)
        public static let quotaExceeded = ErrorCode(rawValue: 9)
        public static let idempotencyRequired = ErrorCode(rawValue: 10)
        public static let idempotencyConflict = ErrorCode(rawValue: 11)
        public static let reservationExpired = ErrorCode(rawValue: 12)
        public static let paymentNotApproved = ErrorCode(rawValue: 13)
        public static let inventoryConflict = ErrorCode(rawValue: 14)
        public static let insufficientInventory = ErrorCode(rawValue: 15)
        public static let `internal` = ErrorCode(rawValue: 16)
        public static let unavailable = ErrorCode(rawValue: 17)
        public static let timeout = ErrorCode(rawValue: 18)
        public static let upstreamTimeout = ErrorCode(rawValue: 19)
        public static let upstreamError = ErrorCode(rawValue: 20)
        public static let dataCorruption = ErrorCode(rawValue: 21)
        public static let concurrentModification = ErrorCode(rawValue: 22)

        public static let protoName = "common.v1.ErrorCode"
        public static let protoValues: ProtoEnumValues = [
            0: "ERROR_CODE_UNSPECIFIED",
            1: "ERROR_CODE_UNAUTHENTICATED",
            2: "ERROR_CODE_FORBIDDEN",
            3: "ERROR_CODE_UNAUTHORIZED",
            4: "ERROR_CODE_INVALID_ARGUMENT",
            5: "ERROR_CODE_NOT_FOUND",
            6: "ERROR_CODE_ALREADY_EXISTS",
            7: "ERROR_CODE_FAILED_PRECONDITION",
            8: "ERROR_CODE_RATE_LIMITED",
            9: "ERROR_CODE_QUOTA_EXCEEDED",
            10: "ERROR_CODE_IDEMPOTENCY_REQUIRED",
            11: "ERROR_CODE_IDEMPOTENCY_CONFLICT",
            12: "ERROR_CODE_RESERVATION_EXPIRED",
            13: "ERROR_CODE_PAYMENT_NOT_APPROVED",
            14: "ERROR_CODE_INVENTORY_CONFLICT",
            15: "ERROR_CODE_INSUFFICIENT_INVENTORY",
            16: "ERROR_CODE_INTERNAL",
            17: "ERROR_CODE_UNAVAILABLE",
            18: "ERROR_CODE_TIMEOUT",
            19: "ERROR_CODE_UPSTREAM_TIMEOUT",
            20: "ERROR_CODE_UPSTREAM_ERROR",
            21: "ERROR_CODE_DATA_CORRUPTION",
            22: "ERROR_CODE_CONCURRENT_MODIFICATION",
        ]
    }
}
