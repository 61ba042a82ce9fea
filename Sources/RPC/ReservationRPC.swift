import Crypto
import Protobuf
import Reservations
import Service
import Timing

/// What a transport hands over with a call besides its message (RPC.md, "Callers, keys and errors").
public struct RPCContext: Sendable {
    /// Metadata `x-user-id`, when present: with auth off it names the caller, before the request's
    /// `user_id`.
    public var userID: String?
    /// Metadata `idempotency-key`, when present (the request's `idempotency_key` field wins).
    public var idempotencyKey: String?
    /// Metadata `authorization` (`Bearer <JWT>`), when present: with auth on it names the caller.
    public var authorization: String?
    /// The W3C trace context for the work the call causes.
    public var traceparent: String?
    /// The event loop the call runs on (for its reader).
    public var loop: Int
    /// The client's IP address bytes (an anonymous caller's rate-limit bucket).
    public var clientAddress: [UInt8] = []

    public init(userID: String?, idempotencyKey: String?, traceparent: String?, loop: Int, authorization: String? = nil) {
        self.userID = userID
        self.idempotencyKey = idempotencyKey
        self.authorization = authorization
        self.traceparent = traceparent
        self.loop = loop
    }
}

/// The request message as the transport received it (already decompressed).
public enum RPCPayload {
    /// The binary encoding (`application/proto`, gRPC).
    case proto(UnsafeRawBufferPointer)
    /// proto3 JSON (`application/json`).
    case json(UnsafeRawBufferPointer)
}

/// What a call produced.
public enum RPCResult: Sendable {
    /// The response message, in its deterministic binary encoding.
    case message([UInt8])
    /// A change for the writer. `render` turns its outcome into the stored reply: `Reply.code` is
    /// the RPC code (0 for OK) and the body the response message or the `google.rpc.Status`
    /// (`RPCReply`); the transport submits it with `ReservationService.submit`.
    case write(ServiceCommand, render: @Sendable (WriteOutcome) -> Reply)
}

/// One method of the service, with the request decoding, the call and the response's JSON form.
public struct RPCMethod: Sendable {
    /// The service name the client used.
    public let serviceName: String
    /// The method's name (`CreateReservation`).
    public let name: String
    /// `/reservation.v1.ReservationService/<name>` whichever service name was used: the alias is
    /// the same method, so a retry through either name replays (the idempotency scope).
    public let canonicalName: String
    /// Decodes the request and runs the call; throws the status to answer at once.
    public let call: @Sendable (RPCPayload, RPCContext) throws(RPCStatus) -> RPCResult
    /// The response's proto3 JSON from its binary encoding (for Connect JSON clients).
    public let responseJSON: @Sendable ([UInt8]) throws(ProtoError) -> [UInt8]
}

/// How the writer's reply for an RPC carries its result: code 0 with the response message, or the
/// status code with the encoded `google.rpc.Status`.
public enum RPCReply {
    public static func ok(_ response: some ProtoMessage) -> Reply {
        Reply(code: 0, body: response.serializedBytes())
    }

    public static func failed(_ status: RPCStatus) -> Reply {
        Reply(code: Int(status.code.rawValue), body: status.serializedBytes)
    }

    /// The result a stored or fresh reply stands for.
    public static func result(of reply: Reply) -> Result<[UInt8], RPCStatus> {
        guard reply.code != 0 else { return .success(reply.body) }
        return .failure(RPCStatus(serializedBytes: reply.body) ?? RPCStatus(.internal, "INTERNAL_ERROR: unreadable stored reply"))
    }
}

/// The reservation service's RPC interface (RPC.md), transport-neutral: Connect on the REST port
/// and gRPC call the same methods. Like the REST door it only translates: messages in, the
/// service's inputs out, outcomes back into messages.
public final class ReservationRPC: Sendable {
    /// The two names the service answers to (RPC.md, "The contract files").
    public static let serviceNames = ["reservation.v1.ReservationService", "com.traffic_tacos.reservation.v1.ReservationService"]
    /// The name scopes use for both.
    public static let canonicalServiceName = serviceNames[0]

    let service: ReservationService
    /// The decoding limits of every request message (`--rpc-message-bytes-max`).
    public let limits: ProtoLimits
    /// Every method by `/<service>/<method>`.
    private let table: [String: RPCMethod]

    public init(service: ReservationService, messageBytesMax: Int) {
        self.service = service
        limits = ProtoLimits(messageBytesMax: messageBytesMax, nestingDepthMax: ProtoLimits.default.nestingDepthMax)
        var table: [String: RPCMethod] = [:]
        for serviceName in Self.serviceNames {
            for method in Self.methods(service: service, serviceName: serviceName, limits: limits) {
                table["/\(serviceName)/\(method.name)"] = method
            }
        }
        self.table = table
    }

