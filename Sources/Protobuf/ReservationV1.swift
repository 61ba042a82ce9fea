/// The messages of `proto/reservation/v1/reservation.proto` (package `reservation.v1`), which the
/// services `reservation.v1.ReservationService` and `com.traffic_tacos.reservation.v1.ReservationService` share.
public enum ReservationV1 {
    public typealias Timestamp = GoogleProtobuf.Timestamp

    public struct CreateReservationRequest: ProtoMessage {
        public var eventID = ""
        /// Exact seats, all or nothing; empty asks for the best available `quantity`.
        public var seatIDs: [String] = []
        public var quantity: Int32 = 0
        public var userID = ""
        public var reservationToken = ""
        public var idempotencyKey = ""
        public var metadata: ReservationMetadata?

        public init() {}

        public static let protoName = "reservation.v1.CreateReservationRequest"
        public static let schema = ProtoSchema<CreateReservationRequest>([
            .scalar(1, "event_id", \.eventID),
            .repeated(2, "seat_ids", \.seatIDs),
            .scalar(3, "quantity", \.quantity),
            .scalar(4, "user_id", \.userID),
            .scalar(5, "reservation_token", \.reservationToken),
            .scalar(6, "idempotency_key", \.idempotencyKey),
            .message(7, "metadata", \.metadata),
        ])
    }

    public struct CreateReservationResponse: ProtoMessage {
        public var reservationID = ""
        public var status = ReservationStatus.unspecified
        public var holdExpiresAt: Timestamp?
        public var reservedSeats: [CommonV1.Seat] = []
        public var totalAmount: CommonV1.Money?
        public var paymentURL = ""
        public var error: CommonV1.Error?

        public init() {}

        public static let protoName = "reservation.v1.CreateReservationResponse"
        public static let schema = ProtoSchema<CreateReservationResponse>([
            .scalar(1, "reservation_id", \.reservationID),
            .scalar(2, "status", \.status),
            .message(3, "hold_expires_at", \.holdExpiresAt),
            .repeatedMessage(4, "reserved_seats", \.reservedSeats),
            .message(5, "total_amount", \.totalAmount),
            .scalar(6, "payment_url", \.paymentURL),
            .message(7, "error", \.error),
        ])
    }

    public struct GetReservationRequest: ProtoMessage {
        public var reservationID = ""
        public var userID = ""

        public init() {}

        public static let protoName = "reservation.v1.GetReservationRequest"
        public static let schema = ProtoSchema<GetReservationRequest>([
            .scalar(1, "reservation_id", \.reservationID),
            .scalar(2, "user_id", \.userID),
        ])
    }

    public struct GetReservationResponse: ProtoMessage {
        public var reservation: Reservation?
        public var error: CommonV1.Error?

        public init() {}

        public static let protoName = "reservation.v1.GetReservationResponse"
        public static let schema = ProtoSchema<GetReservationResponse>([
            .message(1, "reservation", \.reservation),
            .message(2, "error", \.error),
        ])
    }

    public struct ConfirmReservationRequest: ProtoMessage {
        public var reservationID = ""
        public var paymentIntentID = ""
        public var userID = ""
        public var idempotencyKey = ""

        public init() {}

        public static let protoName = "reservation.v1.ConfirmReservationRequest"
        public static let schema = ProtoSchema<ConfirmReservationRequest>([
            .scalar(1, "reservation_id", \.reservationID),
            .scalar(2, "payment_intent_id", \.paymentIntentID),
            .scalar(3, "user_id", \.userID),
            .scalar(4, "idempotency_key", \.idempotencyKey),
        ])
    }

    public struct ConfirmReservationResponse: ProtoMessage {
        public var orderID = ""
        public var status = ReservationStatus.unspecified
        public var confirmedAt: Timestamp?
        public var confirmedSeats: [CommonV1.Seat] = []
        public var error: CommonV1.Error?

        public init() {}

        public static let protoName = "reservation.v1.ConfirmReservationResponse"
        public static let schema = ProtoSchema<ConfirmReservationResponse>([
            .scalar(1, "order_id", \.orderID),
            .scalar(2, "status", \.status),
            .message(3, "confirmed_at", \.confirmedAt),
            .repeatedMessage(4, "confirmed_seats", \.confirmedSeats),
            .message(5, "error", \.error),
        ])
    }

    public struct CancelReservationRequest: ProtoMessage {
        public var reservationID = ""
        public var userID = ""
        public var reason = ""
        public var idempotencyKey = ""

        public init() {}

        public static let protoName = "reservation.v1.CancelReservationRequest"
        public static let schema = ProtoSchema<CancelReservationRequest>([
            .scalar(1, "reservation_id", \.reservationID),
            .scalar(2, "user_id", \.userID),
            .scalar(3, "reason", \.reason),
            .scalar(4, "idempotency_key", \.idempotencyKey),
        ])
    }

    public struct CancelReservationResponse: ProtoMessage {
        public var status = ReservationStatus.unspecified
        public var cancelledAt: Timestamp?
        public var releasedSeats: [CommonV1.Seat] = []
        public var error: CommonV1.Error?

        public init() {}

        public static let protoName = "reservation.v1.CancelReservationResponse"
        public static let schema = ProtoSchema<CancelReservationResponse>([
            .scalar(1, "status", \.status),
            .message(2, "cancelled_at", \.cancelledAt),
            .repeatedMessage(3, "released_seats", \.releasedSeats),
            .message(4, "error", \.error),
        ])
    }

