import Foundation
import Testing

import FlowstateRocksDB

@Suite struct RocksDatabaseTests {
    // MARK: - Point operations

    @Test func putGetDeleteRoundTrip() throws {
        try withTemporaryDirectory { directory in
            let db = try RocksDatabase(path: directory + "/db")
            defer { db.close() }

            #expect(try db.get(bytes("missing")) == nil)

            try db.put(bytes("k1"), bytes("v1"))
            try db.put([0x00, 0xFF], [])
            #expect(try db.get(bytes("k1")) == bytes("v1"))
            #expect(try db.get([0x00, 0xFF]) == [], "an empty value is stored, not absent")

            try db.put(bytes("k1"), bytes("v2"))
            #expect(try db.get(bytes("k1")) == bytes("v2"), "a put replaces the previous value")

            try db.delete(bytes("k1"))
            #expect(try db.get(bytes("k1")) == nil)
            try db.delete(bytes("never-written"))
        }
    }

    @Test func stringOverloadsUseUTF8Bytes() throws {
        try withTemporaryDirectory { directory in
            let db = try RocksDatabase(path: directory + "/db")
            defer { db.close() }

            try db.put("statement-7", "généré")
            #expect(try db.get("statement-7") == "généré")
            #expect(try db.get(bytes("statement-7")) == bytes("généré"))
            try db.delete("statement-7")
            #expect(try db.get("statement-7") == nil)
        }
    }

    @Test func largeValueRoundTrips() throws {
        try withTemporaryDirectory { directory in
            let db = try RocksDatabase(path: directory + "/db")
            defer { db.close() }
            let value = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try db.put(bytes("big"), value)
            try db.flush()
            #expect(try db.get(bytes("big")) == value)
        }
    }

    // MARK: - Persistence