    /// The method `/<service>/<method>`, or nil when there is none.
    public func method(_ path: String) -> RPCMethod? { table[path] }

    /// Every method, for routing.
    public var methods: [RPCMethod] { table.values.sorted { ($0.serviceName, $0.name) < ($1.serviceName, $1.name) } }

    // MARK: Methods

    private static func methods(service: ReservationService, serviceName: String, limits: ProtoLimits) -> [RPCMethod] {
        let make = MethodFactory(service: service, serviceName: serviceName, limits: limits)
        return [
            make.method("CreateReservation", returning: ReservationV1.CreateReservationResponse.self) { (request: ReservationV1.CreateReservationRequest, context, call) throws(ServiceError) in
                let input = HoldInput(eventID: request.eventID, quantity: Int(request.quantity), seatIDs: request.seatIDs,
                                      reservationToken: request.reservationToken.nonEmpty)
                let command = try service.holdCommand(input, call.context(caller: try call.caller(request.userID), key: request.idempotencyKey))
                return .write(command) { outcome in
                    guard case .held(let reservation, let event) = outcome else { return nil }
                    var response = ReservationV1.CreateReservationResponse()
                    response.reservationID = reservation.id
                    response.status = ProtoShapes.status(reservation.status)
                    response.holdExpiresAt = GoogleProtobuf.Timestamp(milliseconds: reservation.holdExpiresAtMs)
                    response.reservedSeats = ProtoShapes.seats(reservation, in: event)
                    response.totalAmount = CommonV1.Money(amount: reservation.totalAmount, currency: reservation.currency)
                    return RPCReply.ok(response)
                }
            },
            make.method("GetReservation", returning: ReservationV1.GetReservationResponse.self) { (request: ReservationV1.GetReservationRequest, context, call) throws(ServiceError) in
                let reservation = try service.reservation(request.reservationID, caller: try call.caller(request.userID), loop: context.loop)
                var response = ReservationV1.GetReservationResponse()
                response.reservation = ProtoShapes.reservation(reservation, in: try service.eventDefinition(reservation.eventID, loop: context.loop))
                return .message(response)
            },
            make.method("ConfirmReservation", returning: ReservationV1.ConfirmReservationResponse.self) { (request: ReservationV1.ConfirmReservationRequest, context, call) throws(ServiceError) in
                let input = ConfirmInput(reservationID: request.reservationID, paymentIntentID: request.paymentIntentID)
                let command = try service.confirmCommand(input, call.context(caller: try call.caller(request.userID), key: request.idempotencyKey))
                return .write(command) { outcome in
                    guard case .confirmed(let order, let reservation, let event) = outcome else { return nil }
                    var response = ReservationV1.ConfirmReservationResponse()
                    response.orderID = order.id
                    response.status = .confirmed
                    response.confirmedAt = GoogleProtobuf.Timestamp(milliseconds: order.createdAtMs)
                    response.confirmedSeats = ProtoShapes.seats(reservation, in: event)
                    return RPCReply.ok(response)
                }
            },
            make.method("CancelReservation", returning: ReservationV1.CancelReservationResponse.self) { (request: ReservationV1.CancelReservationRequest, context, call) throws(ServiceError) in
                let command = try service.cancelCommand(
                    CancelInput(reservationID: request.reservationID),
                    call.context(caller: try call.caller(request.userID), key: request.idempotencyKey))
                return .write(command) { outcome in
                    guard case .cancelled(let reservation, let event) = outcome else { return nil }
                    var response = ReservationV1.CancelReservationResponse()
                    response.status = .cancelled
                    response.cancelledAt = GoogleProtobuf.Timestamp(milliseconds: reservation.updatedAtMs)
                    response.releasedSeats = ProtoShapes.seats(reservation, in: event)
                    return RPCReply.ok(response)
                }
            },
            make.method("ListReservations", returning: ReservationV1.ListReservationsResponse.self) { (request: ReservationV1.ListReservationsRequest, context, call) throws(ServiceError) in
                var query = ListQuery(eventID: request.eventID.nonEmpty, cursor: request.pagination?.cursor.nonEmpty)
                if let size = request.pagination?.pageSize, size != 0 { query.limit = Int(size) }
                if request.status != .unspecified {
                    query.status = ProtoShapes.status(request.status)
                    if query.status == nil {
                        query.shapeProblems.append(FieldProblem(field: "status", problem: "must be HOLD, CONFIRMED, CANCELLED or EXPIRED"))
                    }
                }
                // With auth on `user_id` picks whose listing (another caller's only for admins);
                // with auth off it names the caller.
                let caller = try call.caller(service.authenticates ? "" : request.userID)
                if service.authenticates { query.userID = request.userID.nonEmpty }
                let page = try service.reservations(query, caller: caller, loop: context.loop)
                var events: [EventID: Event] = [:]
                var response = ReservationV1.ListReservationsResponse()
                for reservation in page.reservations {
                    if events[reservation.eventID] == nil {
                        events[reservation.eventID] = try service.eventDefinition(reservation.eventID, loop: context.loop)
                    }
                    response.reservations.append(ProtoShapes.reservation(reservation, in: events[reservation.eventID]))
                }
                var info = CommonV1.PageInfo()
                info.hasNext = page.nextCursor != nil
                info.nextCursor = page.nextCursor ?? ""
                info.hasPrevious = request.pagination?.cursor.isEmpty == false
                response.pageInfo = info
                return .message(response)
            },
            make.method("ExtendHold", returning: ReservationV1.ExtendHoldResponse.self) { (request: ReservationV1.ExtendHoldRequest, context, call) throws(ServiceError) in
                let seconds = request.extensionSeconds == 0 ? nil : Int64(request.extensionSeconds)
                let command = try service.extendCommand(
                    ExtendInput(reservationID: request.reservationID, seconds: seconds),
                    call.context(caller: try call.caller(request.userID), key: request.idempotencyKey))
                return .write(command) { outcome in
                    guard case .extended(let reservation, let previousDeadlineMs) = outcome else { return nil }
                    var response = ReservationV1.ExtendHoldResponse()
                    response.newExpiresAt = GoogleProtobuf.Timestamp(milliseconds: reservation.holdExpiresAtMs)
                    response.extendedSeconds = Int32(clamping: (reservation.holdExpiresAtMs - previousDeadlineMs) / 1000)
                    // The extension was granted (a refusal is an error status, never this message).
                    response.extensionAllowed = true
                    return RPCReply.ok(response)
                }
            },
        ]
    }
}

