import Protobuf
import Testing

// The binary decoder on hand-written wire bytes: what it must accept, and every way to be malformed.

/// A varint's bytes, written out independently of the encoder.
func varint(_ value: UInt64) -> [UInt8] {
    var bytes: [UInt8] = []
    var remaining = value
    repeat {
        let low = UInt8(remaining & 0x7F)
        remaining >>= 7
        bytes.append(remaining == 0 ? low : low | 0x80)
    } while remaining != 0
    return bytes
}

func tag(_ number: UInt64, _ wireType: UInt64) -> [UInt8] { varint(number << 3 | wireType) }

func lengthDelimited(_ number: UInt64, _ payload: [UInt8]) -> [UInt8] {
    tag(number, 2) + varint(UInt64(payload.count)) + payload
}

@Test func varint_tenBytesCarryBit63_elevenAreRejected() throws {
    // -1 as int64: nine bytes of 0xFF then 0x01.
    let minusOne = [0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x01]
    #expect(try CommonV1.Money(serializedBytes: minusOne).amount == -1)
    // The 10th byte may only hold bit 63.
    let overflow = [0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x02]
    #expect(binaryError(CommonV1.Money.self, overflow)?.reason == .malformedVarint)
    // Eleven bytes, even with a zero value, are too long.
    let eleven = [0x08] + [UInt8](repeating: 0x80, count: 10) + [0x00]
    #expect(binaryError(CommonV1.Money.self, eleven)?.reason == .malformedVarint)
    // Padding with continuation bytes is legal as long as it fits in ten bytes.
    #expect(try CommonV1.Money(serializedBytes: [0x08, 0x81, 0x80, 0x80, 0x00]).amount == 1)
}

@Test func int32_keepsTheLowBitsOfALongVarint() throws {
    // A 64-bit varint for an int32 field is truncated to 32 bits, as the spec says parsers do.
    let bytes = tag(3, 0) + varint(0x1_0000_0005)
    #expect(try ReservationV1.CreateReservationRequest(serializedBytes: bytes).quantity == 5)
}

@Test func groupsAndUnknownWireTypes_areRejected() {
    // Field 1 as SGROUP and EGROUP, a field this message does not know as SGROUP, wire types 6 and 7.
    #expect(binaryError(CommonV1.Money.self, [0x0B, 0x0C])?.reason == .groupNotSupported)
    #expect(binaryError(CommonV1.Money.self, [0x0C])?.reason == .groupNotSupported)
    #expect(binaryError(CommonV1.Money.self, tag(15, 3) + tag(15, 4))?.reason == .groupNotSupported)
    #expect(binaryError(CommonV1.Money.self, [0x0E])?.reason == .invalidWireType(6))
    #expect(binaryError(CommonV1.Money.self, [0x0F])?.reason == .invalidWireType(7))
}

@Test func fieldNumbers_zeroAndAbove2To29Minus1AreRejected() throws {
    #expect(binaryError(CommonV1.Money.self, [0x00, 0x00])?.reason == .invalidFieldNumber(0))
    #expect(binaryError(CommonV1.Money.self, [0x02, 0x00])?.reason == .invalidFieldNumber(0))
    #expect(binaryError(CommonV1.Money.self, tag(1 << 29, 0) + [0])?.reason == .invalidFieldNumber(1 << 29))
    // The largest legal number is an unknown field here, skipped.
    #expect(try CommonV1.Money(serializedBytes: tag((1 << 29) - 1, 0) + [0x05]) == CommonV1.Money())
}

@Test func unknownFields_ofEveryWireTypeAreSkipped() throws {
    let known = money.serializedBytes()
    let unknown = tag(100, 0) + varint(300)
        + tag(101, 1) + [1, 2, 3, 4, 5, 6, 7, 8]
        + lengthDelimited(102, Array("skipped".utf8))
        + tag(103, 5) + [1, 2, 3, 4]
    #expect(try CommonV1.Money(serializedBytes: unknown + known + unknown) == money)
    // Dropped on re-encoding.
    #expect(try CommonV1.Money(serializedBytes: unknown + known).serializedBytes() == known)
}

@Test func wireTypeMismatch_forAKnownFieldIsAnError() {
    // amount (int64) sent as LEN; price (message) sent as VARINT; a repeated string as I32.
    let amountAsBytes = lengthDelimited(1, [])
    #expect(binaryError(CommonV1.Money.self, amountAsBytes) == ProtoError(
        .wireTypeMismatch(expected: .varint, found: .len), fieldPath: "common.v1.Money.amount"))
    #expect(binaryError(CommonV1.Seat.self, tag(5, 0) + [1])?.reason == .wireTypeMismatch(expected: .len, found: .varint))
    #expect(binaryError(ReservationV1.CreateReservationRequest.self, tag(2, 5) + [0, 0, 0, 0])?.reason
        == .wireTypeMismatch(expected: .len, found: .i32))
    // A map entry's key must be LEN too.
    let entry = tag(1, 0) + [1]
    #expect(binaryError(ReservationV1.ReservationMetadata.self, lengthDelimited(5, entry))?.reason
        == .wireTypeMismatch(expected: .len, found: .varint))
}

