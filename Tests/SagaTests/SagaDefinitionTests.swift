import Saga
import Testing

@Suite struct SagaDefinitionTests {
    @Test func stepTopicsFollowTheSagaNamingRules() throws {
        let step = try SagaStep.command("payment-service.make-payment", key: 2)
        #expect(step.doTopic == "saga.do.payment-service.make-payment")
        #expect(step.undoTopic == "saga.undo.payment-service.make-payment")
        #expect(step.compensationKey == -2)
    }

    @Test(arguments: [
        ("payment_service.pay", "contains an underscore"),
        ("payment..pay", "has an empty segment"),
        ("-payment.pay", "starts or ends with a hyphen"),
        ("payment.pay-", "starts or ends with a hyphen"),
        ("payment/pay", "contains \"/\""),
        ("", "is empty"),
    ])
    func badTopicSuffixesAreRejectedWithTheRuleBroken(suffix: String, rule: String) {
        #expect {
            try SagaStep.query(suffix, key: 1)
        } throws: { error in
            (error as? SagaDefinitionError)?.message.contains(rule) == true
        }
    }

    @Test func decimalTopicKeysAreReserved() {
        #expect(throws: SagaDefinitionError(
            "topic key 1.1 of user.get: decimal keys are reserved for sub-executions; use whole numbers")) {
            try SagaStep.query("user.get", key: 1.1)
        }
    }

    @Test func negativeKeysAreForCompensationsOnly() {
        #expect(throws: SagaDefinitionError.self) { try SagaStep.command("payment.make", key: -2) }
        #expect(throws: SagaDefinitionError.self) { try SagaStep.command("payment.make", key: 0) }
    }

    @Test func aSagaNeedsStepsWithDistinctKeysAndSuffixes() throws {
        #expect(throws: SagaDefinitionError("saga empty has no steps")) { try SagaDefinition(name: "empty", steps: []) }
        #expect(throws: SagaDefinitionError("saga twice: topic key 1 is used twice")) {
            try SagaDefinition(name: "twice", steps: [.query("a.b", key: 1), .query("a.c", key: 1)])
        }
        #expect(throws: SagaDefinitionError("saga same: topic suffix a.b is used twice")) {
            try SagaDefinition(name: "same", steps: [.query("a.b", key: 1), .command("a.b", key: 2)])
        }
        let saga = try SagaDefinition(name: "place-order", steps: [.query("a.b", key: 1)])
        #expect(saga.startTopic == "saga.start.place-order")
        #expect(saga.replyTopic == "saga.reply.place-order")
        #expect(saga.deadLetterTopic == "saga.dlq.place-order")
    }

    @Test func retryBackoffGrowsGeometricallyUpToItsCap() {
        let policy = SagaRetryPolicy(maxAttempts: 6, initialBackoff: .milliseconds(100), multiplier: 3, maxBackoff: .seconds(1))
        #expect((1...5).map(policy.backoffMilliseconds(after:)) == [100, 300, 900, 1000, 1000])
    }
}