/// What a method body gets besides its request: how to resolve the caller and build the service's
/// call context from the request's fields and the metadata.
struct CallParts {
    let service: ReservationService
    let context: RPCContext
    let canonicalName: String
    /// The request's fingerprint, computed only for the writes that need it.
    let fingerprint: () -> [UInt8]

    /// Auth off: metadata `x-user-id`, else the request's `user_id`, else `anonymous`. Auth on: the
    /// bearer token's subject, which `x-user-id` and `user_id`, when set, must equal (RPC.md).
    func caller(_ requestUserID: String) throws(ServiceError) -> Caller {
        let credentials = context.userID.map { Credentials(authorization: context.authorization, claimedUserID: $0, claimedField: "x-user-id") }
            ?? Credentials(authorization: context.authorization, claimedUserID: requestUserID.nonEmpty, claimedField: "user_id")
        let caller = try service.caller(credentials, loop: context.loop)
        if service.authenticates, !requestUserID.isEmpty, requestUserID != caller.userID {
            throw .forbidden("user_id names another caller than the bearer token")
        }
        return caller
    }

    /// The service's call context; the key is the request's `idempotency_key`, else the metadata's.
    func context(caller: Caller, key: String) -> CallContext {
        let claimed = key.nonEmpty ?? context.idempotencyKey
        let idempotency = IdempotencyRequest(
            key: claimed, field: key.isEmpty && context.idempotencyKey != nil ? "idempotency-key" : "idempotency_key",
            operation: canonicalName, fingerprint: claimed == nil ? [] : fingerprint())
        var call = CallContext(caller: caller, traceparent: context.traceparent, idempotency: idempotency)
        call.clientAddress = context.clientAddress
        return call
    }
}

/// Builds type-erased methods from typed bodies.
struct MethodFactory {
    let service: ReservationService
    let serviceName: String
    let limits: ProtoLimits

    /// What a body returns: the response message, or a write whose outcome `render` turns into
    /// the response (nil for an outcome of another kind, which cannot happen).
    enum Step<Response: ProtoMessage> {
        case message(Response)
        case write(ServiceCommand, @Sendable (WriteOutcome) -> Reply?)
    }