@Test func singularFields_lastValueWins() throws {
    let bytes = tag(1, 0) + varint(5) + lengthDelimited(2, Array("USD".utf8)) + tag(1, 0) + varint(7)
        + lengthDelimited(2, Array("KRW".utf8))
    #expect(try CommonV1.Money(serializedBytes: bytes) == CommonV1.Money(amount: 7, currency: "KRW"))
    // An enum too.
    #expect(try CommonV1.Seat(serializedBytes: tag(6, 0) + [1] + tag(6, 0) + [3]).status == .sold)
}

@Test func singularMessageFields_occurringTwiceAreMerged() throws {
    // price {amount: 1}, then price {currency: "KRW"}, then price {amount: 2}: one merged Money.
    let bytes = lengthDelimited(5, tag(1, 0) + [1]) + lengthDelimited(1, Array("A-1".utf8))
        + lengthDelimited(5, lengthDelimited(2, Array("KRW".utf8))) + lengthDelimited(5, tag(1, 0) + [2])
    let seat = try CommonV1.Seat(serializedBytes: bytes)
    #expect(seat.price == CommonV1.Money(amount: 2, currency: "KRW"))
    #expect(seat.id == "A-1")
    // Nested two levels: metadata.tags entries from two occurrences of metadata are all kept.
    let first = lengthDelimited(7, lengthDelimited(5, lengthDelimited(1, [0x61]) + lengthDelimited(2, [0x31])))
    let second = lengthDelimited(7, lengthDelimited(1, Array("web".utf8)) + lengthDelimited(5, lengthDelimited(1, [0x62])))
    let request = try ReservationV1.CreateReservationRequest(serializedBytes: first + second)
    #expect(request.metadata?.tags == ["a": "1", "b": ""])
    #expect(request.metadata?.source == "web")
}

@Test func repeatedFields_appendAcrossOccurrences() throws {
    let bytes = lengthDelimited(2, [0x78]) + tag(3, 0) + [2] + lengthDelimited(2, [0x79])
    let request = try ReservationV1.CreateReservationRequest(serializedBytes: bytes)
    #expect(request.seatIDs == ["x", "y"])
    #expect(request.quantity == 2)
    // Packed and unpacked runs of the same field mix and append.
    let mixed = lengthDelimited(1, varint(1) + varint(2)) + tag(1, 0) + varint(3) + lengthDelimited(1, varint(4))
    #expect(try Scalars(serializedBytes: mixed).int32s == [1, 2, 3, 4])
    // An empty packed run adds nothing.
    #expect(try Scalars(serializedBytes: lengthDelimited(1, [])).int32s == [])
}

@Test func packedRun_endingInsideAValue_isTruncated() {
    // The run claims 2 bytes; its second value's varint continues past them.
    #expect(binaryError(Scalars.self, lengthDelimited(1, [0x01, 0x80]) + [0x01])?.reason == .truncated)
}

@Test func mapEntries_missingKeyOrValueTakeDefaults_lastDuplicateWins() throws {
    let onlyValue = lengthDelimited(5, lengthDelimited(2, Array("v".utf8)))
    let onlyKey = lengthDelimited(5, lengthDelimited(1, Array("k".utf8)))
    let empty = lengthDelimited(5, [])
    let withUnknown = lengthDelimited(5, tag(9, 0) + [1] + lengthDelimited(1, [0x6A]) + lengthDelimited(2, [0x31]))
    let duplicate = lengthDelimited(5, lengthDelimited(1, [0x6A]) + lengthDelimited(2, [0x32]))
    let metadata = try ReservationV1.ReservationMetadata(serializedBytes: onlyValue + onlyKey + withUnknown + duplicate)
    #expect(metadata.tags == ["": "v", "k": "", "j": "2"])
    #expect(try ReservationV1.ReservationMetadata(serializedBytes: empty).tags == ["": ""])
    // Value before key in an entry is fine.
    let reversed = lengthDelimited(5, lengthDelimited(2, [0x31]) + lengthDelimited(1, [0x6B]))
    #expect(try ReservationV1.ReservationMetadata(serializedBytes: reversed).tags == ["k": "1"])
    // Non-string values: an int64 and an open enum.
    let counts = lengthDelimited(8, lengthDelimited(1, [0x61]) + tag(2, 0) + varint(UInt64(bitPattern: -5)))
    let shades = lengthDelimited(9, lengthDelimited(1, [0x61]) + tag(2, 0) + varint(42))
    let scalars = try Scalars(serializedBytes: counts + shades)
    #expect(scalars.counts == ["a": -5])
    #expect(scalars.shades == ["a": Color(rawValue: 42)])
}

