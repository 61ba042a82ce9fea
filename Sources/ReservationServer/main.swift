import CLinux
import Foundation

// Block SIGTERM/SIGINT before any thread exists, so every thread inherits the mask and the signals
// arrive only through the signalfd the main thread waits on; SIGPIPE is ignored.
guard clinux_block_signals() == 0 else {
    FileHandle.standardError.write(Data("reservation-server: cannot block signals\n".utf8))
    exit(1)
}

let configuration: Configuration
do {
    switch try ConfigurationParser.parse(arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment) {
    case .help(let text):
        print(text)
        exit(0)
    case .run(let parsed):
        configuration = parsed
    }
} catch {
    FileHandle.standardError.write(Data("reservation-server: \(error.description)\n".utf8))
    exit(2)
}

exit(Application(configuration: configuration).run())
