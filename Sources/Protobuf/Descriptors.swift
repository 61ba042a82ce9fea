extension GoogleProtobuf {
    /// A read-only subset of `google/protobuf/descriptor.proto`: enough to list the files of a
    /// descriptor set with their packages, imports, and the names of what they declare (messages,
    /// fields, oneofs, enums and their values, services, methods, extensions).
    ///
    /// descriptor.proto is proto2, and every field it declares that is missing here is dropped
    /// when decoding, so re-encoding does not give the original bytes back: serve the original
    /// bytes (`DescriptorSet.bytes`) rather than these values.
    public struct FileDescriptorSet: ProtoMessage {
        public var file: [FileDescriptorProto] = []

        public init() {}

        public static let protoName = "google.protobuf.FileDescriptorSet"
        public static let schema = ProtoSchema<FileDescriptorSet>([
            .repeatedMessage(1, "file", \.file),
        ])
    }

    /// One .proto file (a subset of its fields; see `FileDescriptorSet`).
    public struct FileDescriptorProto: ProtoMessage {
        /// The path relative to the import root, e.g. `reservation/v1/reservation.proto`.
        public var name = ""
        public var package = ""
        /// Imported file names.
        public var dependency: [String] = []
        public var messageType: [DescriptorProto] = []
        public var enumType: [EnumDescriptorProto] = []
        public var service: [ServiceDescriptorProto] = []
        /// Extensions declared at the top level of the file.
        public var `extension`: [FieldDescriptorProto] = []
        public var syntax = ""

        public init() {}

        public static let protoName = "google.protobuf.FileDescriptorProto"
        public static let schema = ProtoSchema<FileDescriptorProto>([
            .scalar(1, "name", \.name),
            .scalar(2, "package", \.package),
            .repeated(3, "dependency", \.dependency),
            .repeatedMessage(4, "message_type", \.messageType),
            .repeatedMessage(5, "enum_type", \.enumType),
            .repeatedMessage(6, "service", \.service),
            .repeatedMessage(7, "extension", \.extension),
            .scalar(12, "syntax", \.syntax),
        ])
    }

    /// A message type (a subset of its fields); messages nest, so this type is recursive.
    public struct DescriptorProto: ProtoMessage {
        public var name = ""
        public var field: [FieldDescriptorProto] = []
        public var nestedType: [DescriptorProto] = []
        public var enumType: [EnumDescriptorProto] = []
        /// Extensions declared inside this message (of any message type).
        public var `extension`: [FieldDescriptorProto] = []
        public var oneofDecl: [OneofDescriptorProto] = []

        public init() {}

        public static let protoName = "google.protobuf.DescriptorProto"
        public static let schema = ProtoSchema<DescriptorProto>([
            .scalar(1, "name", \.name),
            .repeatedMessage(2, "field", \.field),
            .repeatedMessage(3, "nested_type", \.nestedType),
            .repeatedMessage(4, "enum_type", \.enumType),
            .repeatedMessage(6, "extension", \.extension),
            .repeatedMessage(8, "oneof_decl", \.oneofDecl),
        ])
    }

    /// A field or an extension (its name and number).
    public struct FieldDescriptorProto: ProtoMessage {
        public var name = ""
        public var number: Int32 = 0

        public init() {}

        public static let protoName = "google.protobuf.FieldDescriptorProto"
        public static let schema = ProtoSchema<FieldDescriptorProto>([
            .scalar(1, "name", \.name),
            .scalar(3, "number", \.number),
        ])
    }

    /// A oneof (its name only).
    public struct OneofDescriptorProto: ProtoMessage {
        public var name = ""

        public init() {}

        public static let protoName = "google.protobuf.OneofDescriptorProto"
        public static let schema = ProtoSchema<OneofDescriptorProto>([
            .scalar(1, "name", \.name),
        ])
    }

    /// An enum type and its values.
    public struct EnumDescriptorProto: ProtoMessage {
        public var name = ""
        public var value: [EnumValueDescriptorProto] = []

        public init() {}

        public static let protoName = "google.protobuf.EnumDescriptorProto"
        public static let schema = ProtoSchema<EnumDescriptorProto>([
            .scalar(1, "name", \.name),
            .repeatedMessage(2, "value", \.value),
        ])
    }

    /// One value of an enum.
    public struct EnumValueDescriptorProto: ProtoMessage {
        public var name = ""
        public var number: Int32 = 0

        public init() {}

        public static let protoName = "google.protobuf.EnumValueDescriptorProto"
        public static let schema = ProtoSchema<EnumValueDescriptorProto>([
            .scalar(1, "name", \.name),
            .scalar(2, "number", \.number),
        ])
    }

    /// A service and its methods.
    public struct ServiceDescriptorProto: ProtoMessage {
        public var name = ""
        public var method: [MethodDescriptorProto] = []

        public init() {}

        public static let protoName = "google.protobuf.ServiceDescriptorProto"
        public static let schema = ProtoSchema<ServiceDescriptorProto>([
            .scalar(1, "name", \.name),
            .repeatedMessage(2, "method", \.method),
        ])
    }

    /// A method: its name and fully qualified message types (with a leading dot).
    public struct MethodDescriptorProto: ProtoMessage {
        public var name = ""
        /// E.g. `.reservation.v1.CreateReservationRequest`.
        public var inputType = ""
        public var outputType = ""
        public var clientStreaming = false
        public var serverStreaming = false

        public init() {}

        public static let protoName = "google.protobuf.MethodDescriptorProto"
        public static let schema = ProtoSchema<MethodDescriptorProto>([
            .scalar(1, "name", \.name),
            .scalar(2, "input_type", \.inputType),
            .scalar(3, "output_type", \.outputType),
            .scalar(5, "client_streaming", \.clientStreaming),
            .scalar(6, "server_streaming", \.serverStreaming),
        ])
    }
}
