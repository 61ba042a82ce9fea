import HTTP1
import HTTPServer
import JSON
import Reservations
import Timing

/// `/v1/reservations`: hold, read, confirm and cancel (API.md, "Reservations").
struct ReservationRoutes {
    let api: ReservationAPI

    func register(on router: inout RouterBuilder) {
        router.add(.post, "/v1/reservations") { context in api.guarded(&context) { context in create(&context) } }
        router.add(.get, "/v1/reservations/{reservationId}") { context in api.guarded(&context) { context in show(&context) } }
        router.add(.post, "/v1/reservations/confirm") { context in api.guarded(&context) { context in confirm(&context, pathID: nil) } }
        router.add(.post, "/v1/reservations/{reservationId}/confirm") { context in
            api.guarded(&context) { context in confirm(&context, pathID: context.parameter(0) ?? "") }
        }
        router.add(.post, "/v1/reservations/cancel") { context in api.guarded(&context) { context in cancel(&context, pathID: nil) } }
        router.add(.post, "/v1/reservations/{reservationId}/cancel") { context in
            api.guarded(&context) { context in cancel(&context, pathID: context.parameter(0) ?? "") }
        }
    }

    // MARK: - Create

    private func create(_ context: inout RequestContext) -> HandlerResult {
        let caller: Caller
        switch Caller.resolve(&context) {
        case .success(let resolved): caller = resolved
        case .failure(let response): return .respond(response)
        }
        guard let key = context.header("idempotency-key") else {
            return .respond(Responses.error(&context, status: 400, code: "MISSING_IDEMPOTENCY_KEY", message: "the Idempotency-Key header is required"))
        }
        if let problem = IdempotencyKey.validate(context, key) { return .respond(Responses.domain(&context, .invalid([problem]))) }
        var body: BodyReader
        do { body = try BodyReader.parse(context) } catch { return .respond(error.response(&context)) }
        let eventID = body.string("eventId", required: true, maxLength: 68) ?? ""
        let quantity = body.integer("quantity", required: true)
        let token = body.string("reservationToken", required: false, maxLength: 255)
        var seatIDs: [String] = []
        if let items = body.array("seatIds", required: false) {
            for (position, item) in items.enumerated() {
                guard case .string(let seat) = item, !seat.isEmpty, seat.utf8.count <= 32 else {
                    body.problems.append(FieldProblem(field: "seatIds[\(position)]", problem: "must be a seat id such as A-12"))
                    continue
                }
                seatIDs.append(seat)
            }
        }
        let quantityMax = api.configuration.quantityMax
        if let quantity {
            if quantity < 1 || quantity > quantityMax {
                body.problems.append(FieldProblem(field: "quantity", problem: "must be between 1 and \(quantityMax)"))
            } else if !seatIDs.isEmpty && seatIDs.count != Int(quantity) {
                body.problems.append(FieldProblem(field: "seatIds", problem: "must list exactly quantity (\(quantity)) seats"))
            }
        }
        if Set(seatIDs).count != seatIDs.count {
            body.problems.append(FieldProblem(field: "seatIds", problem: "must not repeat a seat"))
        }
        if !body.problems.isEmpty { return .respond(Responses.domain(&context, .invalid(body.problems))) }

        let request = HoldRequest(eventID: eventID, userID: caller.userID, quantity: Int(quantity ?? 0), seatIDs: seatIDs,
                                  reservationToken: token, holdMilliseconds: api.configuration.holdMilliseconds,
                                  traceparent: context.traceparent())
        let site = ErrorSite(&context)
        let claim = Self.claim(&context, key: key, caller: caller, body: body.object)
        return api.submit(&context, .hold(request), idempotency: claim) { outcome in
            guard case .held(let reservation) = outcome else { return site.render(outcome.error) }
            var writer = JSONWriter(reservingCapacity: 320)
            writer.beginObject()
            writer.key("reservationId"); writer.string(reservation.id)
            writer.key("status"); writer.string(reservation.status.rawValue)
            writer.key("eventId"); writer.string(reservation.eventID)
            writer.key("seatIds"); Self.writeSeats(&writer, reservation.seatIDs)
            writer.key("quantity"); writer.int(reservation.quantity)
            writer.key("holdExpiresAt"); writer.string(RFC3339.format(milliseconds: reservation.holdExpiresAtMs))
            writer.key("totalAmount"); writer.int(reservation.totalAmount)
            writer.key("currency"); writer.string(reservation.currency)
            if let token = reservation.reservationToken { writer.key("reservationToken"); writer.string(token) }
            writer.key("message"); writer.string("Reservation created successfully")
            writer.endObject()
            return RenderedResponse(status: 201, headers: [ResponseHeader(name: "location", value: "/v1/reservations/\(reservation.id)")],
                                    body: writer.bytes)
        }
    }