    func method<Request: ProtoMessage & IdempotentRequest, Response: ProtoMessage>(
        _ name: String, returning: Response.Type,
        _ body: @escaping @Sendable (Request, RPCContext, CallParts) throws(ServiceError) -> Step<Response>
    ) -> RPCMethod {
        let (service, limits) = (self.service, self.limits)
        let canonicalName = "/\(ReservationRPC.canonicalServiceName)/\(name)"
        return RPCMethod(
            serviceName: serviceName, name: name, canonicalName: canonicalName,
            call: { payload, context throws(RPCStatus) in
                // Refused while starting or draining before the request is even read, for every door.
                do throws(ServiceError) { try service.ensureReady() } catch { throw RPCStatus(error) }
                let request = try payload.decode(Request.self, limits: limits)
                // RPC.md: SHA-256 over the deterministic encoding with the key cleared, so JSON,
                // binary and gRPC calls of one method share it.
                let parts = CallParts(service: service, context: context, canonicalName: canonicalName) {
                    var keyless = request
                    keyless.idempotencyKey = ""
                    return SHA256.hash(keyless.serializedBytes())
                }
                do throws(ServiceError) {
                    switch try body(request, context, parts) {
                    case .message(let response):
                        return .message(response.serializedBytes())
                    case .write(let command, let render):
                        return .write(command) { outcome in
                            if let error = outcome.error { return RPCReply.failed(RPCStatus(rpc: .domain(error))) }
                            return render(outcome) ?? RPCReply.failed(RPCStatus(rpc: .domain(.storageFailure)))
                        }
                    }
                } catch {
                    throw RPCStatus(rpc: error)
                }
            },
            responseJSON: { bytes throws(ProtoError) in try Response(serializedBytes: bytes).jsonBytes() })
    }
}

/// Requests whose fingerprint leaves out their idempotency key (the others have none to clear).
protocol IdempotentRequest {
    var idempotencyKey: String { get set }
}

extension ReservationV1.CreateReservationRequest: IdempotentRequest {}
extension ReservationV1.ConfirmReservationRequest: IdempotentRequest {}
extension ReservationV1.CancelReservationRequest: IdempotentRequest {}
extension ReservationV1.ExtendHoldRequest: IdempotentRequest {}
extension ReservationV1.GetReservationRequest: IdempotentRequest {
    var idempotencyKey: String {
        get { "" }
        set {}
    }
}
extension ReservationV1.ListReservationsRequest: IdempotentRequest {
    var idempotencyKey: String {
        get { "" }
        set {}
    }
}

/// Domain values as the messages of `proto/` carry them.
enum ProtoShapes {
    static func status(_ status: ReservationStatus) -> ReservationV1.ReservationStatus {
        switch status {
        case .hold: .hold
        case .confirmed: .confirmed
        case .cancelled: .cancelled
        case .expired: .expired
        }
    }

    /// The domain status of a proto one; nil for the ones this server never uses (PENDING, FAILED,
    /// REFUNDED, or a number it does not know).
    static func status(_ status: ReservationV1.ReservationStatus) -> ReservationStatus? {
        switch status {
        case .hold: .hold
        case .confirmed: .confirmed
        case .cancelled: .cancelled
        case .expired: .expired
        default: nil
        }
    }

    /// A reservation's seats as `common.v1.Seat`: `A-12` is section `A`, number `12`, with the
    /// section's price; RESERVED while held, SOLD once confirmed, AVAILABLE once released.
    static func seats(_ reservation: Reservation, in event: Event?) -> [CommonV1.Seat] {
        let state: CommonV1.SeatStatus = switch reservation.status {
        case .hold: .reserved
        case .confirmed: .sold
        case .cancelled, .expired: .available
        }
        return reservation.seatIDs.map { id in
            var seat = CommonV1.Seat()
            seat.id = id
            if let (section, number) = SeatID.parse(id) {
                seat.section = section
                seat.number = String(number)
                if let price = event?.sections.first(where: { $0.name == section })?.priceMinor {
                    seat.price = CommonV1.Money(amount: price, currency: reservation.currency)
                }
            }
            seat.status = state
            return seat
        }
    }

    static func reservation(_ reservation: Reservation, in event: Event?) -> ReservationV1.Reservation {
        var message = ReservationV1.Reservation()
        message.reservationID = reservation.id
        message.eventID = reservation.eventID
        message.userID = reservation.userID
        message.status = status(reservation.status)
        message.seats = seats(reservation, in: event)
        message.quantity = Int32(clamping: reservation.quantity)
        message.totalAmount = CommonV1.Money(amount: reservation.totalAmount, currency: reservation.currency)
        message.createdAt = GoogleProtobuf.Timestamp(milliseconds: reservation.createdAtMs)
        message.updatedAt = GoogleProtobuf.Timestamp(milliseconds: reservation.updatedAtMs)
        message.holdExpiresAt = GoogleProtobuf.Timestamp(milliseconds: reservation.holdExpiresAtMs)
        message.orderID = reservation.orderID ?? ""
        return message
    }
}

extension String {
    /// Nil for the empty string (proto3's "not set").
    var nonEmpty: String? { isEmpty ? nil : self }
}
