import Flowstate
import FlowstateTesting
import Foundation
import Testing

/// An account as version 1 stores it.
private struct DepositAccountV1: Codable, Equatable {
    var owner: String
    var balance: Int
}

/// Version 2 adds a required field: bytes of version 1 lack it.
private struct DepositAccountV2: Codable, Equatable {
    var owner: String
    var balance: Int
    var currency: String
}

/// Version 2 with `balance` retyped: bytes of version 1 hold a one-byte varint there, not the
/// eight bytes of a `Double`. (Not `String`: the binary format is untagged, and a varint's bytes
/// may be valid UTF-8; see `SchemaEvolutionTests`.)
private struct DepositAccountRetyped: Codable, Equatable {
    var owner: String
    var balance: Double
}

/// A deposit, the input record.
private struct Deposit: Codable {
    var amount: Int
}

/// Adds each deposit to the key's account in the `accounts` store.
private struct DepositProcessor<Account: Codable>: Processor {
    let open: @Sendable (String, Int) -> Account
    let credit: @Sendable (inout Account, Int) -> Void

    mutating func process(_ record: Record<String, Deposit>, context: ProcessorContext<String, Deposit>) throws {
        let accounts = try context.keyValueStore("accounts", key: String.self, value: Account.self)
        if var account = try accounts.get(record.key) {
            credit(&account, record.value.amount)
            try accounts.put(record.key, account)
        } else {
            try accounts.put(record.key, open(record.key, record.value.amount))
        }
    }
}

/// `deposits` → the `accounts` store (binary values of `Account`), dead-lettering failed records.
private func accountsTopology<Account: Codable>(_ open: @escaping @Sendable (String, Int) -> Account,
                                                _ credit: @escaping @Sendable (inout Account, Int) -> Void) throws -> Topology {
    let builder = TopologyBuilder()
    builder.processingErrorPolicy = .deadLetter
    builder.addStore(Stores.persistent("accounts", key: .string, value: .binary(Account.self)))
    builder.addSource("deposits", topics: ["deposits"], key: .string, value: .json(Deposit.self))
        .process("deposit", stores: ["accounts"]) { DepositProcessor(open: open, credit: credit) }
    return try builder.build()
}

private func version1() throws -> Topology {
    try accountsTopology({ DepositAccountV1(owner: $0, balance: $1) }, { $0.balance += $1 })
}

@Suite struct StoredValueUpgradeTests {
    /// Runs version 1 on a fresh state directory (account `a1` holds 5), then `version2` on the
    /// same directory; returns the error piping a deposit to `a1` raises and version 2's driver.
    private func upgrade(to version2: Topology, in directory: String) throws -> (FlowstateError?, TopologyTestDriver) {
        let first = try TopologyTestDriver(topology: try version1(), stateDirectory: directory)
        try first.inputTopic("deposits", key: .string, value: .json(Deposit.self)).pipeInput(key: "a1", value: Deposit(amount: 5))
        first.close()
        let second = try TopologyTestDriver(topology: version2, stateDirectory: directory)
        do {
            try second.inputTopic("deposits", key: .string, value: .json(Deposit.self)).pipeInput(key: "a1", value: Deposit(amount: 3))
            return (nil, second)
        } catch let error as FlowstateError {
            return (error, second)
        }
    }

    @Test func aRequiredFieldAddedFailsTheTaskNamingStoreKeyTypeAndFieldWithoutDeadLetters() throws {
        let directory = "/tmp/flowstate-upgrade-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let version2 = try accountsTopology({ DepositAccountV2(owner: $0, balance: $1, currency: "EUR") }, { $0.balance += $1 })
        let (error, driver) = try upgrade(to: version2, in: directory)
        defer { driver.close() }
        let failure = try #require(error, "the undecodable stored value must fail processing")
        #expect(failure.code == .undecodableStoredValue)
        #expect(failure.message.contains("store 'accounts'"))
        #expect(failure.message.contains("key 'a1'"))
        #expect(failure.message.contains("DepositAccountV2"))
        #expect(failure.message.contains("missing key 'currency'"))
        #expect(driver.deadLetters.isEmpty, "no input record is dead-lettered for old state")
    }

    @Test func aRetypedFieldFailsTheTaskNamingThatField() throws {
        let directory = "/tmp/flowstate-upgrade-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let version2 = try accountsTopology({ DepositAccountRetyped(owner: $0, balance: Double($1)) }, { $0.balance += Double($1) })
        let (error, driver) = try upgrade(to: version2, in: directory)
        defer { driver.close() }
        let failure = try #require(error)
        #expect(failure.code == .undecodableStoredValue)
        #expect(failure.message.contains("store 'accounts', key 'a1'"))
        #expect(failure.message.contains("DepositAccountRetyped"))
        #expect(failure.message.contains("balance"))
        #expect(driver.deadLetters.isEmpty)
    }

    @Test func aStoreScanNamesTheKeyWhoseValueDoesNotDecode() throws {
        let directory = "/tmp/flowstate-upgrade-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try TopologyTestDriver(topology: try version1(), stateDirectory: directory)
        try first.inputTopic("deposits", key: .string, value: .json(Deposit.self)).pipeInput(key: "a1", value: Deposit(amount: 5))
        first.close()
        let builder = TopologyBuilder()
        builder.processingErrorPolicy = .deadLetter
        builder.addStore(Stores.persistent("accounts", key: .string, value: .binary(DepositAccountV2.self)))
        builder.addSource("deposits", topics: ["deposits"], key: .string, value: .json(Deposit.self))
            .process("scan", stores: ["accounts"]) {
                ClosureProcessor<String, Deposit, String, Deposit> { _, context in
                    _ = try context.keyValueStore("accounts", key: String.self, value: DepositAccountV2.self).all()
                }
            }
        let driver = try TopologyTestDriver(topology: try builder.build(), stateDirectory: directory)
        defer { driver.close() }
        #expect {
            try driver.inputTopic("deposits", key: .string, value: .json(Deposit.self)).pipeInput(key: "b1", value: Deposit(amount: 1))
        } throws: { error in
            guard let error = error as? FlowstateError else { return false }
            return error.code == .undecodableStoredValue && error.message.contains("store 'accounts', key 'a1'")
                && error.message.contains("currency")
        }
        #expect(driver.deadLetters.isEmpty)
    }

    @Test func anUndecodableInputRecordIsStillDeadLettered() throws {
        let driver = try TopologyTestDriver(topology: try version1())
        defer { driver.close() }
        try driver.inputTopic("deposits", key: .string, value: .json(Deposit.self))
            .pipeRaw(key: Array("a1".utf8), value: Array("not json".utf8))
        #expect(driver.deadLetters.map(\.stage) == ["deserialization"])
        try driver.inputTopic("deposits", key: .string, value: .json(Deposit.self)).pipeInput(key: "a1", value: Deposit(amount: 2))
        #expect(try driver.keyValueStore("accounts", key: String.self, value: DepositAccountV1.self).get("a1") == DepositAccountV1(owner: "a1", balance: 2))
    }
}
