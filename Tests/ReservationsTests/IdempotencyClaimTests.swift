import Reservations
import Testing

@Suite struct IdempotencyClaimTests {
    @Test func conflict_hasTheContractsCodeAndMessage_andIsNeverStored() {
        let error = DomainError.idempotencyConflict
        #expect(error.code == "IDEMPOTENCY_CONFLICT")
        #expect(!WriteOutcome.failed(error).isStorable)
        #expect(error.message == "This Idempotency-Key was already used with a different request")
        #expect(error.details.isEmpty)
    }

    @Test func writeCommand_withoutAClaim_stillBuildsAsBefore() {
        let plain = WriteCommand(operation: .cancel(CancelRequest(reservationID: "rsv_1", userID: "u"))) { _ in
            Reply(code: 200)
        } completion: { _ in }
        #expect(plain.idempotency == nil)
        let claimed = WriteCommand(
            operation: .cancel(CancelRequest(reservationID: "rsv_1", userID: "u")),
            idempotency: IdempotencyClaim(scope: "u\u{0}POST\u{0}/v1/reservations/cancel\u{0}k", fingerprint: [1, 2]),
            render: { _ in Reply(code: 200) }, completion: { _ in })
        #expect(claimed.idempotency?.fingerprint == [1, 2])
    }

    @Test func delivery_marksReplays() {
        let reply = Reply(code: 201, fields: [ReplyField(name: "location", value: "/v1/reservations/rsv_1")], body: [1])
        #expect(!Delivery(reply).isReplay)
        #expect(Delivery(reply, isReplay: true).reply == reply)
    }
}
