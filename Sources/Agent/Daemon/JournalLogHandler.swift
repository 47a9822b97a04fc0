#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// The daemon's swift-log handler: one line per event on stderr, metadata as `key=value` pairs
/// sorted by key (`sync ok in 0.42 s: … duration=0.42 pulled=0 pushed=3`).
///
/// When stderr is the journal (`$JOURNAL_STREAM` names the device and inode of fd 2, as
/// systemd.exec(5) documents) each line starts with the syslog priority (`<3>` error, `<4>`
/// warning, `<5>` notice, `<6>` info, `<7>` debug), which journald strips and stores as PRIORITY=;
/// otherwise the line starts with the time and the level.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    /// Whether lines carry the journal's priority prefix.
    public let journal: Bool
    private let write: @Sendable (String) -> Void

    public init(level: Logger.Level = .info, journal: Bool = JournalLogHandler.stderrIsJournal(),
                write: @escaping @Sendable (String) -> Void = JournalLogHandler.writeToStderr) {
        self.logLevel = level
        self.journal = journal
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let own = event.metadata { all.merge(own) { $1 } }
        write(Self.format(level: event.level, message: event.message.description, metadata: all,
                          journal: journal, date: Date()))
    }

    /// The line for one event, newline included.
    public static func format(level: Logger.Level, message: String, metadata: Logger.Metadata, journal: Bool, date: Date) -> String {
        // One event, one line: a multi-line reason (a YAML error) is folded.
        var line = message.replacingOccurrences(of: "\n", with: " | ")
        for key in metadata.keys.sorted() {
            line += " \(key)=\(quoted(metadata[key]!.description))"
        }
        return journal
            ? "<\(priority(level))>\(line)\n"
            : "\(date.formatted(.iso8601)) \(name(level).uppercased()) \(line)\n"
    }

    /// The syslog priority: critical 2, error 3, warning 4, notice 5, info 6, debug and trace 7.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .critical: 2
        case .error: 3
        case .warning: 4
        case .notice: 5
        case .info: 6
        case .debug, .trace: 7
        }
    }

    static func name(_ level: Logger.Level) -> String {
        level == .critical ? "critical" : level.rawValue
    }

    /// A value with a space, quote, `=` or nothing at all is quoted (`reason="no route"`).
    static func quoted(_ value: String) -> String {
        let flat = value.replacingOccurrences(of: "\n", with: " | ")
        guard flat.isEmpty || flat.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) else { return flat }
        return "\"" + flat.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The level names of `--log-level` and `log.level` (`warn` is accepted for warning).
    public static func level(named name: String) -> Logger.Level? {
        switch name.lowercased() {
        case "error": .error
        case "warning", "warn": .warning
        case "notice": .notice
        case "info": .info
        case "debug": .debug
        case "trace": .trace
        default: nil
        }
    }

    /// Whether stderr is the journal: `$JOURNAL_STREAM` is `DEVICE:INODE` of the stream systemd
    /// connected, and fd 2 is still that stream (not redirected by a wrapper script).
    public static func stderrIsJournal(environment: [String: String] = ProcessInfo.processInfo.environment, fd: Int32 = 2) -> Bool {
        guard let value = environment["JOURNAL_STREAM"], !value.isEmpty else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    @Sendable public static func writeToStderr(_ line: String) {
        FileHandle.standardError.write(Data(line.utf8))
    }
}
