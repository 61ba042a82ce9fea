/// A package that declares gRPC's server reflection messages: `grpc.reflection.v1` or
/// `grpc.reflection.v1alpha` (`proto/grpc/reflection/`).
///
/// The two packages declare the same messages with the same field numbers, so one generic Swift
/// type per message serves both and the package only names it. Swift keeps no stored statics in
/// generic types, so each package holds the schemas of its messages, built once.
public protocol GRPCReflectionPackage: Sendable {
    /// `grpc.reflection.v1` or `grpc.reflection.v1alpha`.
    static var packageName: String { get }
    /// The schemas of this package's messages (`GRPCReflection.Schemas()`).
    static var schemas: GRPCReflection.Schemas<Self> { get }
}

/// `grpc.reflection.v1`, the current package.
public enum GRPCReflectionV1: GRPCReflectionPackage {
    public static let packageName = "grpc.reflection.v1"
    public static let schemas = GRPCReflection.Schemas<GRPCReflectionV1>()

    public typealias ServerReflectionRequest = GRPCReflection.ServerReflectionRequest<GRPCReflectionV1>
    public typealias ExtensionRequest = GRPCReflection.ExtensionRequest<GRPCReflectionV1>
    public typealias ServerReflectionResponse = GRPCReflection.ServerReflectionResponse<GRPCReflectionV1>
    public typealias FileDescriptorResponse = GRPCReflection.FileDescriptorResponse<GRPCReflectionV1>
    public typealias ExtensionNumberResponse = GRPCReflection.ExtensionNumberResponse<GRPCReflectionV1>
    public typealias ListServiceResponse = GRPCReflection.ListServiceResponse<GRPCReflectionV1>
    public typealias ServiceResponse = GRPCReflection.ServiceResponse<GRPCReflectionV1>
    public typealias ErrorResponse = GRPCReflection.ErrorResponse<GRPCReflectionV1>
}

/// `grpc.reflection.v1alpha`, which older clients still call.
public enum GRPCReflectionV1Alpha: GRPCReflectionPackage {
    public static let packageName = "grpc.reflection.v1alpha"
    public static let schemas = GRPCReflection.Schemas<GRPCReflectionV1Alpha>()

    public typealias ServerReflectionRequest = GRPCReflection.ServerReflectionRequest<GRPCReflectionV1Alpha>
    public typealias ExtensionRequest = GRPCReflection.ExtensionRequest<GRPCReflectionV1Alpha>
    public typealias ServerReflectionResponse = GRPCReflection.ServerReflectionResponse<GRPCReflectionV1Alpha>
    public typealias FileDescriptorResponse = GRPCReflection.FileDescriptorResponse<GRPCReflectionV1Alpha>
    public typealias ExtensionNumberResponse = GRPCReflection.ExtensionNumberResponse<GRPCReflectionV1Alpha>
    public typealias ListServiceResponse = GRPCReflection.ListServiceResponse<GRPCReflectionV1Alpha>
    public typealias ServiceResponse = GRPCReflection.ServiceResponse<GRPCReflectionV1Alpha>
    public typealias ErrorResponse = GRPCReflection.ErrorResponse<GRPCReflectionV1Alpha>
}

/// The messages of `proto/grpc/reflection/{v1,v1alpha}/reflection.proto`, generic over the package.
public enum GRPCReflection {
    /// The schemas of one package's messages.
    public struct Schemas<Package: GRPCReflectionPackage>: Sendable {
        let serverReflectionRequest = ProtoSchema(ServerReflectionRequest<Package>.fields)
        let extensionRequest = ProtoSchema(ExtensionRequest<Package>.fields)
        let serverReflectionResponse = ProtoSchema(ServerReflectionResponse<Package>.fields)
        let fileDescriptorResponse = ProtoSchema(FileDescriptorResponse<Package>.fields)
        let extensionNumberResponse = ProtoSchema(ExtensionNumberResponse<Package>.fields)
        let listServiceResponse = ProtoSchema(ListServiceResponse<Package>.fields)
        let serviceResponse = ProtoSchema(ServiceResponse<Package>.fields)
        let errorResponse = ProtoSchema(ErrorResponse<Package>.fields)

