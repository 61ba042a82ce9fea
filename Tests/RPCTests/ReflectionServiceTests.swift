import Protobuf
import RPC
import Testing

// Server reflection over the compiled contract. The expected files and names come from
// ReflectionFixtures.swift, made by protobuf's Python library from the same proto/ files.

private let reflection = ReflectionService()

@Test func listServices_namesEveryServedService_andEchoesHostAndRequest() {
    let asked = request(.listServices(""), host: "localhost:8011")
    let response = reflection.respond(to: asked)
    #expect(response.validHost == "localhost:8011")
    #expect(response.originalRequest == asked)
    guard case .listServicesResponse(let list) = response.messageResponse else {
        Issue.record("not a list: \(String(describing: response.messageResponse))")
        return
    }
    #expect(list.service.map(\.name) == [
        "reservation.v1.ReservationService", "com.traffic_tacos.reservation.v1.ReservationService", "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
    ])
    #expect(ServedServices.names == list.service.map(\.name))
}

@Test func fileByFilename_reservation_isFirst_thenItsImports() throws {
    let response = reflection.respond(to: request(.fileByFilename("reservation/v1/reservation.proto")))
    #expect(try servedFileNames(response) == ["reservation/v1/reservation.proto", "common/v1/types.proto", "google/protobuf/timestamp.proto"])
    #expect(response.originalRequest?.messageRequest == .fileByFilename("reservation/v1/reservation.proto"))
    // The alias imports reservation.proto, which brings its own imports: transitive.
    let alias = reflection.respond(to: request(.fileByFilename("com/traffic_tacos/reservation/v1/reservation_service.proto")))
    #expect(try servedFileNames(alias) == [
        "com/traffic_tacos/reservation/v1/reservation_service.proto", "common/v1/types.proto",
        "google/protobuf/timestamp.proto", "reservation/v1/reservation.proto",
    ])
}

@Test(arguments: descriptorFiles.map(\.name))
func fileByFilename_servesTheBytesPythonRead(name: String) throws {
    let fixture = DescriptorFileFixture.named(name)
    let response = reflection.respond(to: request(.fileByFilename(name)))
    let files = try #require(servedFiles(response))
    #expect(try servedFileNames(response) == fixture.withDependencies)
    // Byte for byte the FileDescriptorProto that descriptor_pb2 parsed and re-encoded unchanged.
    #expect(files.map(sha256Hex) == fixture.withDependencies.map { DescriptorFileFixture.named($0).sha256 })
    let first = try GoogleProtobuf.FileDescriptorProto(serializedBytes: files[0])
    #expect(first.package == fixture.package)
}

@Test func servedFiles_areTheSlicesOfTheCommittedSet() throws {
    let index = try DescriptorIndex(serializedSet: DescriptorSet.bytes)
    #expect(index.files.map(\.name) == descriptorFiles.map(\.name))
    #expect(index.files.map { sha256Hex($0.bytes) } == descriptorFiles.map(\.sha256))
}

@Test(arguments: declaredSymbols)
func fileContainingSymbol_findsTheFilePythonFinds(symbol: SymbolFixture) throws {
    let response = reflection.respond(to: request(.fileContainingSymbol(symbol.name)))
    #expect(try servedFileNames(response) == DescriptorFileFixture.named(symbol.file).withDependencies)
}

@Test func declaredSymbols_coverEveryKindOfName() {
    let kinds: [DescriptorIndex.SymbolKind] = [.message, .field, .oneof, .enumType, .enumValue, .service, .method]
    for kind in kinds {
        #expect(declaredSymbols.contains { $0.kind == kind }, "\(kind)")
    }
    let index = try? DescriptorIndex(serializedSet: DescriptorSet.bytes)
    for symbol in declaredSymbols {
        #expect(index?.symbol(named: symbol.name)?.kind == symbol.kind, "\(symbol.name)")
    }
}

@Test(arguments: [
    ("reservation.v1.ReservationService", "reservation/v1/reservation.proto"),
    ("reservation.v1.ReservationService.CreateReservation", "reservation/v1/reservation.proto"),
    ("com.traffic_tacos.reservation.v1.ReservationService", "com/traffic_tacos/reservation/v1/reservation_service.proto"),
    ("reservation.v1.CreateReservationRequest", "reservation/v1/reservation.proto"),
    ("reservation.v1.ReservationMetadata.TagsEntry", "reservation/v1/reservation.proto"),
    ("common.v1.SeatStatus", "common/v1/types.proto"),
    ("common.v1.ERROR_CODE_INVENTORY_CONFLICT", "common/v1/types.proto"),
    ("google.protobuf.Timestamp", "google/protobuf/timestamp.proto"),
    ("grpc.health.v1.Health", "grpc/health/v1/health.proto"),
    ("grpc.health.v1.Health.Check", "grpc/health/v1/health.proto"),
    ("grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"),
    ("grpc.health.v1.HealthCheckResponse.NOT_SERVING", "grpc/health/v1/health.proto"),
    ("grpc.reflection.v1alpha.ServerReflection", "grpc/reflection/v1alpha/reflection.proto"),
])
func fileContainingSymbol_servesTheDeclaringFileFirst(symbol: String, file: String) throws {
    let response = reflection.respond(to: request(.fileContainingSymbol(symbol)))
    #expect(try servedFileNames(response)?.first == file)
    #expect(try servedFileNames(response) == DescriptorFileFixture.named(file).withDependencies)
}

