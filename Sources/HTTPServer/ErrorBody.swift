import JSON
import Timing

/// The JSON error envelope every error response carries:
/// `{"error":{"code","message","timestamp","path","traceId","details"?}}`.
public enum ErrorBody {
    public static func make(code: String, message: String, path: String, traceID: TraceID, timestampMilliseconds: Int64,
                            details: [(field: String, problem: String)] = []) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(192 + message.utf8.count + path.utf8.count)
        out.append(contentsOf: #"{"error":{"code":"#.utf8)
        JSONWriter.appendQuoted(code, to: &out)
        out.append(contentsOf: #","message":"#.utf8)
        JSONWriter.appendQuoted(message, to: &out)
        out.append(contentsOf: #","timestamp":""#.utf8)
        RFC3339.append(milliseconds: timestampMilliseconds, to: &out)
        out.append(contentsOf: #"","path":"#.utf8)
        JSONWriter.appendQuoted(path, to: &out)
        out.append(contentsOf: #","traceId":""#.utf8)
        out.append(contentsOf: traceID.hexBytes)
        out.append(0x22)
        if !details.isEmpty {
            out.append(contentsOf: #","details":{"#.utf8)
            for (position, detail) in details.enumerated() {
                if position > 0 { out.append(0x2C) }
                JSONWriter.appendQuoted(detail.field, to: &out)
                out.append(0x3A)
                JSONWriter.appendQuoted(detail.problem, to: &out)
            }
            out.append(0x7D)
        }
        out.append(contentsOf: "}}".utf8)
        return out
    }
}
