import HTTP1
import HTTPServer
import JSON
import Reservations
import Service
import Timing

/// `/v1/reservations`: hold, list, read, confirm, cancel and extend (API.md, "Reservations",
/// "Listing and extending holds").
struct ReservationRoutes {
    let api: RESTAPI

    func register(on router: inout RouterBuilder) {
        router.add(.post, "/v1/reservations") { context in api.handle(&context, create) }
        router.add(.get, "/v1/reservations") { context in api.handle(&context, list) }
        router.add(.get, "/v1/reservations/{reservationId}") { context in api.handle(&context, show) }
        router.add(.post, "/v1/reservations/confirm") { context in api.handle(&context) { try confirm(&$0, $1, pathID: nil) } }
        router.add(.post, "/v1/reservations/{reservationId}/confirm") { context in
            api.handle(&context) { try confirm(&$0, $1, pathID: $0.parameter(0) ?? "") }
        }
        router.add(.post, "/v1/reservations/cancel") { context in api.handle(&context) { try cancel(&$0, $1, pathID: nil) } }
        router.add(.post, "/v1/reservations/{reservationId}/cancel") { context in
            api.handle(&context) { try cancel(&$0, $1, pathID: $0.parameter(0) ?? "") }
        }
        router.add(.post, "/v1/reservations/{reservationId}/extend") { context in
            api.handle(&context) { try extend(&$0, $1, reservationID: $0.parameter(0) ?? "") }
        }
    }

    // MARK: - Create

    private func create(_ context: inout RequestContext, _ caller: Caller) throws -> HandlerResult {
        var body = try BodyReader.parse(context)
        var input = HoldInput(eventID: body.string("eventId", required: true) ?? "",
                              quantity: Int(clamping: body.integer("quantity", required: true) ?? 0),
                              reservationToken: body.string("reservationToken", required: false))
        if let items = body.array("seatIds", required: false) {
            for item in items {
                guard case .string(let seat) = item else {
                    body.problems.append(FieldProblem(field: "seatIds", problem: "must be seat ids such as A-12"))
                    break
                }
                input.seatIDs.append(seat)
            }
        }
        let command = try api.service.holdCommand(input, try api.call(&context, caller: caller, body: body))
        return try api.submit(&context, command) { outcome in
            guard case .held(let reservation, _) = outcome else { return nil }
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
            return Reply(code: 201, fields: [ReplyField(name: "location", value: "/v1/reservations/\(reservation.id)")],
                         body: writer.bytes)
        }
    }

    // MARK: - Read

    private func show(_ context: inout RequestContext, _ caller: Caller) throws -> HandlerResult {
        guard let id = context.parameter(0) else { throw ServiceError.domain(.reservationNotFound) }
        let reservation = try api.service.reservation(id, caller: caller, loop: context.loopIndex)
        var writer = JSONWriter(reservingCapacity: 400)
        Self.writeReservation(&writer, reservation)
        return .respond(Responses.json(200, writer.bytes))
    }

    private func list(_ context: inout RequestContext, _ caller: Caller) throws -> HandlerResult {
        var query = ListQuery(eventID: context.query("eventId"), cursor: context.query("cursor"))
        query.userID = context.query("userId")
        if let text = context.query("status") {
            query.status = ReservationStatus(rawValue: text)
            if query.status == nil {
                query.shapeProblems.append(FieldProblem(field: "status", problem: "must be one of HOLD, CONFIRMED, CANCELLED, EXPIRED"))
            }
        }
        if let text = context.query("limit") {
            query.limit = Int(text)
            if query.limit == nil {
                query.shapeProblems.append(FieldProblem(
                    field: "limit", problem: "must be an integer between \(ReservationListing.minLimit) and \(ReservationListing.maxLimit)"))
            }
        }
        let page = try api.service.reservations(query, caller: caller, loop: context.loopIndex)
        var writer = JSONWriter(reservingCapacity: 64 + 400 * page.reservations.count)
        writer.beginObject()
        writer.key("reservations")
        writer.beginArray()
        for reservation in page.reservations { Self.writeReservation(&writer, reservation) }
        writer.endArray()
        writer.key("nextCursor")
        if let cursor = page.nextCursor { writer.string(cursor) } else { writer.null() }
        writer.endObject()
        return .respond(Responses.json(200, writer.bytes))
    }

