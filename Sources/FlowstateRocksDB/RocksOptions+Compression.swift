internal import CRocksDB

extension RocksOptions {
    /// A compression algorithm for SST files; new algorithms may be added without breaking users.
    public struct Compression: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable {
            case none, snappy, lz4, zstd
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// No compression: the fastest writes and the largest files.
        public static let none = Compression(.none)
        /// Snappy: fast, moderate ratio.
        public static let snappy = Compression(.snappy)
        /// LZ4: fast, moderate ratio; RocksDB's usual choice for hot data.
        public static let lz4 = Compression(.lz4)
        /// Zstandard: the best ratio, more CPU per block.
        public static let zstd = Compression(.zstd)

        /// The algorithm's name, e.g. `lz4`.
        public var description: String { kind.rawValue }

        /// RocksDB's C constant for the algorithm.
        var rocksValue: Int32 {
            switch kind {
            case .none: Int32(rocksdb_no_compression)
            case .snappy: Int32(rocksdb_snappy_compression)
            case .lz4: Int32(rocksdb_lz4_compression)
            case .zstd: Int32(rocksdb_zstd_compression)
            }
        }
    }
}
