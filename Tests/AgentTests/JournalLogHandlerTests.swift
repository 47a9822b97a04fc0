@testable import Agent
import Foundation
import Logging
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct JournalLogHandlerTests {
    /// A logger whose lines land in `lines`.
    final class Capture: Sendable {
        let lines = Mutex<[String]>([])
        func logger(level: Logger.Level = .info, journal: Bool) -> Logger {
            Logger(label: "test") { _ in JournalLogHandler(level: level, journal: journal) { line in self.lines.withLock { $0.append(line) } } }
        }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func journalLinesCarryThePriorityAndSortedMetadata() {
        let capture = Capture()
        var log = capture.logger(journal: true)
        log[metadataKey: "region"] = "410100"
        log.info("sync ok in 0.42 s: push", metadata: ["pushed": "3", "duration": "0.42", "pulled": "0"])
        log.notice("stopped")
        log.error("sync failed (1 in a row): no route", metadata: ["reason": "no route to host"])
        log.warning("watch: gone")
        log.debug("not shown at info")
        #expect(capture.all == [
            "<6>sync ok in 0.42 s: push duration=0.42 pulled=0 pushed=3 region=410100\n",
            "<5>stopped region=410100\n",
            "<3>sync failed (1 in a row): no route reason=\"no route to host\" region=410100\n",
            "<4>watch: gone region=410100\n",
        ])
    }

    @Test func debugLevelLetsDebugThroughAtPriority7AndFoldsNewlines() {
        let capture = Capture()
        let log = capture.logger(level: .debug, journal: true)
        log.debug("a\nb", metadata: ["k": "x\ny", "e": ""])
        #expect(capture.all == ["<7>a | b e=\"\" k=\"x | y\"\n"])
    }

    @Test func plainLinesStartWithTimeAndLevel() throws {
        let line = JournalLogHandler.format(level: .notice, message: "stopped", metadata: ["b": "2", "a": "1"], journal: false,
                                            date: Date(timeIntervalSince1970: 0))
        #expect(line == "1970-01-01T00:00:00Z NOTICE stopped a=1 b=2\n")
        #expect(JournalLogHandler.priority(.critical) == 2)
        #expect(JournalLogHandler.level(named: "WARN") == .warning)
        #expect(JournalLogHandler.level(named: "loud") == nil)
    }

    @Test func stderrIsTheJournalOnlyWhenJournalStreamNamesFd2() throws {
        var info = stat()
        try #require(fstat(2, &info) == 0)
        let mine = "\(info.st_dev):\(info.st_ino)"
        #expect(JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": mine]))
        #expect(!JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino + 1)"]))
        #expect(!JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "garbage"]))
        #expect(!JournalLogHandler.stderrIsJournal(environment: [:]))
    }
}
