import Protobuf

// The samples of make-fixtures.py built again by hand in Swift, at least one per message type,
// so that decoding is checked against values written independently of the decoder.

typealias Timestamp = GoogleProtobuf.Timestamp

/// 2026-01-01T12:01:00Z.
let noon: Int64 = 1_767_268_860

let money = CommonV1.Money(amount: 10000, currency: "KRW")

let seatA12 = CommonV1.Seat.with {
    $0.id = "A-12"
    $0.section = "A"
    $0.row = "3"
    $0.number = "12"
    $0.price = money
    $0.status = .reserved
}

let seatB7 = CommonV1.Seat.with {
    $0.id = "B-7"
    $0.section = "B"
    $0.number = "7"
    $0.price = CommonV1.Money(amount: 15000, currency: "KRW")
    $0.status = .sold
}

let sampleError = CommonV1.Error.with {
    $0.code = .inventoryConflict
    $0.message = "좌석이 이미 예약되었습니다 — seat taken 🎫"
    $0.traceID = "0af7651916cd43dd8448eb211c80319c"
    $0.details = [
        .with {
            $0.field = "seat_ids[0]"
            $0.reason = "SEAT_UNAVAILABLE"
            $0.value = "A-12"
        },
        .with {
            $0.field = "quantity"
            $0.reason = "OUT_OF_RANGE"
            $0.value = "-1"
        },
    ]
}

let sampleMetadata = ReservationV1.ReservationMetadata.with {
    $0.source = "web"
    $0.userAgent = "Mozilla/5.0 (X11; Linux x86_64)"
    $0.ipAddress = "203.0.113.7"
    $0.sessionID = "sess_01"
    $0.tags = [
        "campaign": "spring", "": "empty key", "empty": "", "e\u{301}": "combining", "\u{E000}": "private use",
        "🎫": "ticket", "Zed": "upper",
    ]
}

let sampleReservation = ReservationV1.Reservation.with {
    $0.reservationID = "rsv_01HZX"
    $0.eventID = "evt_2025_1001"
    $0.userID = "alice"
    $0.status = .hold
    $0.seats = [seatA12, seatB7]
    $0.quantity = 2
    $0.totalAmount = CommonV1.Money(amount: 25000, currency: "KRW")
    $0.createdAt = Timestamp(seconds: noon)
    $0.updatedAt = Timestamp(seconds: noon, nanos: 120_000_000)
    $0.holdExpiresAt = Timestamp(seconds: noon + 60, nanos: 123_456_000)
    $0.paymentIntentID = "pay_1"
    $0.orderID = "ord_1"
    $0.metadata = sampleMetadata
}

let sampleErrorInfo = GoogleRPC.ErrorInfo.with {
    $0.reason = "SEAT_UNAVAILABLE"
    $0.domain = "reservation.v1"
    $0.metadata = ["seat_ids[0]": "already held", "seat_ids[1]": "sold"]
}

/// Hand-built values by fixture name.
let expectedMessages: [String: any ProtoMessage] = baseExpectedMessages
    .merging(healthExpectedMessages) { _, _ in preconditionFailure("a sample named twice") }
    .merging(reflectionExpectedMessages(GRPCReflectionV1.self, prefix: "reflection_v1")) { _, _ in preconditionFailure("a sample named twice") }
    .merging(reflectionExpectedMessages(GRPCReflectionV1Alpha.self, prefix: "reflection_v1alpha")) { _, _ in
        preconditionFailure("a sample named twice")
    }

let healthExpectedMessages: [String: any ProtoMessage] = [
    "health_check_request_full": GRPCHealthV1.HealthCheckRequest(service: "reservation.v1.ReservationService"),
    "health_check_request_empty": GRPCHealthV1.HealthCheckRequest(),
    "health_check_response_serving": GRPCHealthV1.HealthCheckResponse(status: .serving),
    "health_check_response_not_serving": GRPCHealthV1.HealthCheckResponse(status: .notServing),
    "health_check_response_unknown_number": GRPCHealthV1.HealthCheckResponse(status: .init(rawValue: 7)),
]

