/// The messages of `proto/grpc/health/v1/health.proto` (package `grpc.health.v1`), gRPC's
/// standard health checking protocol.
public enum GRPCHealthV1 {
    /// Which service to report on.
    public struct HealthCheckRequest: ProtoMessage {
        /// A fully qualified service name; empty asks about the server as a whole.
        public var service = ""

        public init() {}

        public init(service: String) {
            self.service = service
        }

        public static let protoName = "grpc.health.v1.HealthCheckRequest"
        public static let schema = ProtoSchema<HealthCheckRequest>([
            .scalar(1, "service", \.service),
        ])
    }

    /// A service's serving status.
    public struct HealthCheckResponse: ProtoMessage {
        public var status = ServingStatus.unknown

        public init() {}

        public init(status: ServingStatus) {
            self.status = status
        }

        public static let protoName = "grpc.health.v1.HealthCheckResponse"
        public static let schema = ProtoSchema<HealthCheckResponse>([
            .scalar(1, "status", \.status),
        ])

        /// Whether a service takes calls.
        public struct ServingStatus: ProtoEnum {
            public var rawValue: Int32
            public init(rawValue: Int32) { self.rawValue = rawValue }

            public static let unknown = ServingStatus(rawValue: 0)
            public static let serving = ServingStatus(rawValue: 1)
            public static let notServing = ServingStatus(rawValue: 2)
            /// Only `Watch` answers with this one; `Check` answers NOT_FOUND for an unknown service.
            public static let serviceUnknown = ServingStatus(rawValue: 3)

            public static let protoName = "grpc.health.v1.HealthCheckResponse.ServingStatus"
            public static let protoValues: ProtoEnumValues = [
                0: "UNKNOWN",
                1: "SERVING",
                2: "NOT_SERVING",
                3: "SERVICE_UNKNOWN",
            ]
        }
    }
}
