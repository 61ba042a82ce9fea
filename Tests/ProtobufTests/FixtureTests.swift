import JSON
import Protobuf
import Testing

// Every sample encoded by protobuf's Python library must decode, re-encode to the same bytes,
// and agree with MessageToJson both ways.

/// Fixtures whose message type has a Swift declaration (UnpackedScalars is read as Scalars instead).
let roundTripFixtures = fixtures.filter { $0.type != "prototest.v1.UnpackedScalars" }

@Test(arguments: roundTripFixtures)
func fixture_decodesAndReencodesByteForByte(fixture: Fixture) throws {
    let type = try #require(messageTypes[fixture.type], "no Swift type for \(fixture.type)")
    try checkBinary(type, fixture)
}

private func checkBinary<Message: ProtoMessage>(_ type: Message.Type, _ fixture: Fixture) throws {
    let message = try Message(serializedBytes: fixture.bytes)
    #expect(hex(message.serializedBytes()) == fixture.hex)
}

@Test(arguments: roundTripFixtures.filter { $0.json != nil })
func fixture_jsonMatchesMessageToJsonBothWays(fixture: Fixture) throws {
    let type = try #require(messageTypes[fixture.type])
    try checkJSON(type, fixture)
}

private func checkJSON<Message: ProtoMessage>(_ type: Message.Type, _ fixture: Fixture) throws {
    let text = try #require(fixture.json)
    let message = try Message(serializedBytes: fixture.bytes)
    // Written by us, read by the JSON parser: the same value as Python's text, in any member order.
    #expect(try parseJSON(message.jsonBytes()) == parseJSON(Array(text.utf8)))
    // Python's text read by us: the message the bytes hold.
    #expect(try Message(jsonBytes: Array(text.utf8)) == message)
}

@Test func fixtures_coverEveryMessageType() {
    let covered = Set(fixtures.map(\.type))
    for name in messageTypes.keys {
        #expect(covered.contains(name), "no fixture for \(name)")
    }
    let handBuilt = Set(expectedMessages.values.map { type(of: $0).protoName })
    for name in messageTypes.keys {
        #expect(handBuilt.contains(name), "no hand-built value for \(name)")
    }
}

@Test(arguments: expectedMessages.keys.sorted())
func fixture_decodesToTheHandBuiltValue(name: String) throws {
    let expected = try #require(expectedMessages[name])
    try checkExpected(expected, Fixture.named(name))
}

private func checkExpected<Message: ProtoMessage>(_ expected: Message, _ fixture: Fixture) throws {
    #expect(fixture.type == Message.protoName)
    #expect(try Message(serializedBytes: fixture.bytes) == expected)
    #expect(hex(expected.serializedBytes()) == fixture.hex)
}

@Test func unpackedRepeatedScalars_decodeLikePackedOnes() throws {
    let packed = try Scalars(serializedBytes: Fixture.named("scalars_full").bytes)
    let unpacked = try Scalars(serializedBytes: Fixture.named("scalars_unpacked").bytes)
    #expect(unpacked.int32s == packed.int32s)
    #expect(unpacked.int64s == packed.int64s)
    #expect(unpacked.bools == packed.bools)
    #expect(unpacked.colors == packed.colors)
    // Re-encoding packs them: the bytes differ from the unpacked input, the values do not.
    #expect(try Scalars(serializedBytes: unpacked.serializedBytes()) == unpacked)
    #expect(unpacked.serializedBytes().count < Fixture.named("scalars_unpacked").bytes.count)
}

@Test func negativeInt32_takesTenBytes() {
    let request = ReservationV1.CreateReservationRequest.with { $0.quantity = -1 }
    // Tag 0x18 (field 3, VARINT), then -1 sign-extended to 64 bits.
    #expect(request.serializedBytes() == [0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
}

@Test func emptyMessage_encodesToNoBytesAndEmptyObject() {
    #expect(ReservationV1.Reservation().serializedBytes() == [])
    #expect(ReservationV1.Reservation().jsonBytes() == Array("{}".utf8))
}

@Test func longNestedMessage_getsAMultiByteLength() throws {
    // A sub-message of 200 bytes needs a two-byte length, which moves its payload once.
    let request = ReservationV1.CreateReservationRequest.with {
        $0.metadata = .with { $0.userAgent = String(repeating: "x", count: 197) }
    }
    let bytes = request.serializedBytes()
    #expect(Array(bytes.prefix(5)) == [0x3A, 0xC8, 0x01, 0x12, 0xC5])
    #expect(bytes.count == 3 + 200)
    #expect(try ReservationV1.CreateReservationRequest(serializedBytes: bytes) == request)
}