/// Timestamp's file as the contract's descriptor set stores it.
let timestampFileBytes: [UInt8] = {
    guard let index = try? DescriptorIndex(serializedSet: DescriptorSet.bytes),
          let file = index.file(named: "google/protobuf/timestamp.proto") else { preconditionFailure("no timestamp.proto in the set") }
    return index.files[file].bytes
}()

/// The reflection samples of make-fixtures.py, the same for both packages.
func reflectionExpectedMessages<Package: GRPCReflectionPackage>(_ package: Package.Type, prefix: String) -> [String: any ProtoMessage] {
    typealias Request = GRPCReflection.ServerReflectionRequest<Package>
    typealias Response = GRPCReflection.ServerReflectionResponse<Package>
    typealias ServiceResponse = GRPCReflection.ServiceResponse<Package>
    let listRequest = Request.with {
        $0.host = "localhost:8011"
        $0.messageRequest = .listServices("")
    }
    let messages: [String: any ProtoMessage] = [
        "request_list_services_empty": listRequest,
        "request_list_services_star": Request.with { $0.messageRequest = .listServices("*") },
        "request_file_by_filename": Request.with { $0.messageRequest = .fileByFilename("reservation/v1/reservation.proto") },
        "request_file_containing_symbol": Request.with {
            $0.host = "h"
            $0.messageRequest = .fileContainingSymbol("grpc.health.v1.HealthCheckResponse.SERVING")
        },
        "request_file_containing_extension": Request.with {
            $0.messageRequest = .fileContainingExtension(.with {
                $0.containingType = "reservation.v1.Reservation"
                $0.extensionNumber = 536_870_911
            })
        },
        "request_file_containing_extension_empty": Request.with { $0.messageRequest = .fileContainingExtension(.init()) },
        "request_all_extension_numbers_of_type": Request.with { $0.messageRequest = .allExtensionNumbersOfType("common.v1.Money") },
        "request_none": Request.with { $0.host = "only.host" },
        "extension_request_negative": GRPCReflection.ExtensionRequest<Package>.with {
            $0.containingType = "x"
            $0.extensionNumber = -1
        },
        "response_list_services": Response.with {
            $0.validHost = "localhost:8011"
            $0.originalRequest = listRequest
            $0.messageResponse = .listServicesResponse(.with {
                $0.service = [
                    ServiceResponse(name: "reservation.v1.ReservationService"), ServiceResponse(name: "grpc.health.v1.Health"),
                    ServiceResponse(),
                ]
            })
        },
        "response_list_services_none": Response.with { $0.messageResponse = .listServicesResponse(.init()) },
        "response_file_descriptors": Response.with {
            $0.originalRequest = .with { $0.messageRequest = .fileByFilename("google/protobuf/timestamp.proto") }
            $0.messageResponse = .fileDescriptorResponse(.with { $0.fileDescriptorProto = [timestampFileBytes, [], Array(0...255)] })
        },
        "response_extension_numbers": Response.with {
            $0.messageResponse = .allExtensionNumbersResponse(.with {
                $0.baseTypeName = "common.v1.Money"
                $0.extensionNumber = [100, 1000, 536_870_911, -1]
            })
        },
        "response_extension_numbers_none": Response.with {
            $0.messageResponse = .allExtensionNumbersResponse(.with { $0.baseTypeName = "common.v1.Money" })
        },
        "response_error": Response.with {
            $0.originalRequest = .with { $0.messageRequest = .fileContainingSymbol("no.such.Symbol") }
            $0.messageResponse = .errorResponse(.init(errorCode: 5, errorMessage: "symbol not found: no.such.Symbol"))
        },
        "response_error_empty": Response.with { $0.messageResponse = .errorResponse(.init()) },
        "response_none": Response.with { $0.validHost = "h" },
        "file_descriptor_response_one": GRPCReflection.FileDescriptorResponse<Package>.with { $0.fileDescriptorProto = [timestampFileBytes] },
        "extension_number_response_full": GRPCReflection.ExtensionNumberResponse<Package>.with {
            $0.baseTypeName = "a.B"
            $0.extensionNumber = [1, 2]
        },
        "list_service_response_full": GRPCReflection.ListServiceResponse<Package>.with {
            $0.service = [ServiceResponse(name: "grpc.health.v1.Health")]
        },
        "service_response_full": ServiceResponse(name: "grpc.reflection.v1.ServerReflection"),
        "error_response_full": GRPCReflection.ErrorResponse<Package>(errorCode: 12, errorMessage: "unimplemented"),
    ]
    return Dictionary(uniqueKeysWithValues: messages.map { (prefix + "_" + $0.key, $0.value) })
}