    public struct ListReservationsRequest: ProtoMessage {
        public var userID = ""
        /// `.unspecified` lists every status.
        public var status = ReservationStatus.unspecified
        public var eventID = ""
        public var pagination: CommonV1.Pagination?

        public init() {}

        public static let protoName = "reservation.v1.ListReservationsRequest"
        public static let schema = ProtoSchema<ListReservationsRequest>([
            .scalar(1, "user_id", \.userID),
            .scalar(2, "status", \.status),
            .scalar(3, "event_id", \.eventID),
            .message(4, "pagination", \.pagination),
        ])
    }

    public struct ListReservationsResponse: ProtoMessage {
        public var reservations: [Reservation] = []
        public var pageInfo: CommonV1.PageInfo?
        public var error: CommonV1.Error?

        public init() {}

        public static let protoName = "reservation.v1.ListReservationsResponse"
        public static let schema = ProtoSchema<ListReservationsResponse>([
            .repeatedMessage(1, "reservations", \.reservations),
            .message(2, "page_info", \.pageInfo),
            .message(3, "error", \.error),
        ])
    }

    public struct ExtendHoldRequest: ProtoMessage {
        public var reservationID = ""
        public var userID = ""
        public var extensionSeconds: Int32 = 0
        public var reason = ""
        public var idempotencyKey = ""

        public init() {}

        public static let protoName = "reservation.v1.ExtendHoldRequest"
        public static let schema = ProtoSchema<ExtendHoldRequest>([
            .scalar(1, "reservation_id", \.reservationID),
            .scalar(2, "user_id", \.userID),
            .scalar(3, "extension_seconds", \.extensionSeconds),
            .scalar(4, "reason", \.reason),
            .scalar(5, "idempotency_key", \.idempotencyKey),
        ])
    }

    public struct ExtendHoldResponse: ProtoMessage {
        public var newExpiresAt: Timestamp?
        public var extendedSeconds: Int32 = 0
        public var extensionAllowed = false
        public var error: CommonV1.Error?

        public init() {}

        public static let protoName = "reservation.v1.ExtendHoldResponse"
        public static let schema = ProtoSchema<ExtendHoldResponse>([
            .message(1, "new_expires_at", \.newExpiresAt),
            .scalar(2, "extended_seconds", \.extendedSeconds),
            .scalar(3, "extension_allowed", \.extensionAllowed),
            .message(4, "error", \.error),
        ])
    }

    public struct Reservation: ProtoMessage {
        public var reservationID = ""
        public var eventID = ""
        public var userID = ""
        public var status = ReservationStatus.unspecified
        public var seats: [CommonV1.Seat] = []
        public var quantity: Int32 = 0
        public var totalAmount: CommonV1.Money?
        public var createdAt: Timestamp?
        public var updatedAt: Timestamp?
        /// Set while on hold.
        public var holdExpiresAt: Timestamp?
        public var paymentIntentID = ""
        /// Set once confirmed.
        public var orderID = ""
        public var metadata: ReservationMetadata?

        public init() {}

        public static let protoName = "reservation.v1.Reservation"
        public static let schema = ProtoSchema<Reservation>([
            .scalar(1, "reservation_id", \.reservationID),
            .scalar(2, "event_id", \.eventID),
            .scalar(3, "user_id", \.userID),
            .scalar(4, "status", \.status),
            .repeatedMessage(5, "seats", \.seats),
            .scalar(6, "quantity", \.quantity),
            .message(7, "total_amount", \.totalAmount),
            .message(8, "created_at", \.createdAt),
            .message(9, "updated_at", \.updatedAt),
            .message(10, "hold_expires_at", \.holdExpiresAt),
            .scalar(11, "payment_intent_id", \.paymentIntentID),
            .scalar(12, "order_id", \.orderID),
            .message(13, "metadata", \.metadata),
        ])
    }

    /// Where a request came from.
    public struct ReservationMetadata: ProtoMessage {
        public var source = ""
        public var userAgent = ""
        public var ipAddress = ""
        public var sessionID = ""
        public var tags: [String: String] = [:]

        public init() {}

        public static let protoName = "reservation.v1.ReservationMetadata"
        public static let schema = ProtoSchema<ReservationMetadata>([
            .scalar(1, "source", \.source),
            .scalar(2, "user_agent", \.userAgent),
            .scalar(3, "ip_address", \.ipAddress),
            .scalar(4, "session_id", \.sessionID),
            .map(5, "tags", \.tags),
        ])
    }

    /// The reservation lifecycle.
    public struct ReservationStatus: ProtoEnum {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let unspecified = ReservationStatus(rawValue: 0)
        public static let pending = ReservationStatus(rawValue: 1)
        public static let hold = ReservationStatus(rawValue: 2)
        public static let confirmed = ReservationStatus(rawValue: 3)
        public static let cancelled = ReservationStatus(rawValue: 4)
        public static let expired = ReservationStatus(rawValue: 5)
        public static let failed = ReservationStatus(rawValue: 6)
        public static let refunded = ReservationStatus(rawValue: 7)

        public static let protoName = "reservation.v1.ReservationStatus"
        public static let protoValues: ProtoEnumValues = [
            0: "RESERVATION_STATUS_UNSPECIFIED",
            1: "RESERVATION_STATUS_PENDING",
            2: "RESERVATION_STATUS_HOLD",
            3: "RESERVATION_STATUS_CONFIRMED",
            4: "RESERVATION_STATUS_CANCELLED",
            5: "RESERVATION_STATUS_EXPIRED",
            6: "RESERVATION_STATUS_FAILED",
            7: "RESERVATION_STATUS_REFUNDED",
        ]
    }
}
