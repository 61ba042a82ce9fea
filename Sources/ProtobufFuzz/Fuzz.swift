import Protobuf

// libFuzzer target for the protobuf binary and JSON decoders.
//
// Every input is decoded as each message type of proto/, once as the binary encoding and once as
// JSON text, under the default limits or (for inputs of odd length) small ones, so that short
// inputs reach the limits too. Whatever decodes must encode to bytes that decode to an equal
// message and encode the same again; JSON input must also survive a JSON round trip unchanged.
// Any crash or failed precondition stops the fuzzer with the input that caused it.

private let messageTypes: [any ProtoMessage.Type] = [
    CommonV1.Money.self, CommonV1.Seat.self, CommonV1.Pagination.self, CommonV1.PageInfo.self,
    CommonV1.Error.self, CommonV1.ErrorDetail.self,
    ReservationV1.CreateReservationRequest.self, ReservationV1.CreateReservationResponse.self,
    ReservationV1.GetReservationRequest.self, ReservationV1.GetReservationResponse.self,
    ReservationV1.ConfirmReservationRequest.self, ReservationV1.ConfirmReservationResponse.self,
    ReservationV1.CancelReservationRequest.self, ReservationV1.CancelReservationResponse.self,
    ReservationV1.ListReservationsRequest.self, ReservationV1.ListReservationsResponse.self,
    ReservationV1.ExtendHoldRequest.self, ReservationV1.ExtendHoldResponse.self,
    ReservationV1.Reservation.self, ReservationV1.ReservationMetadata.self,
    GoogleProtobuf.Timestamp.self, GoogleProtobuf.`Any`.self, GoogleRPC.Status.self, GoogleRPC.ErrorInfo.self,
    GoogleProtobuf.FileDescriptorSet.self,
    GRPCHealthV1.HealthCheckRequest.self, GRPCHealthV1.HealthCheckResponse.self,
    // One package is enough: v1alpha's messages differ only in name.
    GRPCReflectionV1.ServerReflectionRequest.self, GRPCReflectionV1.ServerReflectionResponse.self,
]

private let smallLimits = ProtoLimits(messageBytesMax: 512, nestingDepthMax: 3)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let limits = size % 2 == 0 ? ProtoLimits.default : smallLimits
    for type in messageTypes {
        check(type, input, limits: limits)
    }
    return 0
}

private func check<Message: ProtoMessage>(_ type: Message.Type, _ input: UnsafeRawBufferPointer, limits: ProtoLimits) {
    if let message = try? Message(serializedBytes: input, limits: limits) {
        precondition(input.count <= limits.messageBytesMax, "decoded past the size limit")
        checkBinaryRoundTrip(message)
    }
    if let message = try? Message(jsonBytes: input, limits: limits) {
        checkBinaryRoundTrip(message)
        // JSON input only makes valid timestamps, so its JSON round trip is exact.
        let again = try? Message(jsonBytes: message.jsonBytes())
        precondition(again == message, "\(Message.protoName): JSON round trip changed the message")
    }
}

private func checkBinaryRoundTrip<Message: ProtoMessage>(_ message: Message) {
    let encoded = message.serializedBytes()
    guard let again = try? Message(serializedBytes: encoded) else {
        preconditionFailure("\(Message.protoName): re-encoded bytes do not decode")
    }
    precondition(again == message, "\(Message.protoName): binary round trip changed the message")
    precondition(again.serializedBytes() == encoded, "\(Message.protoName): encoding is not deterministic")
}
