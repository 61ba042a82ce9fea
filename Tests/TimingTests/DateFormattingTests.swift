import Testing
import Timing

// Expected values were produced independently with `date -u -d @SECONDS`.

@Test(arguments: [
    (Int64(0), "1970-01-01T00:00:00.000Z"),
    (-1, "1969-12-31T23:59:59.999Z"),
    (946_684_800_000, "2000-01-01T00:00:00.000Z"),
    (951_782_400_000, "2000-02-29T00:00:00.000Z"),
    (1_709_164_800_000, "2024-02-29T00:00:00.000Z"),
    (-2_203_891_200_000, "1900-03-01T00:00:00.000Z"),
    (-2_203_891_200_001, "1900-02-28T23:59:59.999Z"),
    (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),
    (4_107_542_399_999, "2100-02-28T23:59:59.999Z"),
    (2_147_483_647_000, "2038-01-19T03:14:07.000Z"),
    (2_147_483_648_123, "2038-01-19T03:14:08.123Z"),
    (1_767_268_860_123, "2026-01-01T12:01:00.123Z"),
    (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
    (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
])
func rfc3339_format_matchesKnownValues(milliseconds: Int64, expected: String) {
    #expect(RFC3339.format(milliseconds: milliseconds) == expected)
}

@Test func rfc3339_format_clampsOutsideFourDigitYears() {
    #expect(RFC3339.format(milliseconds: .max) == "9999-12-31T23:59:59.999Z")
    #expect(RFC3339.format(milliseconds: .min) == "0000-01-01T00:00:00.000Z")
}

@Test func rfc3339_append_addsToExistingBytes() {
    var bytes = Array("at ".utf8)
    RFC3339.append(milliseconds: 5, to: &bytes)
    #expect(String(decoding: bytes, as: UTF8.self) == "at 1970-01-01T00:00:00.005Z")
}

@Test func rfc3339_format_everyDayFrom1968To2032IsNextCalendarDay() {
    // Walks day by day across several leap years, checking that each date follows
    // the previous one under the calendar rules rather than by the same arithmetic.
    var (year, month, day) = (1968, 1, 1)
    var days: Int64 = -731  // 1968-01-01 is 731 days before 1970-01-01.
    while year < 2033 {
        let text = RFC3339.format(milliseconds: days * 86_400_000 + 86_399_999)
        let expected = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T23:59:59.999Z"
        #expect(text == expected)
        let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let monthLengths = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        day += 1
        if day > monthLengths[month - 1] { day = 1; month += 1 }
        if month > 12 { month = 1; year += 1 }
        days += 1
    }
}

private func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

@Test(arguments: [
    (Int64(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT"),
    (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
    (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
    (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
    (2_147_483_648, "Tue, 19 Jan 2038 03:14:08 GMT"),
    (1_767_225_600, "Thu, 01 Jan 2026 00:00:00 GMT"),
    (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
    (-62_167_219_200, "Sat, 01 Jan 0000 00:00:00 GMT"),
])
func httpDate_format_matchesKnownValues(seconds: Int64, expected: String) {
    #expect(HTTPDate.format(seconds: seconds) == expected)
}

@Test func httpDate_append_addsToExistingBytes() {
    var bytes = Array("Date: ".utf8)
    HTTPDate.append(seconds: 784_111_777, to: &bytes)
    #expect(String(decoding: bytes, as: UTF8.self) == "Date: Sun, 06 Nov 1994 08:49:37 GMT")
}