    /// A reservation as GET shows it; its status is already the effective one.
    static func writeReservation(_ writer: inout JSONWriter, _ reservation: Reservation) {
        writer.beginObject()
        writer.key("reservationId"); writer.string(reservation.id)
        writer.key("eventId"); writer.string(reservation.eventID)
        writer.key("userId"); writer.string(reservation.userID)
        writer.key("quantity"); writer.int(reservation.quantity)
        writer.key("seatIds"); writeSeats(&writer, reservation.seatIDs)
        writer.key("status"); writer.string(reservation.status.rawValue)
        writer.key("holdExpiresAt"); writer.string(RFC3339.format(milliseconds: reservation.holdExpiresAtMs))
        writer.key("totalAmount"); writer.int(reservation.totalAmount)
        writer.key("currency"); writer.string(reservation.currency)
        writer.key("orderId")
        if let order = reservation.orderID { writer.string(order) } else { writer.null() }
        if let token = reservation.reservationToken { writer.key("reservationToken"); writer.string(token) }
        writer.key("createdAt"); writer.string(RFC3339.format(milliseconds: reservation.createdAtMs))
        writer.key("updatedAt"); writer.string(RFC3339.format(milliseconds: reservation.updatedAtMs))
        writer.endObject()
    }

    private static func writeSeats(_ writer: inout JSONWriter, _ seats: [String]) {
        writer.beginArray()
        for seat in seats { writer.string(seat) }
        writer.endArray()
    }

    // MARK: - Confirm, cancel, extend

    /// The common start of the actions on one reservation: the body (optional in the
    /// path forms) and the target id from the path or the body, which must agree.
    private func begin(_ context: inout RequestContext, pathID: String?) throws -> (BodyReader, ReservationID) {
        var body = try BodyReader.parse(context, optional: pathID != nil)
        let bodyID = body.string("reservationId", required: pathID == nil)
        if let pathID, let bodyID, bodyID != pathID {
            body.problems.append(FieldProblem(field: "reservationId", problem: "must match the reservation id in the path"))
        }
        return (body, pathID ?? bodyID ?? "")
    }

    private func confirm(_ context: inout RequestContext, _ caller: Caller, pathID: String?) throws -> HandlerResult {
        var (body, id) = try begin(&context, pathID: pathID)
        let input = ConfirmInput(reservationID: id, paymentIntentID: body.string("paymentIntentId", required: true) ?? "")
        let command = try api.service.confirmCommand(input, try api.call(&context, caller: caller, body: body))
        return try api.submit(&context, command) { outcome in
            guard case .confirmed(let order, let reservation, _) = outcome else { return nil }
            var writer = JSONWriter(reservingCapacity: 256)
            writer.beginObject()
            writer.key("orderId"); writer.string(order.id)
            writer.key("reservationId"); writer.string(reservation.id)
            writer.key("status"); writer.string(ReservationStatus.confirmed.rawValue)
            writer.key("totalAmount"); writer.int(order.totalAmount)
            writer.key("currency"); writer.string(order.currency)
            writer.key("message"); writer.string("Reservation confirmed successfully")
            writer.endObject()
            return Reply(code: 200, body: writer.bytes)
        }
    }

    private func cancel(_ context: inout RequestContext, _ caller: Caller, pathID: String?) throws -> HandlerResult {
        let (body, id) = try begin(&context, pathID: pathID)
        let command = try api.service.cancelCommand(CancelInput(reservationID: id), try api.call(&context, caller: caller, body: body))
        return try api.submit(&context, command) { outcome in
            guard case .cancelled(let reservation, _) = outcome else { return nil }
            var writer = JSONWriter(reservingCapacity: 160)
            writer.beginObject()
            writer.key("reservationId"); writer.string(reservation.id)
            writer.key("status"); writer.string(ReservationStatus.cancelled.rawValue)
            writer.key("message"); writer.string("Reservation cancelled successfully")
            writer.endObject()
            return Reply(code: 200, body: writer.bytes)
        }
    }

    private func extend(_ context: inout RequestContext, _ caller: Caller, reservationID: String) throws -> HandlerResult {
        var (body, id) = try begin(&context, pathID: reservationID)
        let input = ExtendInput(reservationID: id, seconds: body.integer("seconds", required: false))
        let command = try api.service.extendCommand(input, try api.call(&context, caller: caller, body: body))
        let maxExtensions = api.service.configuration.holdPolicy.maxExtensions
        return try api.submit(&context, command) { outcome in
            guard case .extended(let reservation, _) = outcome else { return nil }
            var writer = JSONWriter(reservingCapacity: 192)
            writer.beginObject()
            writer.key("reservationId"); writer.string(reservation.id)
            writer.key("status"); writer.string(reservation.status.rawValue)
            writer.key("holdExpiresAt"); writer.string(RFC3339.format(milliseconds: reservation.holdExpiresAtMs))
            writer.key("extensionsUsed"); writer.int(reservation.extensionsUsed)
            writer.key("extensionsLeft"); writer.int(max(0, maxExtensions - reservation.extensionsUsed))
            writer.endObject()
            return Reply(code: 200, body: writer.bytes)
        }
    }
}
