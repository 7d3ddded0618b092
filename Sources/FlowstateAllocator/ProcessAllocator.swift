#if os(Linux)
internal import CJemalloc
internal import CJemallocConfig
#endif

/// The memory allocator of Flowstate's executables: jemalloc on Linux, the system's elsewhere.
///
/// Linking this module into an executable replaces glibc's `malloc` for the whole process
/// (Swift objects, librdkafka's messages, RocksDB). glibc's allocator pays for every record that
/// one thread allocates and another frees (librdkafka's produced and consumed messages cross
/// threads): measured on the statement benchmark, jemalloc takes ~20% less CPU per transition
/// end to end and ~14% in process (`benchmarks/RESULTS.md`). Libraries leave the choice to the
/// application: only the `flowstate` and `flowstate-bench` executables link it.
public enum ProcessAllocator {
    /// The allocator serving this process's `malloc`, e.g. `"jemalloc 5.3.0-0-g54eaed1d8b56…"`,
    /// or `"system"` when jemalloc is not the one answering.
    public static var description: String {
        #if os(Linux)
        var version: UnsafePointer<CChar>?
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &version, &size, nil, 0) == 0, let version else { return "system" }
        return "jemalloc \(String(cString: version))"
        #else
        return "system"
        #endif
    }

    /// The allocator's name alone: `"jemalloc"` or `"system"` (for one-word report fields).
    public static var name: String {
        description.hasPrefix("jemalloc ") ? "jemalloc" : "system"
    }

    /// jemalloc's options compiled into the executable (`malloc_conf`), e.g. how soon freed
    /// pages return to the OS; `nil` without jemalloc. `MALLOC_CONF` in the environment overrides them.
    public static var compiledOptions: String? {
        #if os(Linux)
        String(cString: flowstate_jemalloc_config())
        #else
        nil
        #endif
    }

    /// Bytes jemalloc has handed to the calling thread so far (`thread.allocated`), or `nil`
    /// without jemalloc: a `malloc` served by jemalloc moves it.
    package static var bytesAllocatedByThisThread: UInt64? {
        #if os(Linux)
        var bytes: UInt64 = 0
        var size = MemoryLayout<UInt64>.size
        guard mallctl("thread.allocated", &bytes, &size, nil, 0) == 0 else { return nil }
        return bytes
        #else
        return nil
        #endif
    }

    /// A signed integer option of jemalloc as it runs (e.g. `opt.dirty_decay_ms`), or `nil`.
    package static func option(_ name: String) -> Int? {
        #if os(Linux)
        var value = 0
        var size = MemoryLayout<Int>.size
        guard mallctl(name, &value, &size, nil, 0) == 0 else { return nil }
        return value
        #else
        return nil
        #endif
    }
}
