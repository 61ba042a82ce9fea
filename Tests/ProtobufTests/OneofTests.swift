import JSON
import Protobuf
import Testing

// Oneofs (the reflection messages have two), checked against the encoding spec ("Oneofs") and
// what protobuf's own parsers do. Fixtures cover their encoding; these cover what a fixture
// cannot hold: several members on the wire, and JSON that names two.

private typealias Request = GRPCReflectionV1.ServerReflectionRequest
private typealias Response = GRPCReflectionV1.ServerReflectionResponse

private func string(_ text: String) -> [UInt8] { Array(text.utf8) }

@Test func oneofMember_holdingItsDefault_isWrittenAndReadBack() throws {
    let request = Request.with { $0.messageRequest = .listServices("") }
    // Field 7, LEN, length 0: a plain string field would leave "" off the wire.
    #expect(request.serializedBytes() == [0x3A, 0x00])
    #expect(try Request(serializedBytes: [0x3A, 0x00]).messageRequest == .listServices(""))
    #expect(request.jsonBytes() == string(#"{"listServices":""}"#))
    #expect(try Request(jsonBytes: string(#"{"listServices":""}"#)).messageRequest == .listServices(""))
    #expect(try Request(serializedBytes: []).messageRequest == nil)
}

@Test func oneofMembers_onTheWire_lastOneWins() throws {
    let bytes = lengthDelimited(3, string("a.proto")) + lengthDelimited(7, []) + lengthDelimited(4, string("x.Y"))
    #expect(try Request(serializedBytes: bytes).messageRequest == .fileContainingSymbol("x.Y"))
    // Decoding then encoding keeps only the member that won.
    #expect(try Request(serializedBytes: bytes).serializedBytes() == lengthDelimited(4, string("x.Y")))
    let messageLast = lengthDelimited(7, []) + lengthDelimited(5, lengthDelimited(1, string("a.B")))
    #expect(try Request(serializedBytes: messageLast).messageRequest == .fileContainingExtension(.with { $0.containingType = "a.B" }))
    let scalarLast = lengthDelimited(5, lengthDelimited(1, string("a.B"))) + lengthDelimited(6, string("c.D"))
    #expect(try Request(serializedBytes: scalarLast).messageRequest == .allExtensionNumbersOfType("c.D"))
}

@Test func oneofMessageMember_twiceInARow_merges_afterAnotherMember_startsOver() throws {
    let containingType = lengthDelimited(5, lengthDelimited(1, string("a.B")))
    let number = lengthDelimited(5, tag(2, 0) + varint(9))
    let merged = GRPCReflectionV1.ExtensionRequest.with {
        $0.containingType = "a.B"
        $0.extensionNumber = 9
    }
    #expect(try Request(serializedBytes: containingType + number).messageRequest == .fileContainingExtension(merged))
    let interrupted = containingType + lengthDelimited(7, []) + number
    #expect(try Request(serializedBytes: interrupted).messageRequest == .fileContainingExtension(.with { $0.extensionNumber = 9 }))
}

@Test func oneofMember_withTheWrongWireType_isAnError() {
    let error = binaryError(Request.self, tag(7, 0) + varint(1))
    #expect(error == ProtoError(.wireTypeMismatch(expected: .len, found: .varint), fieldPath: "grpc.reflection.v1.ServerReflectionRequest.list_services"))
}

@Test func oneofMembers_inOneJSONObject_areRejected() {
    let error = jsonError(Request.self, #"{"fileByFilename":"a.proto","listServices":""}"#)
    #expect(error == ProtoError(.oneofConflict("message_request"), fieldPath: "grpc.reflection.v1.ServerReflectionRequest.list_services"))
    #expect(error?.message == "grpc.reflection.v1.ServerReflectionRequest.list_services: more than one member of oneof message_request is set")
    // A message member too, under its proto name.
    #expect(jsonError(Response.self, #"{"error_response":{},"listServicesResponse":{}}"#)?.reason == .oneofConflict("message_response"))
}

@Test func oneofMember_jsonNull_leavesTheOneofUnsetOrClearsIt() throws {
    #expect(try Request(jsonBytes: string(#"{"fileByFilename":null}"#)).messageRequest == nil)
    #expect(try Request(jsonBytes: string(#"{"fileByFilename":null,"listServices":"*"}"#)).messageRequest == .listServices("*"))
    // A null member that is not the one set leaves the set one alone.
    #expect(try Request(jsonBytes: string(#"{"listServices":"*","fileByFilename":null}"#)).messageRequest == .listServices("*"))
    #expect(try Response(jsonBytes: string(#"{"errorResponse":null}"#)).messageResponse == nil)
}

@Test func oneofMessageMember_emptyIsWrittenAsAnEmptyMessage() throws {
    let response = Response.with { $0.messageResponse = .errorResponse(.init()) }
    #expect(response.serializedBytes() == [0x3A, 0x00])
    #expect(response.jsonBytes() == string(#"{"errorResponse":{}}"#))
    #expect(try Response(jsonBytes: string(#"{"errorResponse":{}}"#)) == response)
}

@Test func reflectionPackages_nameTheirMessages_encodeTheSame() throws {
    #expect(GRPCReflectionV1.ServerReflectionRequest.protoName == "grpc.reflection.v1.ServerReflectionRequest")
    #expect(GRPCReflectionV1Alpha.ServerReflectionRequest.protoName == "grpc.reflection.v1alpha.ServerReflectionRequest")
    #expect(GRPCReflectionV1Alpha.ErrorResponse.protoName == "grpc.reflection.v1alpha.ErrorResponse")
    let v1 = GRPCReflectionV1.ServerReflectionResponse.with {
        $0.originalRequest = .with { $0.messageRequest = .fileByFilename("a.proto") }
        $0.messageResponse = .errorResponse(.init(errorCode: 5, errorMessage: "file not found: a.proto"))
    }
    let alpha = try GRPCReflectionV1Alpha.ServerReflectionResponse(serializedBytes: v1.serializedBytes())
    #expect(alpha.serializedBytes() == v1.serializedBytes())
    #expect(alpha.messageResponse == .errorResponse(.init(errorCode: 5, errorMessage: "file not found: a.proto")))
}