    /// The request's idempotency claim: its scope (caller, method, route template, key) and the
    /// fingerprint of what it asks (method, concrete path, canonical body; an absent body is `{}`).
    private static func claim(_ context: inout RequestContext, key: ByteSpan, caller: Caller, body: JSONObject) -> IdempotencyClaim {
        let method = context.head.method.description
        return IdempotencyClaim(
            scope: RequestFingerprint.scope(caller: caller.userID, method: method, routeTemplate: context.route.template, key: context.string(of: key)),
            fingerprint: RequestFingerprint.make(method: method, path: context.path, body: body))
    }

    // MARK: - Read

    private func show(_ context: inout RequestContext) -> HandlerResult {
        let caller: Caller
        switch Caller.resolve(&context) {
        case .success(let resolved): caller = resolved
        case .failure(let response): return .respond(response)
        }
        guard let id = context.parameter(0) else { return .respond(Responses.domain(&context, .reservationNotFound)) }
        let stored: Reservation?
        do {
            stored = try api.inventory(context.loopIndex).reservation(id)
        } catch {
            api.logInternal(&context, error)
            return .respond(Responses.internalError(&context))
        }
        // Another caller's reservation is indistinguishable from a missing one (no existence leak).
        guard let reservation = stored, caller.mayRead(reservation) else {
            return .respond(Responses.domain(&context, .reservationNotFound))
        }
        return .respond(Responses.json(200, Self.reservationBody(reservation, nowMilliseconds: context.receivedAtMilliseconds)))
    }

