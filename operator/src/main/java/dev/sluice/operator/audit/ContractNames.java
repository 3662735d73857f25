package dev.sluice.operator.audit;

/**
 * The injection contract's pod-facing names the auditor reads (docs/injection.md). They are the
 * injector's names: kept as strings here until they move to one place the injector and the auditor
 * both read.
 */
final class ContractNames {
    /** The label on namespaces ({@value #ENABLED} or {@value #REQUIRED}) and on pods ({@value #OPT_IN} or {@value #OPT_OUT}). */
    static final String INJECT = "sluice.dev/inject";
    static final String ENABLED = "enabled";
    static final String REQUIRED = "required";
    static final String OPT_IN = "true";
    static final String OPT_OUT = "false";
    /** The injector's record of what it injected. */
    static final String INJECTED = "sluice.dev/injected";
    /** The injector's sentence saying why it left a selected pod alone. */
    static final String SKIPPED = "sluice.dev/injection-skipped";
    /** The injected native sidecar's container name. */
    static final String SIDECAR = "sluice-sidecar";

    private ContractNames() {
    }
}