        public init() {}
    }

    /// One question of the `ServerReflectionInfo` stream.
    public struct ServerReflectionRequest<Package: GRPCReflectionPackage>: ProtoMessage {
        public var host = ""
        /// The question (the proto's `oneof message_request`); nil when the request sets none
        /// this server knows.
        public var messageRequest: MessageRequest?

        /// The members of `oneof message_request`.
        public enum MessageRequest: Sendable, Equatable {
            /// A file by its import path, e.g. `reservation/v1/reservation.proto`.
            case fileByFilename(String)
            /// The file declaring a fully qualified symbol (`<package>.<service>[.<method>]`, `<package>.<type>`).
            case fileContainingSymbol(String)
            case fileContainingExtension(ExtensionRequest<Package>)
            /// A fully qualified message type.
            case allExtensionNumbersOfType(String)
            /// The served services; the string's value means nothing.
            case listServices(String)
        }

        public init() {}

        public static var protoName: String { Package.packageName + ".ServerReflectionRequest" }
        public static var schema: ProtoSchema<Self> { Package.schemas.serverReflectionRequest }
        static var fields: [ProtoField<Self>] {
            [
                .scalar(1, "host", \.host),
                .oneof(3, "file_by_filename", \.messageRequest, oneofName: "message_request",
                       embed: MessageRequest.fileByFilename,
                       extract: { if case .fileByFilename(let name) = $0 { name } else { nil } }),
                .oneof(4, "file_containing_symbol", \.messageRequest, oneofName: "message_request",
                       embed: MessageRequest.fileContainingSymbol,
                       extract: { if case .fileContainingSymbol(let symbol) = $0 { symbol } else { nil } }),
                .oneofMessage(5, "file_containing_extension", \.messageRequest, oneofName: "message_request",
                              embed: MessageRequest.fileContainingExtension,
                              extract: { if case .fileContainingExtension(let request) = $0 { request } else { nil } }),
                .oneof(6, "all_extension_numbers_of_type", \.messageRequest, oneofName: "message_request",
                       embed: MessageRequest.allExtensionNumbersOfType,
                       extract: { if case .allExtensionNumbersOfType(let type) = $0 { type } else { nil } }),
                .oneof(7, "list_services", \.messageRequest, oneofName: "message_request",
                       embed: MessageRequest.listServices,
                       extract: { if case .listServices(let value) = $0 { value } else { nil } }),
            ]
        }
    }

    /// An extension of a message type, by the type's full name and the extension's field number.
    public struct ExtensionRequest<Package: GRPCReflectionPackage>: ProtoMessage {
        public var containingType = ""
        public var extensionNumber: Int32 = 0

        public init() {}

        public static var protoName: String { Package.packageName + ".ExtensionRequest" }
        public static var schema: ProtoSchema<Self> { Package.schemas.extensionRequest }
        static var fields: [ProtoField<Self>] {
            [
                .scalar(1, "containing_type", \.containingType),
                .scalar(2, "extension_number", \.extensionNumber),
            ]
        }
    }

    /// The answer to one `ServerReflectionRequest`.
    public struct ServerReflectionResponse<Package: GRPCReflectionPackage>: ProtoMessage {
        public var validHost = ""
        public var originalRequest: ServerReflectionRequest<Package>?
        /// The answer (the proto's `oneof message_response`).
        public var messageResponse: MessageResponse?

        /// The members of `oneof message_response`.
        public enum MessageResponse: Sendable, Equatable {
            /// Answers file_by_filename, file_containing_symbol and file_containing_extension.
            case fileDescriptorResponse(FileDescriptorResponse<Package>)
            case allExtensionNumbersResponse(ExtensionNumberResponse<Package>)
            case listServicesResponse(ListServiceResponse<Package>)
            case errorResponse(ErrorResponse<Package>)
        }

        public init() {}

