internal import CRdKafka

extension KafkaError {
    /// Copies code, message and flags out of an `rd_kafka_error_t` and destroys it.
    ///
    /// - Important: Takes ownership of `error`.
    static func consuming(_ error: OpaquePointer) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        let response = rd_kafka_error_code(error)
        let message = String(cString: rd_kafka_error_string(error))
        let fatal = rd_kafka_error_is_fatal(error) != 0
        let requiresAbort = rd_kafka_error_txn_requires_abort(error) != 0
        let retriable = rd_kafka_error_is_retriable(error) != 0
        return KafkaError.classified(response, message: message, fatal: fatal,
                                     requiresAbort: requiresAbort, retriable: retriable)
    }

    /// Builds an error from a bare `rd_kafka_resp_err_t`.
    static func response(_ response: rd_kafka_resp_err_t, context: String? = nil) -> KafkaError {
        let text = String(cString: rd_kafka_err2str(response))
        let message = context.map { "\($0): \(text)" } ?? text
        return classified(response, message: message, fatal: false, requiresAbort: false, retriable: false)
    }

    /// Maps librdkafka's code and flags to a ``KafkaError/Code`` (fencing first, then abortable).
    static func classified(_ response: rd_kafka_resp_err_t, message: String, fatal: Bool,
                           requiresAbort: Bool, retriable: Bool) -> KafkaError {
        let name = String(cString: rd_kafka_err2name(response))
        let code: Code
        switch response {
        case RD_KAFKA_RESP_ERR__FENCED, RD_KAFKA_RESP_ERR_PRODUCER_FENCED,
             RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH, RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
            code = .fenced
        case _ where requiresAbort:
            code = .transactionAbortable
        case RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
            code = .timedOut
        case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
            code = .topicAlreadyExists
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
             RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
            code = .unknownTopic
        case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE, RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION,
             RD_KAFKA_RESP_ERR_INVALID_REQUEST:
            code = .unsupported
        case RD_KAFKA_RESP_ERR__INVALID_ARG:
            code = .invalidArgument
        case RD_KAFKA_RESP_ERR__DESTROY:
            code = .closed
        case _ where fatal:
            code = .fatal
        default:
            code = .broker
        }
        return KafkaError(code: code, message: message, rdKafkaErrorName: name, property: nil,
                          isFatal: fatal || code == .fenced, isRetriable: retriable)
    }

    /// The fatal error raised on a client handle (e.g. fencing), if any.
    static func fatalError(of handle: OpaquePointer) -> KafkaError? {
        var buffer = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(handle, &buffer, buffer.count)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return KafkaError.classified(code, message: String(cBuffer: buffer), fatal: true,
                                     requiresAbort: false, retriable: false)
    }

    /// Throws unless `response` is `RD_KAFKA_RESP_ERR_NO_ERROR`.
    static func check(_ response: rd_kafka_resp_err_t, _ context: String) throws(KafkaError) {
        guard response == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.response(response, context: context)
        }
    }

    /// Throws the error an `rd_kafka_error_t*`-returning call gave, if any (and destroys it).
    static func check(_ error: OpaquePointer?) throws(KafkaError) {
        if let error { throw KafkaError.consuming(error) }
    }
}