let baseExpectedMessages: [String: any ProtoMessage] = [
    "money_full": money,
    "money_int64_min": CommonV1.Money(amount: .min, currency: "USD"),
    "money_int64_max": CommonV1.Money(amount: .max, currency: ""),
    "money_empty": CommonV1.Money(),
    "seat_full": seatA12,
    "seat_empty_price": CommonV1.Seat.with {
        $0.id = "C-1"
        $0.price = CommonV1.Money()
    },
    "seat_unknown_status": CommonV1.Seat.with {
        $0.id = "D-4"
        $0.status = CommonV1.SeatStatus(rawValue: 99)
    },
    "pagination_full": CommonV1.Pagination.with {
        $0.page = 3
        $0.pageSize = 50
        $0.cursor = "Y3Vyc29yOjEwMA=="
    },
    "pagination_negative": CommonV1.Pagination.with {
        $0.page = -1
        $0.pageSize = .min
    },
    "page_info_full": CommonV1.PageInfo.with {
        $0.totalCount = 120
        $0.hasNext = true
        $0.hasPrevious = true
        $0.nextCursor = "n"
        $0.previousCursor = "p"
    },
    "error_full": sampleError,
    "error_detail_full": CommonV1.ErrorDetail.with {
        $0.field = "event_id"
        $0.reason = "REQUIRED"
    },
    "create_request_full": ReservationV1.CreateReservationRequest.with {
        $0.eventID = "evt_2025_1001"
        $0.seatIDs = ["A-12", "A-13"]
        $0.quantity = 2
        $0.userID = "alice"
        $0.reservationToken = "tok"
        $0.idempotencyKey = "order-42"
        $0.metadata = sampleMetadata
    },
    "create_request_quantity_minus_one": ReservationV1.CreateReservationRequest.with {
        $0.eventID = "evt"
        $0.quantity = -1
    },
    "create_response_full": ReservationV1.CreateReservationResponse.with {
        $0.reservationID = "rsv_01HZX"
        $0.status = .hold
        $0.holdExpiresAt = Timestamp(seconds: noon)
        $0.reservedSeats = [seatA12, seatB7]
        $0.totalAmount = CommonV1.Money(amount: 25000, currency: "KRW")
        $0.paymentURL = "https://pay.example/rsv_01HZX?a=1&b=\"2\""
        $0.error = CommonV1.Error()
    },
    "get_request_full": ReservationV1.GetReservationRequest.with {
        $0.reservationID = "rsv_01HZX"
        $0.userID = "alice"
    },
    "get_response_full": ReservationV1.GetReservationResponse.with { $0.reservation = sampleReservation },
    "confirm_request_full": ReservationV1.ConfirmReservationRequest.with {
        $0.reservationID = "rsv_01HZX"
        $0.paymentIntentID = "pay_1"
        $0.userID = "alice"
        $0.idempotencyKey = "k1"
    },
    "confirm_response_full": ReservationV1.ConfirmReservationResponse.with {
        $0.orderID = "ord_1"
        $0.status = .confirmed
        $0.confirmedAt = Timestamp(seconds: noon, nanos: 1_000_000)
        $0.confirmedSeats = [seatA12]
        $0.error = sampleError
    },
    "cancel_request_full": ReservationV1.CancelReservationRequest.with {
        $0.reservationID = "rsv_01HZX"
        $0.userID = "alice"
        $0.reason = "changed my mind\n\t\"really\" \\ ok\u{1}"
        $0.idempotencyKey = "k2"
    },
    "cancel_response_full": ReservationV1.CancelReservationResponse.with {
        $0.status = .cancelled
        $0.cancelledAt = Timestamp(seconds: noon, nanos: 1000)
        $0.releasedSeats = [seatA12, seatB7]
    },
    "list_request_full": ReservationV1.ListReservationsRequest.with {
        $0.userID = "alice"
        $0.status = .refunded
        $0.eventID = "evt_2025_1001"
        $0.pagination = .with {
            $0.pageSize = 20
            $0.cursor = "c"
        }
    },
    "list_request_empty_pagination": ReservationV1.ListReservationsRequest.with { $0.pagination = .init() },
    "list_response_full": ReservationV1.ListReservationsResponse.with {
        $0.reservations = [
            sampleReservation,
            .with {
                $0.reservationID = "rsv_2"
                $0.eventID = "evt_2025_1001"
                $0.userID = "bob"
                $0.status = .confirmed
                $0.seats = [seatB7]
                $0.quantity = 1
                $0.createdAt = Timestamp(seconds: noon - 86400, nanos: 1)
            },
            .init(),
        ]
        $0.pageInfo = .with {
            $0.totalCount = 3
            $0.nextCursor = "next"
        }
        $0.error = .with { $0.code = .timeout }
    },
    "extend_request_full": ReservationV1.ExtendHoldRequest.with {
        $0.reservationID = "rsv_01HZX"
        $0.userID = "alice"
        $0.extensionSeconds = 30
        $0.reason = "payment slow"
        $0.idempotencyKey = "k3"
    },
    "extend_request_negative": ReservationV1.ExtendHoldRequest.with {
        $0.reservationID = "r"
        $0.extensionSeconds = -30
    },
    "extend_response_full": ReservationV1.ExtendHoldResponse.with {
        $0.newExpiresAt = Timestamp(seconds: noon + 90, nanos: 1)
        $0.extendedSeconds = 30
        $0.extensionAllowed = true
        $0.error = .with { $0.code = .concurrentModification }
    },
    "reservation_full": sampleReservation,
    "reservation_metadata_full": sampleMetadata,
    "timestamp_epoch": Timestamp(),
    "timestamp_all_digits": Timestamp(seconds: noon, nanos: 123_456_789),
    "timestamp_before_1970": Timestamp(seconds: -1, nanos: 500_000_000),
    "timestamp_max": Timestamp(seconds: 253_402_300_799, nanos: 999_999_999),
    "any_error_info": GoogleProtobuf.`Any`(packing: sampleErrorInfo),
    "status_full": GoogleRPC.Status.with {
        $0.code = 10
        $0.message = "SEAT_UNAVAILABLE: seat A-12 is held"
        $0.details = [GoogleProtobuf.`Any`(packing: sampleErrorInfo)]
    },
    "error_info_full": sampleErrorInfo,
    "scalars_full": Scalars.with {
        $0.int32s = [0, 1, -1, .max, .min, 300]
        $0.int64s = [0, -1, .max, .min, 1 << 53]
        $0.bools = [true, false, true]
        $0.colors = [.red, .green, Color(rawValue: 7), Color(rawValue: -3)]
        $0.data = Array(0...255)
        $0.blobs = [[], [0xFF, 0xFE], Array("abc".utf8)]
        $0.names = ["", "x", "ü"]
        $0.counts = ["a": 1, "b": -1, "big": 1 << 62]
        $0.shades = ["sky": .green, "odd": Color(rawValue: 9)]
        $0.big = -(1 << 40)
        $0.flag = true
        $0.color = .red
    },
]