    @Test func dataPersistsAcrossCloseAndReopen() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            do {
                let db = try RocksDatabase(path: path)
                try db.put(bytes("a"), bytes("1"))
                try db.put(bytes("b"), bytes("2"))
                try db.delete(bytes("b"))
                db.close()
            }
            let reopened = try RocksDatabase(path: path)
            defer { reopened.close() }
            #expect(try reopened.get(bytes("a")) == bytes("1"))
            #expect(try reopened.get(bytes("b")) == nil)
        }
    }

    @Test func cleanCloseKeepsWritesMadeWithoutWriteAheadLog() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            var options = RocksOptions()
            options.writeAheadLog = false
            do {
                let db = try RocksDatabase(path: path, options: options)
                try db.put(bytes("unlogged"), bytes("kept"))
                db.close()
            }
            let reopened = try RocksDatabase(path: path, options: options)
            defer { reopened.close() }
            #expect(try reopened.get(bytes("unlogged")) == bytes("kept"))
        }
    }

    @Test func deinitClosesAndReleasesTheLock() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            do {
                let db = try RocksDatabase(path: path)
                try db.put(bytes("a"), bytes("1"))
            }
            let reopened = try RocksDatabase(path: path)
            defer { reopened.close() }
            #expect(try reopened.get(bytes("a")) == bytes("1"))
        }
    }

    @Test func missingParentDirectoriesAreCreated() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/state/app/task-0_1"
            let db = try RocksDatabase(path: path)
            defer { db.close() }
            try db.put(bytes("a"), bytes("1"))
            #expect(FileManager.default.fileExists(atPath: path + "/CURRENT"))
        }
    }

    @Test func emptyExistingDirectoryBecomesADatabase() throws {
        try withTemporaryDirectory { directory in
            let db = try RocksDatabase(path: directory)
            defer { db.close() }
            try db.put(bytes("a"), bytes("1"))
            #expect(try db.get(bytes("a")) == bytes("1"))
        }
    }

    // MARK: - Opening errors

    @Test func secondOpenInTheSameProcessIsLocked() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            let first = try RocksDatabase(path: path)

            let error = #expect(throws: RocksDBError.self) { try RocksDatabase(path: path) }
            #expect(error?.code == .locked)
            #expect(error?.message.contains(path) == true, "the message names the path: \(String(describing: error))")

            first.close()
            let second = try RocksDatabase(path: path)
            second.close()
        }
    }

    @Test func secondOpenThroughAnotherSpellingOfThePathIsLocked() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            let first = try RocksDatabase(path: path)
            defer { first.close() }

            try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: path)
            for alias in [path + "/", directory + "/./db", directory + "/db/../db", directory + "/link"] {
                let error = #expect(throws: RocksDBError.self, "opening \(alias)") { try RocksDatabase(path: alias) }
                #expect(error?.code == .locked, "opening \(alias)")
            }
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "needs python3 to hold the lock"))
    func openLockedByAnotherProcessIsLocked() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            try RocksDatabase(path: path).close()

            // RocksDB locks <db>/LOCK with fcntl(F_SETLK); Python's lockf takes the same kind of lock.
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            child.arguments = [
                "-c",
                """
                import fcntl, sys
                f = open(sys.argv[1], "r+")
                fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                print("locked", flush=True)
                sys.stdin.read()
                """,
                path + "/LOCK",
            ]
            let output = Pipe()
            let input = Pipe()
            child.standardOutput = output
            child.standardInput = input
            try child.run()
            defer {
                try? input.fileHandleForWriting.close()
                child.waitUntilExit()
            }
            let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            try #require(line.hasPrefix("locked"), "the child process failed to take the lock")

            let error = #expect(throws: RocksDBError.self) { try RocksDatabase(path: path) }
            #expect(error?.code == .locked)
            #expect(error?.message.contains(path) == true)
        }
    }

    @Test func regularFileIsNotADatabase() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/file"
            try Data("hello".utf8).write(to: URL(fileURLWithPath: path))

            let error = #expect(throws: RocksDBError.self) { try RocksDatabase(path: path) }
            #expect(error?.code == .notADatabase)
            #expect(error?.message.contains(path) == true)
        }
    }

    @Test func nonEmptyDirectoryWithoutCurrentIsNotADatabase() throws {
        try withTemporaryDirectory { directory in
            try Data("notes".utf8).write(to: URL(fileURLWithPath: directory + "/README.txt"))

            let error = #expect(throws: RocksDBError.self) { try RocksDatabase(path: directory) }
            #expect(error?.code == .notADatabase)
            #expect(error?.message.contains(directory) == true)
            let entries = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(entries == ["README.txt"], "nothing is created inside a foreign directory")
        }
    }

    @Test func missingDatabaseWithoutCreateIfMissingIsNotFound() throws {
        try withTemporaryDirectory { directory in
            var options = RocksOptions()
            options.createIfMissing = false
            let error = #expect(throws: RocksDBError.self) {
                try RocksDatabase(path: directory + "/absent", options: options)
            }
            #expect(error?.code == .notFound)
            #expect(!FileManager.default.fileExists(atPath: directory + "/absent"))

            let emptyDirectoryError = #expect(throws: RocksDBError.self) {
                try RocksDatabase(path: directory, options: options)
            }
            #expect(emptyDirectoryError?.code == .notFound)
            let entries = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(entries.isEmpty, "nothing is created when createIfMissing is false")
        }
    }

    @Test func invalidOptionsThrowBeforeTouchingTheDisk() throws {
        try withTemporaryDirectory { directory in
            var options = RocksOptions()
            options.blockCacheSize = -1
            let error = #expect(throws: RocksDBError.self) {
                try RocksDatabase(path: directory + "/db", options: options)
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.option == "blockCacheSize")
            #expect(!FileManager.default.fileExists(atPath: directory + "/db"))
        }
    }

    // MARK: - Closing

    @Test func everyCallAfterCloseThrowsClosed() throws {
        try withTemporaryDirectory { directory in
            let db = try RocksDatabase(path: directory + "/db")
            try db.put(bytes("a"), bytes("1"))
            #expect(!db.isClosed)
            db.close()
            db.close()
            #expect(db.isClosed)

            let calls: [(String, () throws -> Void)] = [
                ("get", { _ = try db.get(bytes("a")) }),
                ("put", { try db.put(bytes("a"), bytes("2")) }),
                ("delete", { try db.delete(bytes("a")) }),
                ("write", { try db.write(RocksWriteBatch()) }),
                ("makeIterator", { _ = try db.makeIterator() }),
                ("scan", { _ = try db.scan(prefix: bytes("a")) }),
                ("approximateCount", { _ = try db.approximateCount() }),
                ("flush", { try db.flush() }),
                ("checkpoint", { try db.checkpoint(to: directory + "/cp") }),
                ("get(String)", { _ = try db.get("a") }),
            ]
            for (name, call) in calls {
                let error = #expect(throws: RocksDBError.self, "\(name)") { try call() }
                #expect(error?.code == .closed, "\(name)")
            }
        }
    }

    @Test func concurrentCallsAndCloseNeverCrash() throws {
        try withTemporaryDirectory { directory in
            let db = try RocksDatabase(path: directory + "/db")
            let mismatches = LockedCounter()
            DispatchQueue.concurrentPerform(iterations: 4) { worker in
                for index in 0..<500 {
                    let key = bytes("w\(worker)-\(index)")
                    do {
                        try db.put(key, key)
                        if try db.get(key) != key { mismatches.increment() }
                    } catch {
                        mismatches.increment()
                    }
                }
            }
            #expect(mismatches.value == 0)
            #expect(try db.scan().count == 2_000)

            // Readers loop until close() makes them fail; each must fail with .closed only.
            let otherErrors = LockedCounter()
            let group = DispatchGroup()
            for worker in 0..<3 {
                DispatchQueue.global().async(group: group) {
                    while true {
                        do {
                            _ = try db.get(bytes("w\(worker)-1"))
                            _ = try db.scan(prefix: bytes("w\(worker)-1"))
                        } catch let error as RocksDBError where error.code == .closed {
                            return
                        } catch {
                            otherErrors.increment()
                            return
                        }
                    }
                }
            }
            Thread.sleep(forTimeInterval: 0.05)
            db.close()
            #expect(group.wait(timeout: .now() + 10) == .success)
            #expect(otherErrors.value == 0)
        }
    }

    // MARK: - Maintenance

    @Test func approximateCountIsPositiveAfterWrites() throws {
        try withTemporaryDirectory { directory in
            let db = try RocksDatabase(path: directory + "/db")
            defer { db.close() }
            #expect(try db.approximateCount() == 0)
            for index in 0..<100 {
                try db.put(bytes("key-\(index)"), bytes("value"))
            }
            #expect(try db.approximateCount() > 0)
            try db.flush()
            #expect(try db.approximateCount() > 0)
        }
    }

    @Test func checkpointOpensAndHoldsTheData() throws {
        try withTemporaryDirectory { directory in
            var options = RocksOptions()
            options.writeAheadLog = false
            let db = try RocksDatabase(path: directory + "/db", options: options)
            defer { db.close() }
            try db.put(bytes("a"), bytes("1"))
            try db.put(bytes("b"), bytes("2"))

            try db.checkpoint(to: directory + "/checkpoint")
            try db.put(bytes("c"), bytes("written after the checkpoint"))

            let copy = try RocksDatabase(path: directory + "/checkpoint")
            defer { copy.close() }
            #expect(keyStrings(try copy.scan()) == ["a", "b"])
            #expect(try copy.get(bytes("b")) == bytes("2"))

            let error = #expect(throws: RocksDBError.self) { try db.checkpoint(to: directory + "/checkpoint") }
            #expect(error?.code == .invalidArgument, "a checkpoint never overwrites a directory")
            #expect(error?.message.contains(directory + "/checkpoint") == true)
        }
    }
}
