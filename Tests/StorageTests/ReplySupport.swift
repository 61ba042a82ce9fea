import Reservations

// The writer stores and replays whatever a door rendered. These tests render HTTP-like replies (a
// status as the code, headers as the fields), and read a delivery the way the REST door shows it.

typealias RenderedResponse = Reply
typealias ResponseHeader = ReplyField

extension Reply {
    init(status: Int, headers: [ReplyField] = [], body: [UInt8] = []) {
        self.init(code: status, fields: headers, body: body)
    }

    var status: Int { code }

    var headers: [ReplyField] {
        get { fields }
        set { fields = newValue }
    }
}

/// The REST door's replay header.
let replayedHeader = ReplyField(name: "Idempotent-Replayed", value: "true")

extension Delivery {
    /// The reply as the REST door sends it: a replay carries `Idempotent-Replayed: true`.
    var response: Reply {
        var reply = self.reply
        if isReplay { reply.fields.append(replayedHeader) }
        return reply
    }
}

/// The status a test rendering gives an error (the REST door's mapping, kept small here).
func testStatus(_ error: DomainError) -> Int {
    switch error {
    case .eventNotFound, .reservationNotFound: 404
    case .invalid: 400
    case .storageFailure: 503
    default: 409
    }
}