@Test(arguments: [
    request(.fileByFilename("reservation/v2/reservation.proto")),
    request(.fileByFilename("")),
    request(.fileContainingSymbol("reservation.v1.NoSuchMessage")),
    request(.fileContainingSymbol("reservation.v1")),
    request(.fileContainingSymbol(".reservation.v1.Reservation")),
    request(.fileContainingSymbol("")),
])
func unknownFilesAndSymbols_areNotFound_andTheStreamGoesOn(asked: V1.ServerReflectionRequest) throws {
    let response = reflection.respond(to: asked)
    let error = try #require(errorAnswer(response))
    #expect(error.code == 5)
    #expect(error.message.hasPrefix("file not found: ") || error.message.hasPrefix("symbol not found: "))
    #expect(response.originalRequest == asked)
}

@Test func unknownFile_messageNamesIt() {
    let response = reflection.respond(to: request(.fileByFilename("nope.proto")))
    #expect(errorAnswer(response)?.message == "file not found: nope.proto")
    #expect(errorAnswer(reflection.respond(to: request(.fileContainingSymbol("a.B"))))?.message == "symbol not found: a.B")
}

@Test func extensions_noneExist() {
    let byExtension = reflection.respond(to: request(.fileContainingExtension(.with {
        $0.containingType = "reservation.v1.Reservation"
        $0.extensionNumber = 100
    })))
    #expect(errorAnswer(byExtension)?.code == 5)
    #expect(errorAnswer(byExtension)?.message == "extension not found: reservation.v1.Reservation has no extension 100")

    // A message type has an empty list of extension numbers, as protobuf's own servers answer.
    let numbers = reflection.respond(to: request(.allExtensionNumbersOfType("reservation.v1.Reservation")))
    #expect(numbers.messageResponse == .allExtensionNumbersResponse(.with { $0.baseTypeName = "reservation.v1.Reservation" }))
    for name in ["reservation.v1.Nope", "reservation.v1.ReservationStatus", "reservation.v1.ReservationService", ""] {
        let response = reflection.respond(to: request(.allExtensionNumbersOfType(name)))
        #expect(errorAnswer(response)?.code == 5, "\(name)")
    }
}

@Test func requestAskingNothing_isUnimplemented() {
    let response = reflection.respond(to: request(nil, host: "h"))
    #expect(errorAnswer(response)?.code == 12)
    #expect(response.validHost == "h")
    #expect(response.originalRequest == request(nil, host: "h"))
}

@Test func everyAnswer_isOneResponseWithExactlyOneMember() throws {
    let questions: [V1.ServerReflectionRequest.MessageRequest?] = [
        .listServices("*"), .fileByFilename("common/v1/types.proto"), .fileByFilename("x"), .fileContainingSymbol("common.v1.Money"),
        .fileContainingExtension(.init()), .allExtensionNumbersOfType("common.v1.Money"), nil,
    ]
    for question in questions {
        let bytes = reflection.respond(to: request(question)).serializedBytes()
        // Field numbers 4 to 7 are the members of message_response: exactly one is on the wire.
        let members = try topLevelFieldNumbers(bytes).filter { (4...7).contains($0) }
        #expect(members.count == 1, "\(String(describing: question))")
    }
}

@Test func v1AndV1Alpha_answerWithTheSameBytes() throws {
    let asked = request(.fileContainingSymbol("grpc.health.v1.Health"), host: "h")
    let alphaRequest = try V1Alpha.ServerReflectionRequest(serializedBytes: asked.serializedBytes())
    let v1Bytes = reflection.respond(to: asked).serializedBytes()
    #expect(reflection.respond(to: alphaRequest).serializedBytes() == v1Bytes)
    let viaBytes = try asked.serializedBytes().withUnsafeBytes { (bytes) throws(RPCStatus) in
        try reflection.respond(toMessage: bytes, in: V1Alpha.self)
    }
    #expect(viaBytes == v1Bytes)
    #expect(try servedFileNames(V1Alpha.ServerReflectionResponse(serializedBytes: viaBytes)) == ["grpc/health/v1/health.proto"])
}

@Test func malformedRequestBytes_areInvalidArgument() {
    // Field 7 (list_services) as a varint: the wrong wire type.
    let bytes: [UInt8] = [0x38, 0x01]
    #expect {
        try bytes.withUnsafeBytes { (raw) throws(RPCStatus) in try reflection.respond(toMessage: raw) }
    } throws: { error in
        (error as? RPCStatus)?.code == .invalidArgument
    }
}

@Test func methodPaths() {
    #expect(ReflectionService.infoPath == "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo")
    #expect(ReflectionService.infoPathV1Alpha == "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
    #expect(ReflectionService.serviceNames == ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"])
}

/// The field numbers at the top level of a message, in order.
private func topLevelFieldNumbers(_ bytes: [UInt8]) throws -> [Int32] {
    try bytes.withUnsafeBytes { (raw) throws(ProtoError) in
        var reader = ProtoReader(raw)
        var numbers: [Int32] = []
        while !reader.isAtEnd {
            let (number, wireType) = try reader.readTag()
            numbers.append(number)
            try reader.skipField(wireType)
        }
        return numbers
    }
}
