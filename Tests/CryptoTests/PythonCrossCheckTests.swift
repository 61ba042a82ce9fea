import Crypto
import Foundation
import Testing
import TestSupport

/// Runs `python3 -c script`, feeding `input` on stdin, and returns stdout.
///
/// The script reads all of stdin before writing anything, so writing the whole
/// input before reading the output cannot deadlock on full pipes.
func runPython(script: String, input: [UInt8]) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    let stdin = Pipe(), stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    try process.run()
    stdin.fileHandleForWriting.write(Data(input))
    try stdin.fileHandleForWriting.close()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "python3 exited with \(process.terminationStatus)")
    return [UInt8](output)
}

@Test func sha256_matchesPythonHashlibForEveryLengthUpTo300() throws {
    var rng = SeededGenerator(seed: 0x5EED_2024)
    let inputs: [[UInt8]] = (0...300).map { length in (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) } }

    // One hex-encoded input per line; an empty line is the empty message.
    var stdin: [UInt8] = []
    for input in inputs {
        stdin.append(contentsOf: hexString(input).utf8)
        stdin.append(UInt8(ascii: "\n"))
    }
    let script = """
        import hashlib, sys
        lines = sys.stdin.read().split("\\n")[:-1]
        sys.stdout.write("".join(hashlib.sha256(bytes.fromhex(l)).hexdigest() + "\\n" for l in lines))
        """
    let output = try runPython(script: script, input: stdin)
    let digests = String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)

    try #require(digests.count == inputs.count)
    for (length, input) in inputs.enumerated() {
        #expect(hexString(SHA256.hash(input)) == digests[length], "length \(length)")
    }
}
