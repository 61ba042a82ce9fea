import Reservations
import Testing

@Suite struct IdempotencyClaimTests {
    @Test func conflict_hasTheContractsCodeStatusAndMessage() {
        let error = DomainError.idempotencyConflict
        #expect(error.code == "IDEMPOTENCY_CONFLICT")
        #expect(error.httpStatus == 409)
        #expect(error.message == "This Idempotency-Key was already used with a different request")
        #expect(error.details.isEmpty)
    }

    @Test func writeCommand_withoutAClaim_stillBuildsAsBefore() {
        let plain = WriteCommand(operation: .cancel(CancelRequest(reservationID: "rsv_1", userID: "u"))) { _ in
            RenderedResponse(status: 200)
        } completion: { _ in }
        #expect(plain.idempotency == nil)
        let claimed = WriteCommand(
            operation: .cancel(CancelRequest(reservationID: "rsv_1", userID: "u")),
            idempotency: IdempotencyClaim(scope: "u\u{0}POST\u{0}/v1/reservations/cancel\u{0}k", fingerprint: [1, 2]),
            render: { _ in RenderedResponse(status: 200) }, completion: { _ in })
        #expect(claimed.idempotency?.fingerprint == [1, 2])
    }

    @Test func replayedHeader_isTheContractsHeader() {
        #expect(IdempotencyRules.replayedHeader == ResponseHeader(name: "Idempotent-Replayed", value: "true"))
    }
}
