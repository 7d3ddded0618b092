public import Flowstate
public import Saga

/// A bank statement being closed and paid (seed 000's statement generation).
public struct Statement: StateMachineEntity, Hashable {
    /// How the statement is paid.
    public enum PaymentMethod: String, Codable, Sendable, Hashable {
        /// The bank collects the amount.
        case directDebit = "direct-debit"
        /// The customer pays by transfer.
        case manual
    }

    /// The statement id (the transaction id).
    public var id: String
    /// The organisation it belongs to: the partition key.
    public var organisationId: String
    /// Where it is in its lifecycle.
    public var status: StatementStatus
    /// The amount due, in minor units (cents).
    public var amount: Int
    /// The ISO currency code.
    public var currency: String
    /// How it is paid.
    public var paymentMethod: PaymentMethod
    /// When it last changed, in milliseconds since the epoch.
    public var updatedAt: Int64
    /// Who changed it last.
    public var updatedBy: String

    /// Creates a statement.
    public init(id: String, organisationId: String, status: StatementStatus = .closeInitiated, amount: Int,
                currency: String = "EUR", paymentMethod: PaymentMethod, updatedAt: Int64 = 0, updatedBy: String = "system") {
        self.id = id
        self.organisationId = organisationId
        self.status = status
        self.amount = amount
        self.currency = currency
        self.paymentMethod = paymentMethod
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }

    /// The organisation id.
    public var partitionKey: String { organisationId }

    /// Sets ``updatedAt`` and ``updatedBy``.
    public mutating func recordTransition(at time: Int64, by actor: String) {
        updatedAt = time
        updatedBy = actor
    }
}

/// The nine statuses of a statement; each has its topic `statement.<raw value>`.
public enum StatementStatus: String, StateMachineStatus {
    /// Closing was requested (the entry point).
    case closeInitiated = "close-initiated"
    /// Waits for a person's approval (a manual step).
    case waitingForApproval = "waiting-for-approval"
    /// Waited for approval too long (``StatementLifecycle/Options/escalateAfter``); still
    /// waits for a person's approval.
    case escalated
    /// Approved: payment can start.
    case approved
    /// The bank was asked to collect the amount.
    case directDebitInitiated = "direct-debit-initiated"
    /// The customer was asked to pay.
    case paymentInitiated = "payment-initiated"
    /// A payment arrived and is being reconciled.
    case paymentReceivedInitiated = "payment-received-initiated"
    /// The payment is reconciled.
    case paymentReceived = "payment-received"
    /// Done. Terminal.
    case closed
}

extension Statement: BinaryDirectEncodable {
    /// Writes the statement's binary store encoding directly (the bytes its `Encodable`
    /// conformance writes, in declaration order).
    public func encode(to writer: inout BinaryWriter) {
        writer.field("id", id)
        writer.field("organisationId", organisationId)
        writer.field("status", status)
        writer.field("amount", amount)
        writer.field("currency", currency)
        writer.field("paymentMethod", paymentMethod)
        writer.field("updatedAt", updatedAt)
        writer.field("updatedBy", updatedBy)
    }
}

extension Statement: JSONDirectDecodable {
    /// Reads a statement from its JSON object (the members its `Decodable` conformance reads).
    public init(json object: inout JSONObjectReader) throws {
        self.init(id: try object.string("id"), organisationId: try object.string("organisationId"),
                  status: try object.value("status"), amount: try object.int("amount"),
                  currency: try object.string("currency"), paymentMethod: try object.value("paymentMethod"),
                  updatedAt: try object.int64("updatedAt"), updatedBy: try object.string("updatedBy"))
    }
}

extension Statement: JSONDirectEncodable {
    /// Writes the statement's JSON object directly (the bytes its `Encodable` conformance writes).
    public func encode(to object: inout JSONObjectWriter) {
        object.field("id", id)
        object.field("organisationId", organisationId)
        object.field("status", status)
        object.field("amount", amount)
        object.field("currency", currency)
        object.field("paymentMethod", paymentMethod)
        object.field("updatedAt", updatedAt)
        object.field("updatedBy", updatedBy)
    }
}
