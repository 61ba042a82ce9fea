import Protobuf
import Testing

// The committed descriptor set, read with this module's own decoder: a hand edit or a stale
// file shows up here (scripts/gen-proto.sh --check compares it with proto/ itself).

private let methodNames = [
    "CreateReservation", "GetReservation", "ConfirmReservation", "CancelReservation", "ListReservations", "ExtendHold",
]

private func descriptorSet() throws -> GoogleProtobuf.FileDescriptorSet {
    try GoogleProtobuf.FileDescriptorSet(serializedBytes: DescriptorSet.bytes)
}

@Test func descriptorSet_listsTheContractFilesAndTheirImports() throws {
    let names = try descriptorSet().file.map(\.name)
    #expect(names == DescriptorSet.fileNames)
    #expect(Set(names) == [
        "common/v1/types.proto", "reservation/v1/reservation.proto",
        "com/traffic_tacos/reservation/v1/reservation_service.proto", "google/rpc/status.proto",
        "google/rpc/error_details.proto", "google/protobuf/timestamp.proto", "google/protobuf/any.proto",
        "grpc/health/v1/health.proto", "grpc/reflection/v1/reflection.proto", "grpc/reflection/v1alpha/reflection.proto",
    ])
    // Each file comes after the files it imports, as reflection clients expect.
    for (index, file) in try descriptorSet().file.enumerated() {
        for dependency in file.dependency {
            let position = try #require(names.firstIndex(of: dependency), "\(file.name) imports \(dependency)")
            #expect(position < index, "\(file.name) before its import \(dependency)")
        }
    }
}

@Test func descriptorSet_hasBothServiceNamesWithTheSixMethods() throws {
    var services: [String: GoogleProtobuf.ServiceDescriptorProto] = [:]
    for file in try descriptorSet().file {
        for service in file.service { services[file.package + "." + service.name] = service }
    }
    #expect(Set(services.keys) == [
        "reservation.v1.ReservationService", "com.traffic_tacos.reservation.v1.ReservationService",
        "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
    ])
    for (name, service) in services where !name.hasPrefix("grpc.") {
        #expect(service.method.map(\.name) == methodNames, "\(name)")
        for method in service.method {
            // Both names serve the same reservation.v1 messages, unary.
            #expect(method.inputType == ".reservation.v1.\(method.name)Request", "\(name)/\(method.name)")
            #expect(method.outputType == ".reservation.v1.\(method.name)Response", "\(name)/\(method.name)")
            #expect(!method.clientStreaming && !method.serverStreaming)
        }
    }
}

@Test func descriptorSet_declaresEverySwiftMessageAndEnum() throws {
    var declared: Set<String> = []
    func collect(_ message: GoogleProtobuf.DescriptorProto, prefix: String) {
        declared.insert(prefix + message.name)
        for nested in message.nestedType { collect(nested, prefix: prefix + message.name + ".") }
        for enumeration in message.enumType { declared.insert(prefix + message.name + "." + enumeration.name) }
    }
    for file in try descriptorSet().file {
        for message in file.messageType { collect(message, prefix: file.package + ".") }
        for enumeration in file.enumType { declared.insert(file.package + "." + enumeration.name) }
    }
    for name in messageTypes.keys where !name.hasPrefix("prototest.") {
        #expect(declared.contains(name), "\(name) is not in proto/")
    }
    for name in [CommonV1.SeatStatus.protoName, CommonV1.ErrorCode.protoName, ReservationV1.ReservationStatus.protoName,
                 GRPCHealthV1.HealthCheckResponse.ServingStatus.protoName] {
        #expect(declared.contains(name), "\(name) is not in proto/")
    }
    // The map field's entry type is a nested message.
    #expect(declared.contains("reservation.v1.ReservationMetadata.TagsEntry"))
    #expect(try descriptorSet().file.first { $0.name == "reservation/v1/reservation.proto" }?.syntax == "proto3")
}

@Test func descriptorSet_declaresTheGRPCServicesWithTheirStreaming() throws {
    var methods: [String: GoogleProtobuf.MethodDescriptorProto] = [:]
    for file in try descriptorSet().file {
        for service in file.service {
            for method in service.method { methods["/\(file.package).\(service.name)/\(method.name)"] = method }
        }
    }
    let check = try #require(methods["/grpc.health.v1.Health/Check"])
    #expect(!check.clientStreaming && !check.serverStreaming)
    #expect(check.inputType == ".grpc.health.v1.HealthCheckRequest" && check.outputType == ".grpc.health.v1.HealthCheckResponse")
    let watch = try #require(methods["/grpc.health.v1.Health/Watch"])
    #expect(!watch.clientStreaming && watch.serverStreaming)
    for package in ["grpc.reflection.v1", "grpc.reflection.v1alpha"] {
        let info = try #require(methods["/\(package).ServerReflection/ServerReflectionInfo"])
        #expect(info.clientStreaming && info.serverStreaming)
        #expect(info.inputType == ".\(package).ServerReflectionRequest" && info.outputType == ".\(package).ServerReflectionResponse")
    }
}