@Test func strings_mustBeValidUTF8() {
    let invalid: [[UInt8]] = [
        [0xC3, 0x28],  // a lead byte without its continuation
        [0xC0, 0xAF],  // overlong "/"
        [0xED, 0xA0, 0x80],  // an encoded surrogate
        [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
        [0x61, 0xE2, 0x82],  // truncated at the end
        [0xFF],
    ]
    for bytes in invalid {
        #expect(binaryError(CommonV1.Money.self, lengthDelimited(2, bytes))
            == ProtoError(.invalidUTF8, fieldPath: "common.v1.Money.currency"), "\(bytes)")
    }
    #expect(binaryError(CommonV1.Money.self, lengthDelimited(2, [0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x8E, 0xAB])) == nil)
    // Bytes fields take anything.
    #expect(binaryError(Scalars.self, lengthDelimited(5, [0xFF, 0xC0])) == nil)
}

@Test func errors_nameTheFieldPathFromTheTop() {
    // reservations[0].seats[0].price.currency with invalid UTF-8.
    let price = lengthDelimited(2, [0xFF])
    let bytes = lengthDelimited(1, lengthDelimited(5, lengthDelimited(5, price)))
    let error = binaryError(ReservationV1.ListReservationsResponse.self, bytes)
    #expect(error?.fieldPath == "reservation.v1.ListReservationsResponse.reservations.seats.price.currency")
    #expect(error?.message == "reservation.v1.ListReservationsResponse.reservations.seats.price.currency: string is not valid UTF-8")
}

@Test func nesting_beyondTheDepthLimitIsRejected() throws {
    /// A DescriptorProto with `levels` nested_type messages inside one another.
    func nested(_ levels: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<levels { bytes = lengthDelimited(3, bytes) }
        return bytes
    }
    #expect(binaryError(GoogleProtobuf.DescriptorProto.self, nested(32)) == nil)
    #expect(binaryError(GoogleProtobuf.DescriptorProto.self, nested(33))?.reason == .depthLimitExceeded(32))
    #expect(binaryError(GoogleProtobuf.DescriptorProto.self, nested(5000))?.reason == .depthLimitExceeded(32))
    let deep = ProtoLimits(nestingDepthMax: 200)
    #expect(binaryError(GoogleProtobuf.DescriptorProto.self, nested(200), limits: deep) == nil)
    #expect(binaryError(GoogleProtobuf.DescriptorProto.self, nested(201), limits: deep)?.reason == .depthLimitExceeded(200))
    // A map entry is a level: metadata (1) holds tags entries (2).
    let request = lengthDelimited(7, lengthDelimited(5, lengthDelimited(1, [0x61])))
    #expect(binaryError(ReservationV1.CreateReservationRequest.self, request, limits: ProtoLimits(nestingDepthMax: 2)) == nil)
    #expect(binaryError(ReservationV1.CreateReservationRequest.self, request, limits: ProtoLimits(nestingDepthMax: 1))?.reason
        == .depthLimitExceeded(1))
}

@Test func messages_largerThanTheLimitAreRejected() {
    let bytes = money.serializedBytes()  // 8 bytes
    #expect(binaryError(CommonV1.Money.self, bytes, limits: ProtoLimits(messageBytesMax: 8)) == nil)
    #expect(binaryError(CommonV1.Money.self, bytes, limits: ProtoLimits(messageBytesMax: 7))
        == ProtoError(.messageTooLarge(7), fieldPath: "common.v1.Money"))
    #expect(ProtoLimits.default.messageBytesMax == 4 * 1024 * 1024)
}

@Test func lengths_beyondTheInputAreTruncated() {
    // A LEN field claiming more bytes than remain, even a huge count.
    #expect(binaryError(CommonV1.Money.self, tag(2, 2) + [0x05, 0x61])?.reason == .truncated)
    #expect(binaryError(CommonV1.Money.self, tag(2, 2) + varint(UInt64.max))?.reason == .truncated)
    #expect(binaryError(CommonV1.Money.self, tag(2, 2) + varint(1 << 62))?.reason == .truncated)
    // Fixed-width unknown fields cut short.
    #expect(binaryError(CommonV1.Money.self, tag(9, 1) + [1, 2, 3])?.reason == .truncated)
    #expect(binaryError(CommonV1.Money.self, tag(9, 5) + [1, 2, 3])?.reason == .truncated)
}

@Test(arguments: ["reservation_full", "list_response_full", "create_request_full", "scalars_full", "status_full"])
func truncation_atEveryCutPoint_failsCleanlyOrEndsAtAFieldBoundary(name: String) throws {
    let fixture = Fixture.named(name)
    let type = try #require(messageTypes[fixture.type])
    try checkCuts(type, fixture.bytes)
}

private func checkCuts<Message: ProtoMessage>(_ type: Message.Type, _ bytes: [UInt8]) throws {
    // The offsets where a top-level field ends: only cuts there leave a complete message.
    var boundaries: Set<Int> = [0]
    try bytes.withUnsafeBytes { raw in
        var reader = ProtoReader(raw)
        while !reader.isAtEnd {
            let (_, wireType) = try reader.readTag()
            try reader.skipField(wireType)
            boundaries.insert(reader.offset)
        }
    }
    for cut in 0..<bytes.count {
        let error = binaryError(type, Array(bytes[0..<cut]))
        if boundaries.contains(cut) {
            #expect(error == nil, "cut at \(cut)")
        } else {
            #expect(error?.reason == .truncated, "cut at \(cut): \(String(describing: error))")
        }
    }
}
