#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Checks a path before RocksDB opens it.
///
/// With `create_if_missing` RocksDB would happily create a database inside any directory, a
/// home directory or a source tree included; and it detects a second open in the same process
/// only by comparing path strings. So a path is refused unless it is missing, empty, or holds
/// a `CURRENT` file, and RocksDB is given the path with symbolic links, `.` and `..` resolved.
enum DatabaseDirectory {
    /// Validates `path` and returns the canonical path to pass to `rocksdb_open`.
    ///
    /// - Parameters:
    ///   - path: The database directory as the user gave it.
    ///   - createIfMissing: Whether a missing directory (and its parents) may be created.
    /// - Returns: The absolute path with symbolic links resolved.
    /// - Throws: ``RocksDBError`` with code ``RocksDBError/Code/notADatabase`` for a file or a
    ///   foreign non-empty directory, ``RocksDBError/Code/notFound`` for a missing or empty
    ///   directory that may not be created, ``RocksDBError/Code/ioError`` if the file system fails.
    static func prepare(path: String, createIfMissing: Bool) throws -> String {
        guard !path.isEmpty else {
            throw RocksDBError(.invalidArgument, "the database path is empty")
        }
        let fileManager = FileManager.default
        var isDirectory: Bool = false
        if fileManager.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory else {
                throw RocksDBError(.notADatabase, "'\(path)' is a file, not a RocksDB database directory")
            }
            let entries: [String]
            do {
                entries = try fileManager.contentsOfDirectory(atPath: path)
            } catch {
                throw RocksDBError(.ioError, "cannot list '\(path)': \(error)")
            }
            if entries.isEmpty && !createIfMissing {
                throw RocksDBError(.notFound, "no RocksDB database in the empty directory '\(path)' and createIfMissing is false")
            }
            if !entries.isEmpty && !entries.contains("CURRENT") {
                throw RocksDBError(
                    .notADatabase,
                    "'\(path)' is a non-empty directory without a CURRENT file, so it is not a RocksDB "
                        + "database; refusing to create one inside it"
                )
            }
        } else if createIfMissing {
            do {
                try fileManager.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw RocksDBError(.ioError, "cannot create database directory '\(path)': \(error)")
            }
        } else {
            throw RocksDBError(.notFound, "no RocksDB database at '\(path)' and createIfMissing is false")
        }
        return try canonicalPath(path)
    }

    /// Resolves `path` with `realpath(3)`.
    private static func canonicalPath(_ path: String) throws -> String {
        guard let resolved = realpath(path, nil) else {
            throw RocksDBError(.ioError, "cannot resolve '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