        public static var protoName: String { Package.packageName + ".ServerReflectionResponse" }
        public static var schema: ProtoSchema<Self> { Package.schemas.serverReflectionResponse }
        static var fields: [ProtoField<Self>] {
            [
                .scalar(1, "valid_host", \.validHost),
                .message(2, "original_request", \.originalRequest),
                .oneofMessage(4, "file_descriptor_response", \.messageResponse, oneofName: "message_response",
                              embed: MessageResponse.fileDescriptorResponse,
                              extract: { if case .fileDescriptorResponse(let response) = $0 { response } else { nil } }),
                .oneofMessage(5, "all_extension_numbers_response", \.messageResponse, oneofName: "message_response",
                              embed: MessageResponse.allExtensionNumbersResponse,
                              extract: { if case .allExtensionNumbersResponse(let response) = $0 { response } else { nil } }),
                .oneofMessage(6, "list_services_response", \.messageResponse, oneofName: "message_response",
                              embed: MessageResponse.listServicesResponse,
                              extract: { if case .listServicesResponse(let response) = $0 { response } else { nil } }),
                .oneofMessage(7, "error_response", \.messageResponse, oneofName: "message_response",
                              embed: MessageResponse.errorResponse,
                              extract: { if case .errorResponse(let response) = $0 { response } else { nil } }),
            ]
        }
    }

    /// Files as serialized `google.protobuf.FileDescriptorProto` messages, opaque bytes here.
    public struct FileDescriptorResponse<Package: GRPCReflectionPackage>: ProtoMessage {
        public var fileDescriptorProto: [[UInt8]] = []

        public init() {}

        public static var protoName: String { Package.packageName + ".FileDescriptorResponse" }
        public static var schema: ProtoSchema<Self> { Package.schemas.fileDescriptorResponse }
        static var fields: [ProtoField<Self>] {
            [.repeated(1, "file_descriptor_proto", \.fileDescriptorProto)]
        }
    }

    /// The extension numbers of a message type.
    public struct ExtensionNumberResponse<Package: GRPCReflectionPackage>: ProtoMessage {
        /// The message type's full name, `<package>.<type>`.
        public var baseTypeName = ""
        public var extensionNumber: [Int32] = []

        public init() {}

        public static var protoName: String { Package.packageName + ".ExtensionNumberResponse" }
        public static var schema: ProtoSchema<Self> { Package.schemas.extensionNumberResponse }
        static var fields: [ProtoField<Self>] {
            [
                .scalar(1, "base_type_name", \.baseTypeName),
                .repeated(2, "extension_number", \.extensionNumber),
            ]
        }
    }

    /// The served services.
    public struct ListServiceResponse<Package: GRPCReflectionPackage>: ProtoMessage {
        public var service: [ServiceResponse<Package>] = []

        public init() {}

        public static var protoName: String { Package.packageName + ".ListServiceResponse" }
        public static var schema: ProtoSchema<Self> { Package.schemas.listServiceResponse }
        static var fields: [ProtoField<Self>] {
            [.repeatedMessage(1, "service", \.service)]
        }
    }

    /// One served service.
    public struct ServiceResponse<Package: GRPCReflectionPackage>: ProtoMessage {
        /// The full name, `<package>.<service>`.
        public var name = ""

        public init() {}

        public init(name: String) {
            self.name = name
        }

        public static var protoName: String { Package.packageName + ".ServiceResponse" }
        public static var schema: ProtoSchema<Self> { Package.schemas.serviceResponse }
        static var fields: [ProtoField<Self>] {
            [.scalar(1, "name", \.name)]
        }
    }

    /// A question the server cannot answer, with a gRPC status code.
    public struct ErrorResponse<Package: GRPCReflectionPackage>: ProtoMessage {
        /// A gRPC status code (5 NOT_FOUND, 12 UNIMPLEMENTED, …).
        public var errorCode: Int32 = 0
        public var errorMessage = ""

        public init() {}

        public init(errorCode: Int32, errorMessage: String) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }

        public static var protoName: String { Package.packageName + ".ErrorResponse" }
        public static var schema: ProtoSchema<Self> { Package.schemas.errorResponse }
        static var fields: [ProtoField<Self>] {
            [
                .scalar(1, "error_code", \.errorCode),
                .scalar(2, "error_message", \.errorMessage),
            ]
        }
    }
}