    static func reservationBody(_ reservation: Reservation, nowMilliseconds: Int64) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 400)
        writer.beginObject()
        writer.key("reservationId"); writer.string(reservation.id)
        writer.key("eventId"); writer.string(reservation.eventID)
        writer.key("userId"); writer.string(reservation.userID)
        writer.key("quantity"); writer.int(reservation.quantity)
        writer.key("seatIds"); writeSeats(&writer, reservation.seatIDs)
        // The deadline, not the timer, decides: a passed HOLD reads as EXPIRED at once.
        writer.key("status"); writer.string(reservation.effectiveStatus(atMs: nowMilliseconds).rawValue)
        writer.key("holdExpiresAt"); writer.string(RFC3339.format(milliseconds: reservation.holdExpiresAtMs))
        writer.key("totalAmount"); writer.int(reservation.totalAmount)
        writer.key("currency"); writer.string(reservation.currency)
        writer.key("orderId")
        if let order = reservation.orderID { writer.string(order) } else { writer.null() }
        if let token = reservation.reservationToken { writer.key("reservationToken"); writer.string(token) }
        writer.key("createdAt"); writer.string(RFC3339.format(milliseconds: reservation.createdAtMs))
        writer.key("updatedAt"); writer.string(RFC3339.format(milliseconds: reservation.updatedAtMs))
        writer.endObject()
        return writer.bytes
    }

    private static func writeSeats(_ writer: inout JSONWriter, _ seats: [String]) {
        writer.beginArray()
        for seat in seats { writer.string(seat) }
        writer.endArray()
    }

    // MARK: - Confirm and cancel

    /// Reads the reservation id (path or body) and checks the optional Idempotency-Key.
    private func target(_ context: inout RequestContext, pathID: String?, body: inout BodyReader) -> ReservationID? {
        if let key = context.header("idempotency-key"), let problem = IdempotencyKey.validate(context, key) {
            body.problems.append(problem)
        }
        let bodyID = body.string("reservationId", required: pathID == nil)
        if let pathID, let bodyID, bodyID != pathID {
            body.problems.append(FieldProblem(field: "reservationId", problem: "must match the reservation id in the path"))
        }
        return pathID ?? bodyID
    }

    private enum ActionStart {
        case ready(Caller, BodyReader, ReservationID?)
        case answered(HTTPResponse)
    }

    /// The common start of confirm and cancel: the caller, the body (optional in the path forms)
    /// and the target reservation id — or the answer when the request already fails.
    private func begin(_ context: inout RequestContext, pathID: String?) -> ActionStart {
        let caller: Caller
        switch Caller.resolve(&context) {
        case .success(let resolved): caller = resolved
        case .failure(let response): return .answered(response)
        }
        var body: BodyReader
        do {
            body = try BodyReader.parse(context, optional: pathID != nil)
        } catch {
            return .answered(error.response(&context))
        }
        let id = target(&context, pathID: pathID, body: &body)
        return .ready(caller, body, id)
    }

    private func confirm(_ context: inout RequestContext, pathID: String?) -> HandlerResult {
        let caller: Caller
        var body: BodyReader
        let id: ReservationID?
        switch begin(&context, pathID: pathID) {
        case .answered(let response): return .respond(response)
        case .ready(let who, let reader, let target): (caller, body, id) = (who, reader, target)
        }
        let payment = body.string("paymentIntentId", required: true)
        guard body.problems.isEmpty, let id, let payment else { return .respond(Responses.domain(&context, .invalid(body.problems))) }
        let request = ConfirmRequest(reservationID: id, userID: caller.userID, paymentIntentID: payment, traceparent: context.traceparent())
        let site = ErrorSite(&context)
        let claim = context.header("idempotency-key").map { Self.claim(&context, key: $0, caller: caller, body: body.object) }
        return api.submit(&context, .confirm(request), idempotency: claim) { outcome in
            guard case .confirmed(let order, let reservation) = outcome else { return site.render(outcome.error) }
            var writer = JSONWriter(reservingCapacity: 256)
            writer.beginObject()
            writer.key("orderId"); writer.string(order.id)
            writer.key("reservationId"); writer.string(reservation.id)
            writer.key("status"); writer.string(ReservationStatus.confirmed.rawValue)
            writer.key("totalAmount"); writer.int(order.totalAmount)
            writer.key("currency"); writer.string(order.currency)
            writer.key("message"); writer.string("Reservation confirmed successfully")
            writer.endObject()
            return RenderedResponse(status: 200, body: writer.bytes)
        }
    }

    private func cancel(_ context: inout RequestContext, pathID: String?) -> HandlerResult {
        let caller: Caller
        let body: BodyReader
        let id: ReservationID?
        switch begin(&context, pathID: pathID) {
        case .answered(let response): return .respond(response)
        case .ready(let who, let reader, let target): (caller, body, id) = (who, reader, target)
        }
        guard body.problems.isEmpty, let id else { return .respond(Responses.domain(&context, .invalid(body.problems))) }
        let request = CancelRequest(reservationID: id, userID: caller.userID, traceparent: context.traceparent())
        let site = ErrorSite(&context)
        let claim = context.header("idempotency-key").map { Self.claim(&context, key: $0, caller: caller, body: body.object) }
        return api.submit(&context, .cancel(request), idempotency: claim) { outcome in
            guard case .cancelled(let reservation) = outcome else { return site.render(outcome.error) }
            var writer = JSONWriter(reservingCapacity: 160)
            writer.beginObject()
            writer.key("reservationId"); writer.string(reservation.id)
            writer.key("status"); writer.string(ReservationStatus.cancelled.rawValue)
            writer.key("message"); writer.string("Reservation cancelled successfully")
            writer.endObject()
            return RenderedResponse(status: 200, body: writer.bytes)
        }
    }
}

extension WriteOutcome {
    /// The error of a failed outcome; an unexpected success kind is a storage fault.
    var error: DomainError {
        if case .failed(let error) = self { return error }
        return .storageFailure
    }
}

/// Who is calling. With `AUTH_MODE=none` (the only mode so far) it is `X-User-Id`, or `anonymous`.
struct Caller {
    let userID: UserID

    enum Resolution {
        case success(Caller)
        case failure(HTTPResponse)
    }

    static func resolve(_ context: inout RequestContext) -> Resolution {
        guard let span = context.header("x-user-id") else { return .success(Caller(userID: "anonymous")) }
        let user = context.string(of: span)
        guard !user.isEmpty, span.count <= 255, !user.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) else {
            return .failure(Responses.domain(&context, .invalid([FieldProblem(field: "X-User-Id", problem: "must be 1-255 visible characters")])))
        }
        return .success(Caller(userID: user))
    }

    func mayRead(_ reservation: Reservation) -> Bool { reservation.userID == userID }
}

/// The `Idempotency-Key` header's shape: 1–255 visible ASCII characters.
enum IdempotencyKey {
    static func validate(_ context: RequestContext, _ span: ByteSpan) -> FieldProblem? {
        guard span.count >= 1, span.count <= 255 else {
            return FieldProblem(field: "Idempotency-Key", problem: "must be 1-255 visible ASCII characters")
        }
        for index in span.start..<span.end where context.bytes[index] < 0x21 || context.bytes[index] > 0x7E {
            return FieldProblem(field: "Idempotency-Key", problem: "must be 1-255 visible ASCII characters")
        }
        return nil
    }
}
